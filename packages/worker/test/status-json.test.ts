// status.json against docs/json.md, written by the worker's own run (runOnce) against fakehub: a complete run with
// retention (an archive removed, an unreadable one kept), a partial run, a failed one and an interrupted one; each documented field
// present with its documented type, fields the document does not name allowed.
import { copyFile, mkdtemp, readFile, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { NodeServices } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { startFakeHub } from "@spaces-vault/fixtures"
import { checkShape, readShapes } from "@spaces-vault/fixtures/jsonShapes"
import { Deferred, Effect, Fiber, Layer, Logger } from "effect"
import { GitHubClient } from "@spaces-vault/core/github/GitHubClient"
import { testClientOptions } from "../../core/test/github/testClientOptions.ts"
import { RunHistory } from "../src/RunHistory.ts"
import { liveExport, runOnce, type ExportStep } from "../src/RunOnce.ts"
import { STATUS_FILE } from "../src/StatusFile.ts"
import type { WorkerConfig } from "../src/WorkerConfig.ts"

const config = (dir: string, orgs: ReadonlyArray<string>): WorkerConfig => ({
  owners: { orgs: [...orgs] },
  schedule: { cron: "30 2 * * *" },
  outputDir: dir,
  stateDir: join(dir, ".spaces-vault"),
  retention: { keepLast: 1 },
  // A file that does not exist: a notice that is due fails, and status.json says why.
  notify: { webhookUrlFile: join(dir, "no-such-webhook-url") }
})

describe("status.json", () => {
  // Live clock: archive names and retention read real times.
  it.live("has the documented shape after a complete, a partial, a failed and an interrupted run", () =>
    Effect.acquireUseRelease(
      Effect.promise(() => startFakeHub({ seed: "demo" })),
      (hub) =>
        Effect.gen(function* () {
          const doc = yield* Effect.promise(() => readFile(new URL("../../../docs/json.md", import.meta.url), "utf8"))
          const rules = readShapes(doc).get("status.json")
          assert.isDefined(rules, 'docs/json.md has no "## status.json" section')
          const client = GitHubClient.layer(testClientOptions({ hub, concurrency: 8, userAgent: "t" }))
          const dir = yield* Effect.promise(() => mkdtemp(join(tmpdir(), "sv-status-")))
          const seen = new Set<string>()
          // One history for all runs, as in one worker process.
          const services = Layer.mergeAll(
            client,
            NodeServices.layer,
            Logger.layer([]),
            Layer.succeed(RunHistory, yield* RunHistory.make())
          )
          const readStatus = Effect.promise(() =>
            readFile(join(dir, ".spaces-vault", STATUS_FILE), "utf8").then((text) => JSON.parse(text))
          )
          const runAndCheck = <R>(orgs: ReadonlyArray<string>, step: ExportStep<R>, next: number | undefined) =>
            Effect.gen(function* () {
              const returned = yield* runOnce(config(dir, orgs), next, step)
              const status = yield* readStatus
              assert.deepStrictEqual(checkShape(rules!, status, seen), [])
              assert.strictEqual(status.result, returned.result)
              return status
            }).pipe(Effect.provide(services))

          // An older archive for retention to remove, and a damaged one it must keep and report.
          const first = yield* runAndCheck(["octo-archive"], liveExport, undefined)
          yield* Effect.promise(() => copyFile(first.archive, join(dir, "spaces-vault-20200102T000000Z.zip")))
          yield* Effect.promise(() => writeFile(join(dir, "spaces-vault-20200101T000000Z.zip"), "not a zip"))
          hub.state.deleteSpace("octo-archive", 1)
          const complete = yield* runAndCheck(["octo-archive"], liveExport, Date.parse("2030-01-01T02:30:00Z"))
          assert.strictEqual(complete.result, "success")
          assert.deepStrictEqual(
            complete.changes["octo-archive"].deleted.map((d: { number: number }) => d.number),
            [1]
          )
          assert.match(complete.notifyError, /cannot read the webhook URL file/)
          assert.strictEqual(complete.nextRunAt, "2030-01-01T02:30:00.000Z")
          // mona is a user listed among the orgs: a failed owner, and one GitHub knows as the other kind.
          const partial = yield* runAndCheck(["octo-archive", "mona"], liveExport, undefined)
          assert.strictEqual(partial.result, "partial")
          const down: ExportStep<never> = () => Effect.fail({ message: "GitHub is down" })
          const failed = yield* runAndCheck(["octo-archive"], down, undefined)
          assert.deepStrictEqual([failed.result, failed.archive, failed.error], ["failed", null, "GitHub is down"])
          assert.strictEqual(failed.lastSuccessAt, complete.lastRunFinishedAt)
          // Stopped (SIGTERM) while the export runs.
          const interrupted = yield* Effect.gen(function* () {
            const started = yield* Deferred.make<void>()
            const hanging: ExportStep<never> = () => Effect.andThen(Deferred.succeed(started, undefined), Effect.never)
            const fiber = yield* Effect.forkChild(runOnce(config(dir, ["octo-archive"]), undefined, hanging))
            yield* Deferred.await(started)
            yield* Fiber.interrupt(fiber)
            return yield* readStatus
          }).pipe(Effect.provide(services))
          assert.deepStrictEqual(checkShape(rules!, interrupted, seen), [])
          assert.deepStrictEqual([interrupted.result, interrupted.archive], ["interrupted", null])

          const unreached = rules!.map((r) => r.field).filter((f) => !seen.has(f))
          assert.deepStrictEqual(unreached, [], "documented fields no run reached")
          assert.deepStrictEqual(hub.counters.contractViolations, [])
        }),
      (hub) => Effect.promise(() => hub.close())
    )
  )
})
