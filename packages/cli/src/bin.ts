#!/usr/bin/env node
// Entry point of the `spaces-vault` program: a lean heap, Node services, run, exit code.
import { NodeRuntime, NodeServices } from "@effect/platform-node"
import { applyLeanHeap } from "@spaces-vault/core/runtime/LeanHeap"
import { Effect } from "effect"
import { interruptedTeardown, type StopSignal } from "./ExitCode.ts"
import { run } from "./main.ts"

applyLeanHeap()
// runMain interrupts the run on SIGINT and SIGTERM alike; remember which, for the exit code (128 + its number).
let signal: StopSignal | undefined
for (const s of ["SIGINT", "SIGTERM"] as const) process.once(s, () => (signal ??= s))
NodeRuntime.runMain(
  run(process.argv.slice(2)).pipe(
    Effect.flatMap((code) => Effect.sync(() => (process.exitCode = code))),
    Effect.provide(NodeServices.layer)
  ),
  {
    disableErrorReporting: true,
    teardown: interruptedTeardown(
      () => signal,
      // Below the progress line, which stays to show how far the run got.
      (line) => process.stderr.write(process.stderr.isTTY ? `\n${line}` : line)
    )
  }
)
