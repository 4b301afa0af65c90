#!/usr/bin/env node
// Entry point of `spaces-vault-worker`.
import { NodeRuntime, NodeServices } from "@effect/platform-node"
import { Effect, Layer } from "effect"
import { layerFor, run } from "./main.ts"

NodeRuntime.runMain(
  run(process.argv.slice(2)).pipe(
    Effect.flatMap((code) => Effect.sync(() => (process.exitCode = code))),
    Effect.provide(Layer.mergeAll(NodeServices.layer, layerFor(process.stdout.isTTY === true)))
  ),
  { disableErrorReporting: true, teardown: (_exit, onExit) => onExit(typeof process.exitCode === "number" ? process.exitCode : 0) }
)
