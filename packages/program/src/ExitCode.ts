// The one place failures become exit codes, for both programs: 0 all done, 1 something failed at run time,
// 2 usage or configuration; and the process's last words (a failed write to stdout, a stop by signal).
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
  /** One sentence for stderr (or the log), or undefined when already shown. */
  readonly message: string | undefined
}

/** Errors of any program that mean "change the invocation or the settings": exit 2. */
const USAGE_TAGS: ReadonlyArray<string> = ["UsageError", "ConfigError", "GitHubConfigError", "ArchiveLocationError"]

/**
 * An archive location that cannot be reached when a run starts (no such bucket, access denied on the first request,
 * a wrong region, an unreachable endpoint): the settings are wrong, not the run.
 */
const isUnavailableLocation = (u: unknown): boolean =>
  tagOf(u) === "ArchiveStoreError" &&
  (u as { readonly reason?: { readonly _tag?: string } }).reason?._tag === "Unavailable"

/** An encrypted archive whose contents were asked for without any identity: the invocation lacks a key file. */
const isMissingIdentity = (u: unknown): boolean =>
  tagOf(u) === "ArchiveError" && (u as { readonly reason?: unknown }).reason === "Encrypted"

const tagOf = (u: unknown): string | undefined =>
  typeof u === "object" && u !== null && "_tag" in u && typeof u._tag === "string" ? u._tag : undefined

const firstLine = (u: unknown): string => {
  const message = typeof u === "object" && u !== null && "message" in u ? u.message : u
  return String(message).split("\n")[0] ?? ""
}

/**
 * Maps whatever a program failed with to an exit code and a one-line message — never a stack trace.
 * `usageTags` names a program's own errors that are usage or configuration errors (the worker's config file).
 */
export const classify = (cause: Cause.Cause<unknown>, usageTags: ReadonlyArray<string> = []): Classified => {
  if (Cause.hasInterruptsOnly(cause)) return { code: ExitCode.Failed, message: "interrupted" }
  const error = Cause.squash(cause)
  // A parse error is already on stderr (Presenter.ts), or the help, when no command was given.
  if (CliError.isCliError(error)) return { code: ExitCode.Usage, message: undefined }
  const tag = tagOf(error)
  // By tag, not instanceof: a program and its tests may load two copies of this module.
  if (tag === "RunFailed") {
    const e = error as RunFailed
    return { code: ExitCode.Failed, message: e.reported ? undefined : firstLine(e) }
  }
  if (
    (tag !== undefined && (USAGE_TAGS.includes(tag) || usageTags.includes(tag))) ||
    isUnavailableLocation(error) ||
    isMissingIdentity(error)
  ) {
    return { code: ExitCode.Usage, message: firstLine(error) }
  }
  return { code: ExitCode.Failed, message: firstLine(error) }
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
