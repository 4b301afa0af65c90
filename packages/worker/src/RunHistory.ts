// What the worker remembers of its runs: the last status, for /healthz, and the /metrics series (effect Metrics in a
// registry of this service's own, rendered by effect's Prometheus formatter). Seeded from status.json at start, so a
// restart does not forget the last run or the last success.
import { Context, Effect, Layer, Metric, Ref } from "effect"
import { PrometheusMetrics } from "effect/observability"
import type { RunStatus } from "./StatusFile.ts"

// Names, types and help text are what dashboards and alerts are written against: pinned in test/Metrics.test.ts.
const counter = (name: string, description: string) => Metric.counter(name, { description, incremental: true })
const runs = counter("spaces_vault_runs_total", "Export runs started")
const failures = counter("spaces_vault_failures_total", "Export runs that failed or were partial")
const spacesExported = counter("spaces_vault_spaces_exported_total", "Spaces archived by successful runs")
const requests = counter("spaces_vault_requests_total", "HTTP requests sent to GitHub")
const rateLimitWaits = counter("spaces_vault_rate_limit_waits_total", "Waits imposed by GitHub rate limits")
const lastSuccess = Metric.gauge("spaces_vault_last_success_timestamp_seconds", {
  description: "Unix time of the last successful run"
})

const gauge = (name: string, description: string) => Metric.gauge(name, { description })
const deleted = gauge("spaces_vault_last_run_deleted_spaces", "Spaces the last reported run found deleted")
const added = gauge("spaces_vault_last_run_added_spaces", "Spaces the last reported run found added")
const changed = gauge("spaces_vault_last_run_changed_spaces", "Spaces the last reported run found changed")
const notifyFailures = counter("spaces_vault_notify_failures_total", "Webhook notifications that failed")

/** The report's counts in a status, or undefined when the run made no report. */
const changeCounts = (status: RunStatus | undefined) => {
  if (status?.changes === undefined) return undefined
  const owners = Object.values(status.changes)
  const sum = (f: (o: (typeof owners)[number]) => number) => owners.reduce((n, o) => n + f(o), 0)
  return {
    deleted: sum((o) => o.deleted.length),
    added: sum((o) => o.added.length),
    changed: sum((o) => o.changed.length)
  }
}

/** The change gauges from a status that has a report; left alone by one without (a failed run compares nothing). */
const setChangeGauges = (status: RunStatus | undefined) =>
  Effect.gen(function* () {
    const counts = changeCounts(status)
    if (counts === undefined) return
    yield* Metric.update(deleted, counts.deleted)
    yield* Metric.update(added, counts.added)
    yield* Metric.update(changed, counts.changed)
  })

const seconds = (iso: string | null | undefined) => (iso == null ? 0 : Math.floor(Date.parse(iso) / 1000))

/** When a run last succeeded, as far as a status says: this run, or the earlier success it carries. */
export const lastSuccessOf = (status: RunStatus | undefined): string | null =>
  status === undefined ? null : status.result === "success" ? status.lastRunFinishedAt : (status.lastSuccessAt ?? null)

export interface RunHistoryShape {
  /** The last run's status, or undefined before the first run this worker knows of. */
  readonly last: Effect.Effect<RunStatus | undefined>
  /** When a run last succeeded (ISO time), or null. */
  readonly lastSuccessAt: Effect.Effect<string | null>
  /** Remembers a finished run (an interrupted or failed one counts as a failure). */
  readonly record: (status: RunStatus, rateLimitWaits: number) => Effect.Effect<void>
  /** The /metrics body in the Prometheus text format. */
  readonly prometheus: Effect.Effect<string>
}

export class RunHistory extends Context.Service<RunHistory, RunHistoryShape>()("@spaces-vault/worker/RunHistory") {
  /** A history that starts from `seed`, the status a previous worker left (counters start at zero, as after any restart). */
  static readonly make = (seed?: RunStatus) =>
    Effect.gen(function* () {
      const last = yield* Ref.make(seed)
      // A registry of its own: two workers (or two tests) in one process never share counters.
      const withRegistry = Effect.provideService(Metric.MetricRegistry, new Map())
      // Every series at once, in a fixed order, so /metrics lists them all before the first run.
      yield* withRegistry(
        Effect.gen(function* () {
          for (const c of [runs, failures, spacesExported, requests, rateLimitWaits]) yield* Metric.update(c, 0)
          yield* Metric.update(lastSuccess, seconds(lastSuccessOf(seed)))
          for (const g of [deleted, added, changed]) yield* Metric.update(g, 0)
          yield* Metric.update(notifyFailures, 0)
          yield* setChangeGauges(seed)
        })
      )
      return RunHistory.of({
        last: Ref.get(last),
        lastSuccessAt: Effect.map(Ref.get(last), lastSuccessOf),
        record: (status, waits) =>
          withRegistry(
            Effect.gen(function* () {
              yield* Ref.set(last, status)
              yield* Metric.update(runs, 1)
              yield* Metric.update(requests, status.requests)
              yield* Metric.update(rateLimitWaits, waits)
              if (status.result === "success") {
                yield* Metric.update(
                  spacesExported,
                  status.owners.reduce((n, o) => n + o.spaces, 0)
                )
                yield* Metric.update(lastSuccess, seconds(status.lastRunFinishedAt))
              } else yield* Metric.update(failures, 1)
              yield* setChangeGauges(status)
              if (typeof status.notifyError === "string") yield* Metric.update(notifyFailures, 1)
            })
          ),
        prometheus: withRegistry(PrometheusMetrics.format())
      })
    })

  static readonly layer = (seed?: RunStatus) => Layer.effect(RunHistory, RunHistory.make(seed))
}
