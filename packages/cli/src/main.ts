// The spaces-vault command line: the command tree, and `run`, which turns any outcome into an exit code.
import { Effect, Logger } from "effect"
import { Command } from "effect/cli"
import { classify, ExitCode } from "./ExitCode.ts"
import { Output } from "./Output.ts"
import { commands } from "./commands/index.ts"
import { VERSION } from "./version.ts"

const description = `Back up, verify, restore and migrate GitHub Copilot Spaces.

Token: GH_TOKEN, else GITHUB_TOKEN. API URL: --api-url, else GITHUB_API_URL, else https://api.github.com.
Exit codes: 0 all done; 1 something failed at run time (partial export, verification failure,
unreadable archive, failed replay items); 2 usage or configuration error (unknown flag, bad value, missing token).`

export const rootCommand = Command.make("spaces-vault").pipe(
  Command.withDescription(description),
  Command.withSubcommands(commands)
)

/** Runs the CLI on `args` (without node and script) and returns the exit code; never fails. */
export const run = (args: ReadonlyArray<string>) =>
  Command.runWith(rootCommand, { version: VERSION })(args).pipe(
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
