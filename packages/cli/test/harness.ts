// Runs the CLI in-process, as a user would from a shell, with a recording Output and environment variables
// supplied through a ConfigProvider (never process.env), and returns the exit code and what was printed.
import { NodeServices } from "@effect/platform-node"
import { ConfigProvider, Effect, Layer } from "effect"
import { run } from "../src/main.ts"
import { makeRecordingOutput, Output, type RecordedOutput } from "../src/Output.ts"

export interface CliResult extends RecordedOutput {
  readonly code: number
  /** stdout parsed as one JSON object (for --json runs). */
  readonly json: () => any
}

export const runCli = (
  args: ReadonlyArray<string>,
  env: Record<string, string | undefined> = {}
): Promise<CliResult> => {
  const recorded: RecordedOutput = { stdout: [], stderr: [] }
  const layer = Layer.mergeAll(
    NodeServices.layer,
    ConfigProvider.layer(ConfigProvider.fromEnvRecord(env)),
    Layer.succeed(Output, (json: boolean) => makeRecordingOutput(json, recorded))
  )
  return Effect.runPromise(run(args).pipe(Effect.provide(layer))).then((code) => ({
    code,
    ...recorded,
    json: () => JSON.parse(recorded.stdout.join("\n"))
  }))
}
