// The spaces-vault command line: the command tree, and `run`, which turns any outcome into an exit code.
import { Effect, Logger, Option } from "effect"
import { Argument, type CliError, Command } from "effect/cli"
import { classify, ExitCode } from "@spaces-vault/program/ExitCode"
import { type ExitCodeTable, makePresenter } from "@spaces-vault/program/Presenter"
import { runCommand } from "@spaces-vault/program/Program"
import { Output } from "./Output.ts"
import { commands } from "./commands/index.ts"

const description = `Back up, verify, restore and migrate GitHub Copilot Spaces.

Token: GH_TOKEN, else GITHUB_TOKEN. API URL: --api-url, else GITHUB_API_URL, else https://api.github.com.`

export const exitCodes: ExitCodeTable = [
  ["0", "all done"],
  ["1", "something failed at run time (partial export, verification failure, unreadable archive, failed replay items)"],
  ["2", "usage or configuration error (unknown flag, bad value, missing token, unreadable map file)"],
  ["130, 143", "stopped by SIGINT or SIGTERM (an export's temporary file is removed)"]
]

/** effect/cli's words go where a command's do: help and --version to stdout, a parse error to stderr. */
export const presenter = makePresenter(
  exitCodes,
  Effect.gen(function* () {
    const out = (yield* Output)(false)
    return { result: (text: string) => out.result(text, undefined), usage: out.usage, error: out.error }
  })
)

const commandNames = [...commands.map((c) => c.name), "help"]

/** `spaces-vault help [COMMAND]`: the same page as `spaces-vault [COMMAND] --help`. */
const helpCommand = Command.make(
  "help",
  {
    command: Argument.Literals("command", commandNames).pipe(
      Argument.withDescription("the command to explain (default: the list of commands)"),
      Argument.optional
    )
  },
  // Typed by hand: the page comes from the root command, which lists this one.
  (f): Effect.Effect<void, CliError.CliError, Command.Environment> =>
    Effect.suspend(() => runCommand(helpOnly(), presenter)([...Option.toArray(f.command), "--help"]))
).pipe(
  Command.withDescription("Show the help of a command, or of spaces-vault."),
  Command.withExamples([
    { command: "spaces-vault help export", description: "the flags of export, with examples" },
    { command: "spaces-vault help", description: "the list of commands" }
  ])
)

export const rootCommand = Command.make("spaces-vault").pipe(
  Command.withDescription(description),
  Command.withSubcommands([...commands, helpCommand])
)

/** The root command, asked only for help pages: `--help` runs no handler, so it needs nothing and fails with none. */
const helpOnly = () => rootCommand as unknown as Command.Command<"spaces-vault", object, object, never, never>

/** Runs the CLI on `args` (without node and script) and returns the exit code; never fails. */
export const run = (args: ReadonlyArray<string>) =>
  runCommand(
    rootCommand,
    presenter
  )(args).pipe(
    Effect.as<ExitCode>(ExitCode.Ok),
    // stdout carries only results (one JSON object with --json); logs such as rate-limit waits go to stderr.
    Effect.provideService(Logger.LogToStderr, true),
    Effect.catchCause((cause) => {
      const { code, message } = classify(cause)
      if (message === undefined) return Effect.succeed(code)
      return Effect.gen(function* () {
        const out = (yield* Output)(false)
        yield* out.error(message)
        return code
      })
    })
  )
