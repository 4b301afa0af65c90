#!/usr/bin/env node
// Entry point of the `spaces-vault` program: Node services, run, exit code.
import { NodeRuntime, NodeServices } from "@effect/platform-node"
import { Effect } from "effect"
import { run } from "./main.ts"

NodeRuntime.runMain(
  run(process.argv.slice(2)).pipe(
    Effect.flatMap((code) => Effect.sync(() => (process.exitCode = code))),
    Effect.provide(NodeServices.layer)
  ),
  { disableErrorReporting: true }
)
