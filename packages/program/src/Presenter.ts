// effect/cli's own words, for both programs: help and --version are results (stdout); a parse error is a usage
// error, one sentence on stderr pointing at the command's help, with stdout left empty for the scripts (and log
// collectors) that read it. Every help page ends with the program's exit codes, and marks the flags a command needs.
import { Effect, Option } from "effect"
import { type CliError, CliOutput, type HelpDoc, TerminalCapabilities } from "effect/cli"

/** Where the presenter writes; each program routes these through its own output. */
export interface PresenterSink {
  /** stdout: a help page that was asked for, the version. */
  readonly result: (text: string) => Effect.Effect<void>
  /** stderr, as it is: the help shown when a command was needed and none was given. */
  readonly usage: (text: string) => Effect.Effect<void>
  /** stderr, one line, said as an error. */
  readonly error: (line: string) => Effect.Effect<void>
}

/** Plain stdio, for a program without an output service of its own. */
export const stdioSink: PresenterSink = {
  result: (text) => Effect.sync(() => void process.stdout.write(text.endsWith("\n") ? text : `${text}\n`)),
  usage: (text) => Effect.sync(() => void process.stderr.write(text.endsWith("\n") ? text : `${text}\n`)),
  error: (line) => Effect.sync(() => void process.stderr.write(`error: ${line}\n`))
}

/** A program's exit codes, as its help lists them: `[code, meaning]`. */
export type ExitCodeTable = ReadonlyArray<readonly [code: string, meaning: string]>

/** The help page of a command with the exit codes section after the rest, styled like effect/cli's headings. */
export const withExitCodes = (help: string, exitCodes: ExitCodeTable, colors: boolean): string => {
  const heading = colors ? "\x1b[1mEXIT CODES\x1b[0m" : "EXIT CODES"
  return [help, "", heading, ...exitCodes.map(([code, meaning]) => `  ${code}  ${meaning}`)].join("\n")
}

/** Flags a command cannot run without say so: effect/cli knows, but its help page does not show it. */
export const markRequired = (doc: HelpDoc.HelpDoc): HelpDoc.HelpDoc => ({
  ...doc,
  flags: doc.flags.map((flag) =>
    flag.required
      ? { ...flag, description: Option.some(`${Option.getOrElse(flag.description, () => "")} (required)`.trim()) }
      : flag
  )
})

/**
 * One line for a parse error: its message without effect/cli's multi-line "Did you mean this?" block, whose
 * suggestions go in parentheses instead.
 */
export const sentence = (error: CliError.NonShowHelpErrors): string => {
  const [first = ""] = error.message.split("\n")
  const suggestions = "suggestions" in error ? error.suggestions : []
  return suggestions.length > 0 ? `${first} (did you mean ${suggestions.join(" or ")}?)` : first
}

export const makePresenter = (exitCodes: ExitCodeTable, sink: Effect.Effect<PresenterSink>): CliOutput.Presenter => ({
  present: (event) =>
    Effect.gen(function* () {
      const out = yield* sink
      // Colors when stdout is a terminal (and NO_COLOR is unset), as effect/cli decides.
      const { canColor } = yield* TerminalCapabilities.TerminalCapabilities
      const page = (doc: HelpDoc.HelpDoc, colors: boolean) =>
        withExitCodes(CliOutput.defaultFormatter({ colors }).formatHelpDoc(markRequired(doc)), exitCodes, colors)
      switch (event._tag) {
        case "Version":
          return yield* out.result(
            CliOutput.defaultFormatter({ colors: canColor }).formatVersion(event.name, event.version)
          )
        case "Help":
          if (event.reason === "Requested") return yield* out.result(page(event.helpDoc, canColor))
          // "Implicit": a command that needs a subcommand was given none. That exits 2, so the help goes to stderr.
          return yield* out.usage(page(event.helpDoc, canColor && process.stderr.isTTY === true))
        case "InvalidInvocation":
          return yield* out.error(`${event.errors.map(sentence).join("; ")}; see ${event.commandPath.join(" ")} --help`)
      }
    })
})
