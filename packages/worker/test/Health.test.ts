// /healthz: unhealthy after a run that did not succeed or when a run is overdue, by effect's Clock (TestClock here);
// seeded from the last status.json, so a restart does not forget; served with /metrics on loopback.
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { TestClock } from "effect/testing"
import { currentHealth, serveHealth } from "../src/Health.ts"
import { RunHistory } from "../src/RunHistory.ts"
import type { RunStatus } from "../src/StatusFile.ts"

const status = (result: "success" | "failed", nextRunAt: string | null = null): RunStatus => ({
  lastRunStartedAt: "2026-11-25T01:30:00.000Z",
  lastRunFinishedAt: "2026-11-25T01:31:00.000Z",
  result,
  archive: result === "success" ? "/a.zip" : null,
  owners: [{ owner: "o", kind: "org", spaces: 12, failed: 0, failures: [] }],
  requests: 30,
  durationMs: 60_000,
  error: result === "failed" ? "GitHub is down" : null,
  removedArchives: [],
  unreadableArchives: [],
  nextRunAt
})

const healthAt = (iso: string) => TestClock.setTime(Date.parse(iso)).pipe(Effect.andThen(currentHealth))

describe("Health", () => {
  it.effect("is healthy after a success, unhealthy after a failure or when a run is overdue", () =>
    Effect.gen(function* () {
      const history = yield* RunHistory
      assert.isTrue((yield* currentHealth).ok)
      yield* history.record(status("success", "2026-11-26T01:30:00.000Z"), 2)
      assert.isTrue((yield* healthAt("2026-11-26T02:00:00Z")).ok)
      yield* TestClock.adjust("1 hour") // 03:00: more than an hour past the 01:30 run
      assert.deepStrictEqual(yield* currentHealth, {
        ok: false,
        reason: "run overdue since 2026-11-26T01:30:00.000Z"
      })
      yield* history.record(status("failed"), 0)
      assert.match((yield* healthAt("2026-11-25T02:00:00Z")).reason, /last run failed: GitHub is down/)
      // A partial run is unhealthy too, and says which owner failed and why.
      yield* history.record(
        {
          ...status("success"),
          result: "partial",
          owners: [
            { owner: "o", kind: "org", spaces: 12, failed: 0, failures: [] },
            {
              owner: "ghost",
              kind: "org",
              spaces: 0,
              failed: 2,
              failures: ["list: GET /orgs/ghost/copilot-spaces was not found", "space 3: …"]
            }
          ]
        },
        0
      )
      assert.deepStrictEqual(yield* healthAt("2026-11-25T02:00:00Z"), {
        ok: false,
        reason: "last run partial: ghost: list: GET /orgs/ghost/copilot-spaces was not found (and more in status.json)"
      })
      const text = yield* history.prometheus
      assert.include(text, "spaces_vault_runs_total 3\n")
      assert.include(text, "spaces_vault_failures_total 2\n")
      assert.include(text, "spaces_vault_spaces_exported_total 12\n")
      assert.include(text, "spaces_vault_rate_limit_waits_total 2\n")
      assert.include(text, `spaces_vault_last_success_timestamp_seconds ${Date.parse("2026-11-25T01:31:00Z") / 1000}\n`)
    }).pipe(Effect.provide(RunHistory.layer()))
  )

  it.effect("after a restart, remembers the last run and the last success from status.json", () =>
    Effect.gen(function* () {
      // The last run failed; the success before it was the night before.
      const seed: RunStatus = { ...status("failed"), lastSuccessAt: "2026-11-24T01:31:00.000Z" }
      const history = yield* RunHistory.make(seed)
      const h = yield* currentHealth.pipe(Effect.provideService(RunHistory, history))
      assert.deepStrictEqual(h, { ok: false, reason: "last run failed: GitHub is down" })
      assert.include(
        yield* history.prometheus,
        `spaces_vault_last_success_timestamp_seconds ${Date.parse("2026-11-24T01:31:00Z") / 1000}\n`
      )
      assert.strictEqual(yield* history.lastSuccessAt, "2026-11-24T01:31:00.000Z")
      // A successful last run is its own last success, also in a status.json written before lastSuccessAt existed.
      const succeeded = yield* RunHistory.make(status("success", "2026-11-26T01:30:00.000Z"))
      assert.include(
        yield* succeeded.prometheus,
        `spaces_vault_last_success_timestamp_seconds ${Date.parse("2026-11-25T01:31:00Z") / 1000}\n`
      )
      const overdue = yield* healthAt("2026-11-26T03:00:00Z").pipe(Effect.provideService(RunHistory, succeeded))
      assert.deepStrictEqual(overdue, { ok: false, reason: "run overdue since 2026-11-26T01:30:00.000Z" })
      // Only a worker that never ran says so.
      const fresh = yield* RunHistory.make()
      assert.deepStrictEqual(yield* currentHealth.pipe(Effect.provideService(RunHistory, fresh)), {
        ok: true,
        reason: "no run yet"
      })
    })
  )

  it.effect("serves /healthz and /metrics on loopback", () =>
    Effect.gen(function* () {
      const history = yield* RunHistory
      yield* history.record(status("failed"), 0)
      const port = yield* serveHealth(0)
      const h = yield* Effect.promise(() => fetch(`http://127.0.0.1:${port}/healthz`))
      assert.strictEqual(h.status, 503)
      assert.strictEqual(yield* Effect.promise(() => h.text()), "unhealthy: last run failed: GitHub is down\n")
      const metrics = yield* Effect.promise(() => fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text()))
      assert.match(metrics, /# TYPE spaces_vault_runs_total counter\nspaces_vault_runs_total 1/)
      const missing = yield* Effect.promise(() => fetch(`http://127.0.0.1:${port}/other`))
      assert.strictEqual(missing.status, 404)
    }).pipe(Effect.scoped, Effect.provide(RunHistory.layer()))
  )
})
