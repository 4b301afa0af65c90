// Runs the CLI in-process, as a user would from a shell, with a recording Output, environment variables supplied
// through a ConfigProvider (never process.env) and a chosen working directory, and returns the exit code and what
// was printed.
import { mkdtempSync } from "node:fs"
import { mkdtemp } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { NodeServices } from "@effect/platform-node"
import { UserDirectory } from "@spaces-vault/program/UserPaths"
import { ConfigProvider, Effect, Layer } from "effect"
import { run } from "../src/main.ts"
import { makeRecordingOutput, Output, type RecordedOutput } from "../src/Output.ts"

export interface CliResult extends RecordedOutput {
  readonly code: number
  /** stdout parsed as one JSON object (for --json runs). */
  readonly json: () => any
}

export interface CliOptions {
  /** The directory the command is run in, which relative paths mean (default: the process's). */
  readonly cwd?: string
}

/**
 * The state directory of a test that names none: a temporary one, so no test ever reads or writes the replay journals
 * of the user running the tests (~/.local/state/spaces-vault).
 */
const defaultStateDir = mkdtempSync(join(tmpdir(), "sv-cli-state-"))

export const cli = (
  args: ReadonlyArray<string>,
  env: Record<string, string | undefined> = {},
  options: CliOptions = {}
): Effect.Effect<CliResult> => {
  const recorded: RecordedOutput = { stdout: [], stderr: [] }
  const layer = Layer.mergeAll(
    NodeServices.layer,
    ConfigProvider.layer(ConfigProvider.fromEnvRecord({ SPACES_VAULT_STATE_DIR: defaultStateDir, ...env })),
    Layer.succeed(Output, (json: boolean) => makeRecordingOutput(json, recorded)),
    options.cwd === undefined ? Layer.empty : Layer.succeed(UserDirectory, options.cwd)
  )
  return run(args).pipe(
    Effect.provide(layer),
    Effect.map((code) => ({ code, ...recorded, json: () => JSON.parse(recorded.stdout.join("\n")) }))
  )
}

/** A fresh temporary directory. */
export const tmp = Effect.promise(() => mkdtemp(join(tmpdir(), "sv-cli-")))

/** `cli` as a Promise, for async tests not yet written as `it.live` Effects. */
export const runCli = (
  args: ReadonlyArray<string>,
  env: Record<string, string | undefined> = {},
  options?: CliOptions
) => Effect.runPromise(cli(args, env, options))
