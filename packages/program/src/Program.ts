// How both programs run their command line: effect/cli's built-in flags without --wizard, the project's version,
// and a presenter that keeps parse errors to one line on stderr.
import { Effect } from "effect"
import { CliConfig, CliOutput, Command, GlobalFlag } from "effect/cli"
import { VERSION } from "./Version.ts"

/**
 * effect/cli's built-in global flags, without --wizard. The wizard is an interactive menu that builds a command
 * line; effect/cli starts it without checking that stdin is a terminal (under cron or in a container it draws the
 * menu and blocks, or says "Wizard cancelled." and exits 0), and it cannot be configured, only left out. Neither
 * program ever prompts, so `--wizard` is an unknown flag, a usage error (exit 2). --help, --version, --completions
 * and --log-level never read stdin.
 */
export const cliConfig = CliConfig.make({
  builtIns: GlobalFlag.BuiltIns.filter((flag) => flag !== GlobalFlag.Wizard)
})

/** Runs `command` on `args` (without node and script) with the shared settings; fails as the command does. */
export const runCommand =
  <const Name extends string, Input, Err, R, ContextInput>(
    command: Command.Command<Name, Input, ContextInput, Err, R>,
    presenter: CliOutput.Presenter
  ) =>
  (args: ReadonlyArray<string>) =>
    Command.runWith(command, { version: VERSION })(args).pipe(
      Effect.provideService(CliConfig.CliConfig, cliConfig),
      Effect.provideService(CliOutput.Presenter, presenter)
    )
