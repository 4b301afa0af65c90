// The worker's side of the location locks in its state directory: retention skips a run while a prune (or another
// shard) holds the location's retention lock, without failing the backup; an export another process is writing to
// the same location and shard fails the run. And a store that cannot be reached at the start is a setup failure.
import { readdir } from "node:fs/promises"
import { join } from "node:path"
import { NodeServices } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { startFakeHub } from "@spaces-vault/fixtures"
import { Effect, Layer } from "effect"
import { lockLocation } from "@spaces-vault/core/archive/LocationLock"
import { ArchiveStoreError } from "@spaces-vault/core/archive/ArchiveStore"
import { GitHubClient } from "@spaces-vault/core/github/GitHubClient"
import { RunHistory } from "../src/RunHistory.ts"
import { type ExportStep, liveExport, runOnce, runOnceOutcome } from "../src/RunOnce.ts"
import { testClientOptions } from "../../core/test/github/testClientOptions.ts"
import { captureLogs, configFor, exportReturning, tmp } from "./WorkerTestKit.ts"

const zips = (dir: string) =>
  Effect.promise(() => readdir(dir)).pipe(Effect.map((names) => names.filter((n) => n.endsWith(".zip")).sort()))

describe("the worker and the location locks", () => {
  it.live("retention is skipped, logged and not a failure while a prune holds the location's retention lock", () => {
    const logs = captureLogs()
    return Effect.gen(function* () {
      const hub = yield* Effect.acquireRelease(
        Effect.promise(() => startFakeHub({ seed: "demo" })),
        (h) => Effect.promise(() => h.close())
      )
      const client = GitHubClient.layer(testClientOptions({ hub, concurrency: 8 }))
      const dir = yield* tmp
      const config = configFor(dir)
      const run = runOnce(config, undefined, liveExport).pipe(Effect.provide(client))
      assert.strictEqual((yield* run).result, "success")
      const held = yield* Effect.scoped(
        Effect.gen(function* () {
          // `spaces-vault prune --state-dir <the worker's stateDir>` on this machine, say.
          yield* lockLocation(config.stateDir, "retention", dir)
          return yield* run
        })
      )
      assert.strictEqual(held.result, "success")
      assert.deepStrictEqual(held.removedArchives, [])
      assert.strictEqual((yield* zips(dir)).length, 2)
      assert.isTrue(
        logs.lines.some((l) =>
          new RegExp(`^retention skipped: retention of ${dir} is locked by pid ${process.pid} on .* since \\S+Z`).test(
            l
          )
        ),
        logs.lines.join("\n")
      )
      // The next run, the lock gone, catches up.
      const next = yield* run
      assert.strictEqual(next.removedArchives.length, 2)
      assert.deepStrictEqual(yield* zips(dir), [next.archive!.split("/").pop()!])
    }).pipe(Effect.scoped, Effect.provide(Layer.mergeAll(RunHistory.layer(), NodeServices.layer, logs.layer)))
  })

  it.effect("a CLI export of the same shard to the same location, with this state directory, fails the run", () =>
    Effect.gen(function* () {
      const dir = yield* tmp
      const config = configFor(dir, { shard: { index: 1, count: 2 } })
      let exported = 0
      const step: ExportStep<never> = (c, runId) => {
        exported++
        return exportReturning(join(dir, "x.zip"))(c, runId)
      }
      const status = yield* Effect.scoped(
        Effect.gen(function* () {
          yield* lockLocation(config.stateDir, "export", dir, { shard: { index: 1, count: 2 } })
          // Another shard's export is not in the way.
          yield* lockLocation(config.stateDir, "export", dir, { shard: { index: 0, count: 2 } })
          return yield* runOnce(config, undefined, step)
        })
      )
      assert.strictEqual(status.result, "failed")
      assert.match(
        status.error!,
        /^exporting shard 1 of 2 to .* is locked by pid \d+ on .* since .*; another export of it is running$/
      )
      assert.strictEqual(exported, 0)
      assert.strictEqual((yield* runOnce(config, undefined, step)).result, "success")
    }).pipe(Effect.provide(Layer.mergeAll(RunHistory.layer(), NodeServices.layer, captureLogs().layer)))
  )

  it.effect("an export that fails on an unreachable store is a setup failure; any other failure is not", () =>
    Effect.gen(function* () {
      const dir = yield* tmp
      const unavailable = new ArchiveStoreError({
        operation: "list",
        target: "s3://no-such-vault/nightly",
        reason: { _tag: "Unavailable", detail: "S3 bucket no-such-vault does not exist" }
      })
      const setup = yield* runOnceOutcome(configFor(dir), undefined, () => Effect.fail(unavailable))
      assert.strictEqual(setup.status.result, "failed")
      assert.strictEqual(setup.setupFailure, unavailable)
      const failedWrite = new ArchiveStoreError({
        operation: "write",
        target: "s3://vault/nightly",
        reason: { _tag: "Failed", detail: "connection reset" }
      })
      const during = yield* runOnceOutcome(configFor(dir), undefined, () => Effect.fail(failedWrite))
      assert.strictEqual(during.status.result, "failed")
      assert.isUndefined(during.setupFailure)
    }).pipe(Effect.provide(Layer.mergeAll(RunHistory.layer(), NodeServices.layer, captureLogs().layer)))
  )
})
