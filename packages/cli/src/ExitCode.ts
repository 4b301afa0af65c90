// The one place failures become exit codes: 0 all done, 1 something failed at run time, 2 usage or configuration.
import { getSystemErrorMessage } from "node:util"
import { Cause, Exit, Runtime, Schema } from "effect"
import { CliError } from "effect/cli"

export const ExitCode = { Ok: 0, Failed: 1, Usage: 2 } as const
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode]

/** Bad flags, bad config, missing token, unreadable map file: the user must change the invocation. */
export class UsageError extends Schema.TaggedError<UsageError>()("UsageError", { message: Schema.String }) {}

/**
 * The command ran but did not fully succeed (partial export, verification failure, failed replay items).
 * `reported` is true when the command already printed its outcome, so only the exit code is left to set.
 */
export class RunFailed extends Schema.TaggedError<RunFailed>()("RunFailed", {
  message: Schema.String,
  reported: Schema.Boolean
}) {}

export interface Classified {
  readonly code: ExitCode
  /** One sentence for stderr, or undefined when already shown. */
  readonly message: string | undefined
}

const isTagged = (u: unknown, tag: string): u is { readonly _tag: string; readonly message: string } =>
  typeof u === "object" && u !== null && "_tag" in u && (u as { _tag: unknown })._tag === tag

/** Maps whatever a command failed with to an exit code and a one-line message — never a stack trace. */
export const classify = (cause: Cause.Cause<unknown>): Classified => {
  if (Cause.hasInterruptsOnly(cause)) return { code: ExitCode.Failed, message: "interrupted" }
  const error = Cause.squash(cause)
  if (CliError.isCliError(error)) {
    // The parse error is already on stderr (CliPresenter.ts), or the help, when no command was given.
    return { code: ExitCode.Usage, message: undefined }
  }
  if (isTagged(error, "UsageError")) return { code: ExitCode.Usage, message: error.message }
  if (isTagged(error, "RunFailed")) {
    const e = error as unknown as RunFailed
    return { code: ExitCode.Failed, message: e.reported ? undefined : e.message }
  }
  if (isTagged(error, "ConfigError") || isTagged(error, "GitHubConfigError")) {
    return { code: ExitCode.Usage, message: error.message }
  }
  if (error instanceof Error || (typeof error === "object" && error !== null && "message" in error)) {
    return { code: ExitCode.Failed, message: String((error as { message: unknown }).message).split("\n")[0] }
  }
  return { code: ExitCode.Failed, message: String(error) }
}

/**
 * What to say about a failed write to stdout: one sentence for stderr (the run then exits 1 at least), or undefined
 * for EPIPE — the reader went away (`| head`, a closed pipe), which is not worth a word and keeps the exit code.
 */
export const stdoutWriteFailure = (error: NodeJS.ErrnoException): string | undefined => {
  if (error.code === "EPIPE") return undefined
  const reason =
    typeof error.errno === "number" && error.code !== undefined
      ? `${getSystemErrorMessage(error.errno)} (${error.code})`
      : error.message.split("\n")[0]
  return `cannot write to standard output: ${reason}`
}

export type StopSignal = "SIGINT" | "SIGTERM"

/**
 * The process's teardown. A run stopped by SIGINT or SIGTERM (its scopes closed, so an export's temporary archive
 * is gone) says so on stderr and exits 128 + the signal's number, as shells, cron and Kubernetes read it; any
 * other outcome keeps the exit code the command set.
 */
export const interruptedTeardown =
  (signal: () => StopSignal | undefined, write: (line: string) => void): Runtime.Teardown =>
  (exit, onExit) => {
    if (Exit.isFailure(exit) && Cause.hasInterruptsOnly(exit.cause)) {
      const s = signal()
      write(`error: interrupted${s !== undefined ? ` by ${s}` : ""}\n`)
      return onExit(s === "SIGTERM" ? 143 : 130)
    }
    return Runtime.defaultTeardown(exit, onExit)
  }
