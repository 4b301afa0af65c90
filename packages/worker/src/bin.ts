#!/usr/bin/env node
// Entry point of `spaces-vault-worker`: a lean heap (see LeanHeap), Node services, run, exit code.
import { NodeRuntime, NodeServices } from "@effect/platform-node"
import { applyLeanHeap } from "@spaces-vault/core/runtime/LeanHeap"
import { Effect, Layer } from "effect"
import { layerFor, run } from "./main.ts"

applyLeanHeap()
NodeRuntime.runMain(
  run(process.argv.slice(2)).pipe(
    Effect.flatMap((code) => Effect.sync(() => (process.exitCode = code))),
    Effect.provide(Layer.mergeAll(NodeServices.layer, layerFor(process.stdout.isTTY === true)))
  ),
  {
    disableErrorReporting: true,
    teardown: (_exit, onExit) => onExit(typeof process.exitCode === "number" ? process.exitCode : 0)
  }
)
