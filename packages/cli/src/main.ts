// The spaces-vault command line: the command tree, and `run`, which turns any outcome into an exit code.
import { Effect, Logger } from "effect"
import { CliConfig, CliOutput, Command, GlobalFlag } from "effect/cli"
import { presenter } from "./CliPresenter.ts"
import { classify, ExitCode } from "./ExitCode.ts"
import { Output } from "./Output.ts"
import { commands } from "./commands/index.ts"
import { VERSION } from "./version.ts"

const description = `Back up, verify, restore and migrate GitHub Copilot Spaces.

Token: GH_TOKEN, else GITHUB_TOKEN. API URL: --api-url, else GITHUB_API_URL, else https://api.github.com.`

export const rootCommand = Command.make("spaces-vault").pipe(
  Command.withDescription(description),
  Command.withSubcommands(commands)
)

/**
 * effect/cli's built-in global flags, without --wizard. The wizard is an interactive menu that builds a command
 * line; effect/cli starts it without checking that stdin is a terminal (under cron or in a container it draws the
 * menu and blocks, or says "Wizard cancelled." and exits 0), and it cannot be configured, only left out. spaces-vault
 * never prompts and its commands are a few documented flags, so the wizard has no use here: `--wizard` is an
 * unknown flag, a usage error (exit 2). --help, --version, --completions and --log-level never read stdin.
 */
const cliConfig = CliConfig.make({
  builtIns: GlobalFlag.BuiltIns.filter((flag) => flag !== GlobalFlag.Wizard)
})

/** Runs the CLI on `args` (without node and script) and returns the exit code; never fails. */
export const run = (args: ReadonlyArray<string>) =>
  Command.runWith(rootCommand, { version: VERSION })(args).pipe(
    Effect.as<ExitCode>(ExitCode.Ok),
    Effect.provideService(CliConfig.CliConfig, cliConfig),
    // Help and --version on stdout; a parse error on stderr only, in one line (CliPresenter.ts).
    Effect.provideService(CliOutput.Presenter, presenter),
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
