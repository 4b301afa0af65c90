#!/usr/bin/env node
// Entry point of the `spaces-vault` program: a lean heap, Node services, run, exit code.
import { NodeRuntime, NodeServices } from "@effect/platform-node"
import { applyLeanHeap } from "@spaces-vault/core/runtime/LeanHeap"
import { Effect } from "effect"
import { ExitCode, interruptedTeardown, stdoutWriteFailure, type StopSignal } from "@spaces-vault/program/ExitCode"
import { run } from "./main.ts"

applyLeanHeap()
// A write to stdout that fails (ENOSPC on a full disk, EPIPE when the reader went away) is an 'error' event on
// process.stdout, which Node throws with a stack trace when nothing listens. Every write to stdout (a command's
// result, help, --version) meets it here: the first one is said once, in one sentence on stderr, and makes the exit
// code at least 1 — except EPIPE, which stays quiet and keeps the command's code. Later writes go nowhere.
let stdoutGone = false
let stdoutFailed = false
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (stdoutGone) return
  stdoutGone = true
  const message = stdoutWriteFailure(error)
  if (message === undefined) return
  stdoutFailed = true
  process.stderr.write(`error: ${message}\n`)
  process.exitCode = Math.max(Number(process.exitCode ?? 0), ExitCode.Failed)
})
// A failed write to stderr (closed, or full as well) has nowhere left to be reported; it must not crash the run.
process.stderr.on("error", () => {})
// runMain interrupts the run on SIGINT and SIGTERM alike; remember which, for the exit code (128 + its number).
let signal: StopSignal | undefined
for (const s of ["SIGINT", "SIGTERM"] as const) process.once(s, () => (signal ??= s))
NodeRuntime.runMain(
  run(process.argv.slice(2)).pipe(
    // The error event of a failed write to stdout can come before or after the command's end.
    Effect.flatMap((code) =>
      Effect.sync(() => (process.exitCode = stdoutFailed ? Math.max(code, ExitCode.Failed) : code))
    ),
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
