// One scheduled run: lock the output directory, remove temporary archives left by killed exports, export, apply
// retention (only after a complete export; never the newest complete archive), write the status file, release the
// lock. A run that fails at any step (the directory, the lock, the client, the export, the status file) is a failed
// run: monitoring reads metrics, health and status.json, so a failure before the export must show there too.
import { mkdir } from "node:fs/promises"
import { Cause, Clock, Effect, Result } from "effect"
import { ownerList } from "@spaces-vault/core/domain/owner"
import { exportSpaces } from "@spaces-vault/core/export/ExportSpaces"
import type { ExportSummary } from "@spaces-vault/core/export/ExportTypes"
import type { GitHubClient } from "@spaces-vault/core/github/GitHubClient"
import { pruneArchives } from "@spaces-vault/core/retention/Prune"
import { isEmptyPolicy } from "@spaces-vault/core/retention/Retention"
import type { WorkerMetrics } from "./Health.ts"
import { acquireLock } from "./Lock.ts"
import { removeStaleTempArchives } from "./StaleTempArchives.ts"
import { writeStatus, type RunStatus } from "./StatusFile.ts"
import type { WorkerConfig } from "./WorkerConfig.ts"

/** The export step, replaceable in tests; main's step carries its own GitHub client (R = never). */
export type ExportStep<R = GitHubClient> = (
  config: WorkerConfig
) => Effect.Effect<ExportSummary, { readonly message: string }, R>

export const liveExport: ExportStep = (config) =>
  exportSpaces({
    // Checked when the config was read (decodeConfig); here it only drops repeated logins.
    owners: Result.getOrElse(ownerList(config.owners.orgs ?? [], config.owners.users ?? []), () => []),
    outDir: config.outputDir,
    concurrency: config.concurrency
  })

const iso = (ms: number) => new Date(ms).toISOString()
const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e))

export const runOnce = <R>(
  config: WorkerConfig,
  nextRunAt: number | undefined,
  step: ExportStep<R>,
  metrics?: WorkerMetrics
) =>
  Effect.gen(function* () {
    const started = yield* Clock.currentTimeMillis
    const next = nextRunAt === undefined ? null : iso(nextRunAt)
    const { status, rateLimitWaits } = yield* Effect.scoped(lockedRun(config, started, next, step)).pipe(
      Effect.catchCause((cause) =>
        // SIGTERM/SIGINT is not a failed run: let the interruption through.
        Cause.hasInterruptsOnly(cause)
          ? Effect.failCause(cause)
          : failedRun(config.outputDir, started, next, reasonOf(cause))
      )
    )
    metrics?.record(status, rateLimitWaits)
    yield* status.result === "success"
      ? Effect.logInfo("export finished", {
          archive: status.archive,
          requests: status.requests,
          removed: status.removedArchives
        })
      : Effect.logError(`export ${status.result}`, failureDetails(status))
    return status
  })

/** The run while holding the lock; its status is written before the lock is released. */
const lockedRun = <R>(config: WorkerConfig, started: number, nextRunAt: string | null, step: ExportStep<R>) =>
  Effect.gen(function* () {
    yield* Effect.tryPromise({
      try: () => mkdir(config.outputDir, { recursive: true, mode: 0o700 }),
      catch: (e) => new Error(`cannot create the output directory ${config.outputDir}: ${errorText(e)}`)
    })
    yield* acquireLock(config.outputDir, iso(started))
    yield* removeStaleTempArchives(config.outputDir, started)
    yield* Effect.logInfo("export started", { owners: config.owners })
    const result = yield* step(config).pipe(Effect.result)
    const finished = yield* Clock.currentTimeMillis
    // Never delete anything after a failed or partial export.
    const retention =
      result._tag === "Success" && !result.success.partial
        ? yield* applyRetention(config)
        : { removed: [], unreadable: [] }
    const status: RunStatus =
      result._tag === "Success"
        ? {
            lastRunStartedAt: iso(started),
            lastRunFinishedAt: iso(finished),
            result: result.success.partial ? "partial" : "success",
            archive: result.success.archive,
            owners: result.success.owners,
            requests: result.success.requests,
            durationMs: finished - started,
            error: null,
            removedArchives: retention.removed,
            unreadableArchives: retention.unreadable,
            nextRunAt
          }
        : failedStatus(started, finished, nextRunAt, result.failure.message)
    yield* writeStatus(config.outputDir, status)
    return { status, rateLimitWaits: result._tag === "Success" ? (result.success.rateLimitWaits ?? 0) : 0 }
  })

const failedStatus = (started: number, finished: number, nextRunAt: string | null, error: string): RunStatus => ({
  lastRunStartedAt: iso(started),
  lastRunFinishedAt: iso(finished),
  result: "failed",
  archive: null,
  owners: [],
  requests: 0,
  durationMs: finished - started,
  error,
  removedArchives: [],
  unreadableArchives: [],
  nextRunAt
})

/** What went wrong, in one line: a typed failure's message (LockedError says who holds the lock), or a defect's. */
const reasonOf = (cause: Cause.Cause<unknown>): string => {
  const e = Cause.squash(cause) as { readonly message?: unknown }
  return typeof e?.message === "string" ? e.message : String(e)
}

/**
 * A run that failed outside the export: its status is written without the lock (the lock may be what failed), so
 * status.json says why whenever the directory is writable; when it is not, the log says so.
 */
const failedRun = (dir: string, started: number, nextRunAt: string | null, error: string) =>
  Effect.gen(function* () {
    const status = failedStatus(started, yield* Clock.currentTimeMillis, nextRunAt, error)
    yield* writeStatus(dir, status).pipe(Effect.catch((e) => Effect.logWarning(e.message)))
    return { status, rateLimitWaits: 0 }
  })

/** Retention after a complete export: what was removed, and the archives kept because they cannot be read. */
const applyRetention = (config: WorkerConfig) =>
  Effect.gen(function* () {
    const policy = {
      keepLast: config.retention?.keepLast ?? 0,
      keepDaily: config.retention?.keepDaily ?? 0,
      keepWeekly: config.retention?.keepWeekly ?? 0,
      keepMonthly: config.retention?.keepMonthly ?? 0
    }
    if (isEmptyPolicy(policy)) return { removed: [], unreadable: [] }
    const pruned = yield* pruneArchives(config.outputDir, policy, {
      dryRun: false,
      timeZone: config.schedule.timeZone
    }).pipe(
      Effect.catchTag("PruneError", (e) =>
        Effect.logWarning(`retention skipped: ${e.message}`).pipe(Effect.as(undefined))
      )
    )
    if (pruned === undefined) return { removed: [], unreadable: [] }
    // Kept, never deleted: a damaged or foreign file is for a person to look at, so say so every run.
    for (const u of pruned.unreadable)
      yield* Effect.logWarning(`retention kept ${u.name}: its manifest cannot be read (${u.problem})`)
    return { removed: pruned.remove.map((a) => a.name), unreadable: pruned.unreadable }
  })

/** What the error log line says of a failed or partial run: the archive, the error, and each owner's reasons. */
const failureDetails = (status: RunStatus) => {
  // A partial run's reasons, per owner, so the log alone says what to fix; absent when no owner has any.
  const failed = status.owners.filter((o) => o.failures.length > 0)
  return {
    archive: status.archive,
    error: status.error,
    ...(failed.length > 0 ? { failures: Object.fromEntries(failed.map((o) => [o.owner, o.failures])) } : {})
  }
}
