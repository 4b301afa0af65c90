#!/usr/bin/env node
// Entry point of the `spaces-vault` program: a lean heap, Node services, run, exit code.
import { NodeRuntime, NodeServices } from "@effect/platform-node"
import { applyLeanHeap } from "@spaces-vault/core/runtime/LeanHeap"
import { Effect } from "effect"
import { run } from "./main.ts"

applyLeanHeap()
NodeRuntime.runMain(
  run(process.argv.slice(2)).pipe(
    Effect.flatMap((code) => Effect.sync(() => (process.exitCode = code))),
    Effect.provide(NodeServices.layer)
  ),
  { disableErrorReporting: true }
)
