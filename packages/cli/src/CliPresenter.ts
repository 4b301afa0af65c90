// effect/cli's own words, routed like a command's through Output: help and --version are results (stdout); a parse
// error is a usage error, one sentence on stderr pointing at the command's help, with stdout left empty for the
// scripts that read it (one JSON object with --json). Every help page, the root's and each subcommand's, ends with
// the exit codes, written once here rather than in each command's description.
import { Effect } from "effect"
import { type CliError, CliOutput, TerminalCapabilities } from "effect/cli"
import { Output } from "./Output.ts"

const exitCodes = [
  ["0", "all done"],
  ["1", "something failed at run time (partial export, verification failure, unreadable archive, failed replay items)"],
  ["2", "usage or configuration error (unknown flag, bad value, missing token, unreadable map file)"],
  ["130, 143", "stopped by SIGINT or SIGTERM (an export's temporary file is removed)"]
] as const

/** The help page of a command with the exit codes section after the rest, styled like effect/cli's headings. */
export const withExitCodes = (help: string, colors: boolean): string => {
  const heading = colors ? "\x1b[1mEXIT CODES\x1b[0m" : "EXIT CODES"
  return [help, "", heading, ...exitCodes.map(([code, meaning]) => `  ${code}  ${meaning}`)].join("\n")
}

/**
 * One line for a parse error: its message without effect/cli's multi-line "Did you mean this?" block, whose
 * suggestions go in parentheses instead.
 */
const sentence = (error: CliError.NonShowHelpErrors): string => {
  const [first = ""] = error.message.split("\n")
  const suggestions = "suggestions" in error ? error.suggestions : []
  return suggestions.length > 0 ? `${first} (did you mean ${suggestions.join(" or ")}?)` : first
}

export const presenter: CliOutput.Presenter = {
  present: (event) =>
    Effect.gen(function* () {
      const out = (yield* Output)(false)
      // Colors when stdout is a terminal (and NO_COLOR is unset), as effect/cli decides.
      const { canColor } = yield* TerminalCapabilities.TerminalCapabilities
      switch (event._tag) {
        case "Version":
          return yield* out.result(
            CliOutput.defaultFormatter({ colors: canColor }).formatVersion(event.name, event.version),
            undefined
          )
        case "Help": {
          if (event.reason === "Requested") {
            const help = CliOutput.defaultFormatter({ colors: canColor }).formatHelpDoc(event.helpDoc)
            return yield* out.result(withExitCodes(help, canColor), undefined)
          }
          // "Implicit": a command that needs a subcommand was given none. That exits 2, so the help goes to stderr.
          const colors = canColor && process.stderr.isTTY === true
          return yield* out.usage(
            withExitCodes(CliOutput.defaultFormatter({ colors }).formatHelpDoc(event.helpDoc), colors)
          )
        }
        case "InvalidInvocation":
          return yield* out.error(`${event.errors.map(sentence).join("; ")}; see ${event.commandPath.join(" ")} --help`)
      }
    })
}
