// One run: archive, retention, status.json in the state directory, and every way a run can fail or be stopped
// showing in status.json, health and metrics.
import { readdir, readFile, utimes, writeFile } from "node:fs/promises"
import { basename, join } from "node:path"
import { NodeServices } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { startFakeHub } from "@spaces-vault/fixtures"
import { Deferred, Effect, Fiber, Layer, Schema } from "effect"
import { TestClock } from "effect/testing"
import { openArchive } from "@spaces-vault/core/archive/ArchiveReader"
import { verifyArchive } from "@spaces-vault/core/archive/Verify"
import type { ExportSummary } from "@spaces-vault/core/export/ExportTypes"
import { GitHubClient } from "@spaces-vault/core/github/GitHubClient"
import { health } from "../src/Health.ts"
import { LOCK_FILE } from "../src/Lock.ts"
import { RunHistory } from "../src/RunHistory.ts"
import { type ExportStep, INTERRUPTED, liveExport, runOnce } from "../src/RunOnce.ts"
import type { WorkerConfig } from "../src/WorkerConfig.ts"
import { testClientOptions } from "../../core/test/github/testClientOptions.ts"
import { captureLogs, configFor, exportReturning, tmp } from "./WorkerTestKit.ts"

const readJson = (path: string) => Effect.promise(() => readFile(path, "utf8").then(JSON.parse))
const ls = (dir: string) => Effect.promise(() => readdir(dir).then((names) => names.sort()))
const statusOf = (config: WorkerConfig) => readJson(join(config.stateDir, "status.json"))

/** What a run needs besides its step: a fresh history, Node's file system, and the log capture. */
const runLayer = (logs = captureLogs()) => Layer.mergeAll(RunHistory.layer(), NodeServices.layer, logs.layer)

const partialWith =
  (archive: string, owners: ExportSummary["owners"]): ExportStep<never> =>
  () =>
    Effect.succeed({ archive, partial: true, owners, requests: 1, notModified: 0, durationMs: 1 })

class ExportFailed extends Schema.TaggedError<ExportFailed>()("ExportFailed", { message: Schema.String }) {}

