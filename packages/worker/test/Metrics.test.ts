// The /metrics series are what dashboards and alerts are written against: their names, types and help text are pinned.
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { RunHistory } from "../src/RunHistory.ts"

const pinned = (v: { runs: number; failures: number; spaces: number; requests: number; waits: number; last: number }) =>
  `# HELP spaces_vault_runs_total Export runs started
# TYPE spaces_vault_runs_total counter
spaces_vault_runs_total ${v.runs}
# HELP spaces_vault_failures_total Export runs that failed or were partial
# TYPE spaces_vault_failures_total counter
spaces_vault_failures_total ${v.failures}
# HELP spaces_vault_spaces_exported_total Spaces archived by successful runs
# TYPE spaces_vault_spaces_exported_total counter
spaces_vault_spaces_exported_total ${v.spaces}
# HELP spaces_vault_requests_total HTTP requests sent to GitHub
# TYPE spaces_vault_requests_total counter
spaces_vault_requests_total ${v.requests}
# HELP spaces_vault_rate_limit_waits_total Waits imposed by GitHub rate limits
# TYPE spaces_vault_rate_limit_waits_total counter
spaces_vault_rate_limit_waits_total ${v.waits}
# HELP spaces_vault_last_success_timestamp_seconds Unix time of the last successful run
# TYPE spaces_vault_last_success_timestamp_seconds gauge
spaces_vault_last_success_timestamp_seconds ${v.last}
# HELP spaces_vault_last_run_deleted_spaces Spaces the last reported run found deleted
# TYPE spaces_vault_last_run_deleted_spaces gauge
spaces_vault_last_run_deleted_spaces 0
# HELP spaces_vault_last_run_added_spaces Spaces the last reported run found added
# TYPE spaces_vault_last_run_added_spaces gauge
spaces_vault_last_run_added_spaces 0
# HELP spaces_vault_last_run_changed_spaces Spaces the last reported run found changed
# TYPE spaces_vault_last_run_changed_spaces gauge
spaces_vault_last_run_changed_spaces 0
# HELP spaces_vault_notify_failures_total Webhook notifications that failed
# TYPE spaces_vault_notify_failures_total counter
spaces_vault_notify_failures_total 0
`

describe("/metrics", () => {
  it.effect("keeps every series' name, type and help text, all at zero before the first run", () =>
    Effect.gen(function* () {
      const history = yield* RunHistory.make()
      assert.strictEqual(
        yield* history.prometheus,
        pinned({ runs: 0, failures: 0, spaces: 0, requests: 0, waits: 0, last: 0 })
      )
    })
  )

  it.effect("counts runs, failures, spaces, requests and waits, and the last success time", () =>
    Effect.gen(function* () {
      const history = yield* RunHistory.make()
      const base = {
        lastRunStartedAt: "2026-11-25T01:30:00.000Z",
        lastRunFinishedAt: "2026-11-25T01:31:00.000Z",
        archive: "/a.zip",
        owners: [{ owner: "o", kind: "org" as const, spaces: 12, failed: 0, failures: [] }],
        requests: 30,
        durationMs: 60_000,
        error: null,
        removedArchives: [],
        unreadableArchives: [],
        nextRunAt: null
      }
      yield* history.record({ ...base, result: "success" }, 2)
      yield* history.record(
        { ...base, result: "failed", lastRunFinishedAt: "2026-11-26T01:31:00.000Z", requests: 5 },
        1
      )
      yield* history.record({ ...base, result: "interrupted", requests: 0 }, 0)
      assert.strictEqual(
        yield* history.prometheus,
        pinned({
          runs: 3,
          failures: 2,
          spaces: 12,
          requests: 35,
          waits: 3,
          last: Date.parse(base.lastRunFinishedAt) / 1000
        })
      )
    })
  )

  it.effect("two histories in one process never share counters", () =>
    Effect.gen(function* () {
      const a = yield* RunHistory.make()
      const b = yield* RunHistory.make()
      yield* a.record(
        {
          lastRunStartedAt: "2026-11-25T01:30:00.000Z",
          lastRunFinishedAt: "2026-11-25T01:31:00.000Z",
          result: "failed",
          archive: null,
          owners: [],
          requests: 1,
          durationMs: 1,
          error: "x",
          removedArchives: [],
          unreadableArchives: [],
          nextRunAt: null
        },
        0
      )
      assert.include(yield* a.prometheus, "spaces_vault_runs_total 1\n")
      assert.include(yield* b.prometheus, "spaces_vault_runs_total 0\n")
    })
  )
})
