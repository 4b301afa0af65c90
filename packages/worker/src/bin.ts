#!/usr/bin/env node
// Entry point of `spaces-vault-worker`: a lean heap (see LeanHeap), Node services, run, exit code.
import { NodeRuntime, NodeServices } from "@effect/platform-node"
import { applyLeanHeap } from "@spaces-vault/core/runtime/LeanHeap"
import { Cause, Effect, Exit, Layer } from "effect"
import { layerFor, run, type RunMode, stoppedExitCode } from "./main.ts"

applyLeanHeap()
// runMain interrupts the run on SIGINT and SIGTERM alike; remember which, for a --once run's exit code.
let signal: "SIGINT" | "SIGTERM" | undefined
for (const s of ["SIGINT", "SIGTERM"] as const) process.once(s, () => (signal ??= s))
const mode: RunMode = { once: false }
NodeRuntime.runMain(
  run(process.argv.slice(2), mode).pipe(
    Effect.flatMap((code) => Effect.sync(() => (process.exitCode = code))),
    Effect.provide(Layer.mergeAll(NodeServices.layer, layerFor(process.stdout.isTTY === true)))
  ),
  {
    disableErrorReporting: true,
    teardown: (exit, onExit) =>
      onExit(
        Exit.isFailure(exit) && Cause.hasInterruptsOnly(exit.cause)
          ? stoppedExitCode(mode, signal)
          : typeof process.exitCode === "number"
            ? process.exitCode
            : 0
      )
  }
)