describe("runOnce", () => {
  it.live("writes a verifiable archive and the status file against fakehub, then applies retention", () =>
    Effect.gen(function* () {
      const hub = yield* Effect.acquireRelease(
        Effect.promise(() => startFakeHub({ seed: "demo" })),
        (h) => Effect.promise(() => h.close())
      )
      const client = GitHubClient.layer(testClientOptions({ hub, concurrency: 8 }))
      const dir = yield* tmp
      const config = configFor(dir)
      const first = yield* runOnce(config, Date.parse("2026-11-26T01:30:00Z"), liveExport).pipe(Effect.provide(client))
      assert.strictEqual(first.result, "success")
      assert.isTrue((yield* verifyArchive(first.archive!)).ok)
      const status = yield* statusOf(config)
      assert.strictEqual(status.result, "success")
      assert.strictEqual(status.archive, first.archive)
      assert.strictEqual(status.nextRunAt, "2026-11-26T01:30:00.000Z")
      assert.deepStrictEqual(status.owners, [
        { owner: "octo-archive", kind: "org", spaces: 60, failed: 0, failures: [] }
      ])
      const second = yield* runOnce(config, undefined, liveExport).pipe(Effect.provide(client))
      assert.deepStrictEqual(second.removedArchives, [basename(first.archive!)])
      assert.deepStrictEqual(
        (yield* ls(dir)).filter((n) => n.endsWith(".zip")),
        [basename(second.archive!)]
      )
      // The lock and status.json live in the state directory, not among the archives.
      assert.deepStrictEqual(yield* ls(config.stateDir), ["status.json"])
      assert.notInclude(yield* ls(dir), LOCK_FILE)
      assert.notInclude(yield* ls(dir), "status.json")
    }).pipe(Effect.scoped, Effect.provide(runLayer()))
  )

  it.live("two shards of one config sharing an outputDir run at once, each with its lock, status and archive", () =>
    Effect.gen(function* () {
      const hub = yield* Effect.acquireRelease(
        Effect.promise(() => startFakeHub({ seed: "demo" })),
        (h) => Effect.promise(() => h.close())
      )
      const client = GitHubClient.layer(testClientOptions({ hub, concurrency: 8 }))
      const dir = yield* tmp
      // sha256 of the lowercased login mod 3: octo-migrated in shard 0, octo-archive and mona in shard 1.
      const shared = { owners: { orgs: ["octo-archive", "octo-migrated"], users: ["mona"] } }
      const shards = [0, 1].map((index) => configFor(dir, { ...shared, shard: { index, count: 3 } }))
      // Both hold their locks before either exports: a shared lock would refuse the second.
      const bothIn = yield* Deferred.make<void>()
      let entered = 0
      const step: ExportStep = (c, runId) =>
        Effect.gen(function* () {
          if (++entered === 2) yield* Deferred.succeed(bothIn, undefined)
          yield* Deferred.await(bothIn)
          return yield* liveExport(c, runId)
        })
      const scheduledAt = Date.parse("2026-11-25T02:30:00Z")
      const runs = yield* Effect.all(
        shards.map((c) => runOnce(c, undefined, step, scheduledAt)),
        { concurrency: "unbounded" }
      ).pipe(Effect.provide(client))
      assert.deepStrictEqual(
        runs.map((r) => r.result),
        ["success", "success"]
      )
      assert.deepStrictEqual(
        runs.map((r) => r.owners.map((o) => o.owner)),
        [["octo-migrated"], ["octo-archive", "mona"]]
      )
      assert.match(basename(runs[0]!.archive!), /^spaces-vault-\d{8}T\d{6}Z-shard-0-of-3\.zip$/)
      assert.match(basename(runs[1]!.archive!), /^spaces-vault-\d{8}T\d{6}Z-shard-1-of-3\.zip$/)
      const manifests = yield* Effect.forEach(runs, (r) =>
        Effect.scoped(Effect.map(openArchive(r.archive!), (a) => a.manifest))
      )
      assert.deepStrictEqual(
        manifests.map((m) => [m.shard, m.runId]),
        [
          [{ index: 0, count: 3 }, "2026-11-25T02:30:00.000Z"],
          [{ index: 1, count: 3 }, "2026-11-25T02:30:00.000Z"]
        ]
      )
      assert.deepStrictEqual(yield* ls(shards[0]!.stateDir), ["status-shard-0-of-3.json", "status-shard-1-of-3.json"])
      const statuses = yield* Effect.forEach(["0", "1"], (i) =>
        readJson(join(shards[0]!.stateDir, `status-shard-${i}-of-3.json`))
      )
      assert.deepStrictEqual(
        statuses.map((s) => s.archive),
        runs.map((r) => r.archive)
      )
    }).pipe(Effect.scoped, Effect.provide(runLayer()))
  )

  it.live("an export that could read no owner fails the run, writes no archive and runs no retention", () =>
    Effect.gen(function* () {
      const hub = yield* Effect.acquireRelease(
        Effect.promise(() => startFakeHub({ seed: "demo" })),
        (h) => Effect.promise(() => h.close())
      )
      const client = GitHubClient.layer(testClientOptions({ hub, concurrency: 8 }))
      const dir = yield* tmp
      const zips = Effect.map(ls(dir), (names) => names.filter((n) => n.endsWith(".zip")))
      // Two good nights kept (no retention yet), then a night with a typo'd owner and keep-last 1.
      const good = configFor(dir, { owners: { users: ["mona"] }, retention: {} })
      yield* runOnce(good, undefined, liveExport).pipe(Effect.provide(client))
      yield* runOnce(good, undefined, liveExport).pipe(Effect.provide(client))
      const before = yield* zips
      assert.strictEqual(before.length, 2)
      const typo = configFor(dir, { owners: { orgs: ["octo-orgg"] }, retention: { keepLast: 1 } })
      const status = yield* runOnce(typo, undefined, liveExport).pipe(Effect.provide(client))
      assert.deepStrictEqual([status.result, status.archive, status.removedArchives], ["failed", null, []])
      assert.match(status.error ?? "", /^no owner could be read, so no archive was written: octo-orgg: list: /)
      assert.deepStrictEqual(yield* zips, before)
      assert.strictEqual((yield* statusOf(typo)).result, "failed")
      assert.deepStrictEqual(hub.counters.contractViolations, [])
    }).pipe(Effect.scoped, Effect.provide(runLayer()))
  )

  it.effect("deletes nothing after a failed, typed-failed, dead or partial export", () =>
    Effect.gen(function* () {
      const dir = yield* tmp
      const old = "spaces-vault-20200101T000000Z.zip"
      yield* Effect.promise(() => writeFile(join(dir, old), "old"))
      const failing: ExportStep<never> = () => Effect.fail({ message: "GitHub is down" })
      const status = yield* runOnce(configFor(dir), undefined, failing)
      assert.deepInclude(status, { result: "failed", error: "GitHub is down", archive: null })
      assert.deepStrictEqual(status.removedArchives, [])
      assert.include(yield* ls(dir), old)
      // An export that reads no owner fails with a typed error and writes no archive: a failed run, no retention.
      const typed: ExportStep<never> = () => Effect.fail(new ExportFailed({ message: "no owner could be read" }))
      assert.deepInclude(yield* runOnce(configFor(dir), undefined, typed), {
        result: "failed",
        error: "no owner could be read"
      })
      const dead: ExportStep<never> = () => Effect.die(new Error("bug in the export"))
      assert.deepInclude(yield* runOnce(configFor(dir), undefined, dead), { result: "failed" })
      assert.include(yield* ls(dir), old)
      const p = yield* runOnce(configFor(dir), undefined, partialWith(join(dir, "x.zip"), []))
      assert.strictEqual(p.result, "partial")
      assert.deepStrictEqual(p.removedArchives, [])
      assert.include(yield* ls(dir), old)
    }).pipe(Effect.provide(runLayer()))
  )

  it.effect(
    "logs a partial run with each failing owner's reasons, and no empty failures field when there are none",
    () => {
      const logs = captureLogs()
      return Effect.gen(function* () {
        const dir = yield* tmp
        yield* runOnce(
          configFor(dir),
          undefined,
          partialWith(join(dir, "x.zip"), [
            { owner: "o", kind: "org", spaces: 3, failed: 0, failures: [] },
            {
              owner: "ghost",
              kind: "org",
              spaces: 0,
              failed: 1,
              failures: ["list: GET /orgs/ghost/copilot-spaces was not found"]
            }
          ])
        )
        assert.deepInclude(logs.parts, {
          archive: join(dir, "x.zip"),
          error: null,
          failures: { ghost: ["list: GET /orgs/ghost/copilot-spaces was not found"] }
        })
        logs.parts.length = 0
        yield* runOnce(
          configFor(dir),
          undefined,
          partialWith(join(dir, "x.zip"), [{ owner: "o", kind: "org", spaces: 3, failed: 0, failures: [] }])
        )
        assert.deepInclude(logs.parts, { archive: join(dir, "x.zip"), error: null })
      }).pipe(Effect.provide(runLayer(logs)))
    }
  )

  it.effect("says in the finished line how many spaces, how many were unchanged and how long it took", () => {
    const logs = captureLogs()
    return Effect.gen(function* () {
      const dir = yield* tmp
      const archive = join(dir, "spaces-vault-20261125T023000Z.zip")
      const owners = [
        { owner: "a", kind: "org" as const, spaces: 3, failed: 0, failures: [] },
        { owner: "b", kind: "user" as const, spaces: 4, failed: 0, failures: [] }
      ]
      yield* runOnce(configFor(dir), undefined, exportReturning(archive, { owners, requests: 9, notModified: 5 }))
      const i = logs.parts.indexOf("export finished")
      assert.isAtLeast(i, 0)
      assert.deepStrictEqual(logs.parts[i + 1], {
        archive,
        spaces: 7,
        notModified: 5,
        requests: 9,
        durationMs: 0,
        removed: []
      })
    }).pipe(Effect.provide(runLayer(logs)))
  })

  it.effect(
    "counts a run that fails before or outside the export as failed: metrics, health and status.json say why",
    () => {
      const logs = captureLogs()
      return Effect.gen(function* () {
        const history = yield* RunHistory
        const succeeding = (dir: string) => exportReturning(join(dir, "spaces-vault-20261125T023000Z.zip"))

        // Another host's worker holds the lock: this run fails, and says so everywhere monitoring looks.
        const locked = configFor(yield* tmp)
        const foreign = JSON.stringify({ pid: 4242, hostname: "another-host", startedAt: "2026-11-25T02:30:00.000Z" })
        yield* Effect.promise(() =>
          import("node:fs/promises").then(async (fs) => {
            await fs.mkdir(locked.stateDir, { recursive: true })
            await fs.writeFile(join(locked.stateDir, LOCK_FILE), foreign)
          })
        )
        const byLock = yield* runOnce(locked, undefined, succeeding(locked.outputDir))
        assert.deepInclude(byLock, { result: "failed", archive: null })
        assert.match(byLock.error!, /locked by pid 4242 on another-host/)
        assert.deepInclude(yield* statusOf(locked), { result: "failed", error: byLock.error })
        // the holder's lock is left alone
        assert.strictEqual(yield* Effect.promise(() => readFile(join(locked.stateDir, LOCK_FILE), "utf8")), foreign)
        assert.deepStrictEqual(health(yield* history.last, 0), {
          ok: false,
          reason: `last run failed: ${byLock.error}`
        })

        // The output directory cannot be made (a file is in the way): failed, and status.json cannot be written either.
        const blocked = yield* tmp
        yield* Effect.promise(() => writeFile(join(blocked, "file"), ""))
        const byMkdir = yield* runOnce(configFor(join(blocked, "file", "out")), undefined, succeeding(blocked))
        assert.strictEqual(byMkdir.result, "failed")
        assert.match(
          byMkdir.error!,
          /^cannot create the output directory .*file\/out: a part of the path is not a directory$/
        )
        assert.isTrue(logs.lines.some((l) => l.startsWith("cannot write status.json")))

        // A defect in a step is a failed run too, not a crash of the schedule.
        const dir = yield* tmp
        const byDefect = yield* runOnce(configFor(dir), undefined, () => Effect.die(new Error("bug in the export")))
        assert.deepInclude(byDefect, { result: "failed", error: "bug in the export" })
        assert.deepStrictEqual(yield* ls(dir), [".spaces-vault"])
        assert.deepStrictEqual(yield* ls(join(dir, ".spaces-vault")), ["status.json"]) // lock released

        const metrics = yield* history.prometheus
        assert.include(metrics, "spaces_vault_runs_total 3\n")
        assert.include(metrics, "spaces_vault_failures_total 3\n")
      }).pipe(Effect.provide(runLayer(logs)))
    }
  )

  it.effect(
    "a run stopped by SIGTERM is recorded as interrupted: status.json, health and metrics; the lock is released",
    () => {
      const logs = captureLogs()
      return Effect.gen(function* () {
        const history = yield* RunHistory
        const dir = yield* tmp
        const config = configFor(dir)
        yield* TestClock.setTime(Date.parse("2026-11-25T01:30:00Z"))
        yield* runOnce(config, undefined, exportReturning(join(dir, "spaces-vault-20261125T013000Z.zip")))
        const started = yield* Deferred.make<void>()
        const hanging: ExportStep<never> = () => Effect.andThen(Deferred.succeed(started, undefined), Effect.never)
        yield* TestClock.setTime(Date.parse("2026-11-26T01:30:00Z"))
        const fiber = yield* Effect.forkChild(runOnce(config, undefined, hanging))
        yield* Deferred.await(started)
        yield* TestClock.adjust("5 minutes")
        yield* Fiber.interrupt(fiber)
        const status = yield* statusOf(config)
        assert.deepInclude(status, {
          result: "interrupted",
          error: INTERRUPTED,
          archive: null,
          lastRunStartedAt: "2026-11-26T01:30:00.000Z",
          lastRunFinishedAt: "2026-11-26T01:35:00.000Z",
          durationMs: 300_000,
          // The success before it is not forgotten.
          lastSuccessAt: "2026-11-25T01:30:00.000Z"
        })
        assert.deepStrictEqual(yield* ls(config.stateDir), ["status.json"]) // lock released
        assert.deepStrictEqual(health(yield* history.last, 0), {
          ok: false,
          reason: `last run interrupted: ${INTERRUPTED}`
        })
        const metrics = yield* history.prometheus
        assert.include(metrics, "spaces_vault_runs_total 2\n")
        assert.include(metrics, "spaces_vault_failures_total 1\n")
        assert.include(
          metrics,
          `spaces_vault_last_success_timestamp_seconds ${Date.parse("2026-11-25T01:30:00Z") / 1000}\n`
        )
        assert.include(logs.lines, `export interrupted {"archive":null,"error":"${INTERRUPTED}"}`)
      }).pipe(Effect.provide(runLayer(logs)))
    }
  )

  it.effect("moves status.json out of the output directory, where workers before the state directory wrote it", () =>
    Effect.gen(function* () {
      const dir = yield* tmp
      yield* Effect.promise(() => writeFile(join(dir, "status.json"), "{}"))
      const config = configFor(dir, { retention: {} })
      yield* runOnce(config, undefined, exportReturning(join(dir, "spaces-vault-20261125T023000Z.zip")))
      assert.deepStrictEqual(yield* ls(dir), [".spaces-vault"])
      assert.strictEqual((yield* statusOf(config)).result, "success")
    }).pipe(Effect.provide(runLayer()))
  )

  it.effect("retention keeps an archive it cannot read, logs a warning and lists it in status.json", () => {
    const logs = captureLogs()
    return Effect.gen(function* () {
      const dir = yield* tmp
      yield* Effect.promise(() => writeFile(join(dir, "spaces-vault-20200101T000000Z.zip"), "not a zip"))
      const config = configFor(dir)
      const status = yield* runOnce(config, undefined, exportReturning(join(dir, "spaces-vault-20261125T023000Z.zip")))
      assert.strictEqual(status.result, "success")
      assert.deepStrictEqual(status.removedArchives, [])
      assert.strictEqual(status.unreadableArchives.length, 1)
      assert.strictEqual(status.unreadableArchives[0]!.name, "spaces-vault-20200101T000000Z.zip")
      assert.isString(status.unreadableArchives[0]!.problem)
      assert.deepStrictEqual((yield* statusOf(config)).unreadableArchives, status.unreadableArchives)
      assert.isTrue(
        logs.lines.some((l) =>
          /^retention kept spaces-vault-20200101T000000Z\.zip: its manifest cannot be read/.test(l)
        )
      )
      assert.include(yield* ls(dir), "spaces-vault-20200101T000000Z.zip")
    }).pipe(Effect.provide(runLayer(logs)))
  })

  it.effect(
    "removes temporary archives untouched for 24 hours (left by a killed export), keeps fresh ones and others' files",
    () => {
      const logs = captureLogs()
      return Effect.gen(function* () {
        const now = Date.parse("2026-11-25T02:30:00Z")
        yield* TestClock.setTime(now)
        const dir = yield* tmp
        const files = {
          stale: ".spaces-vault-20261124T010000Z.zip.tmp-a1b2c3d4e5f6",
          exactlyADay: ".spaces-vault-20261124T023000Z-2.zip.tmp-0a0b0c0d0e0f",
          fresh: ".spaces-vault-20261125T020000Z.zip.tmp-0123456789ab", // a CLI export writing right now
          notOurs: ".notes.zip.tmp-abcdef",
          archive: "spaces-vault-20261101T000000Z.zip"
        }
        const ageHours = { stale: 25, exactlyADay: 24, fresh: 0.5, notOurs: 100, archive: 100 }
        for (const [key, name] of Object.entries(files)) {
          const at = new Date(now - ageHours[key as keyof typeof files] * 3_600_000)
          yield* Effect.promise(() => writeFile(join(dir, name), "x").then(() => utimes(join(dir, name), at, at)))
        }
        yield* runOnce(configFor(dir, { retention: {} }), undefined, exportReturning(join(dir, files.archive)))
        assert.deepStrictEqual(yield* ls(dir), [files.fresh, files.notOurs, ".spaces-vault", files.archive].sort())
        const removed = logs.lines.filter((l) => l.startsWith("removed temporary archive")).sort()
        assert.strictEqual(removed.length, 2)
        assert.include(removed[0], files.stale)
        assert.include(removed[1], files.exactlyADay)
      }).pipe(Effect.provide(runLayer(logs)))
    }
  )
})
