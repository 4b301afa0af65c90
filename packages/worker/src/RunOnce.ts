// One scheduled run: lock the output directory, export, apply retention (only after a complete export; never
// the newest complete archive), write the status file, release the lock.
import { mkdir } from "node:fs/promises"
import { Clock, Effect, Result } from "effect"
import { ownerList } from "@spaces-vault/core/domain/owner"
import { exportSpaces } from "@spaces-vault/core/export/ExportSpaces"
import type { ExportSummary } from "@spaces-vault/core/export/ExportTypes"
import { GitHubClient } from "@spaces-vault/core/github/GitHubClient"
import { pruneArchives } from "@spaces-vault/core/retention/Prune"
import { isEmptyPolicy } from "@spaces-vault/core/retention/Retention"
import type { WorkerMetrics } from "./Health.ts"
import { acquireLock } from "./Lock.ts"
import { writeStatus, type RunStatus } from "./StatusFile.ts"
import type { WorkerConfig } from "./WorkerConfig.ts"

/** The export step, replaceable in tests. */
export type ExportStep = (config: WorkerConfig) => Effect.Effect<ExportSummary, { readonly message: string }, GitHubClient>

export const liveExport: ExportStep = (config) =>
  exportSpaces({
    // Checked when the config was read (decodeConfig); here it only drops repeated logins.
    owners: Result.getOrElse(ownerList(config.owners.orgs ?? [], config.owners.users ?? []), () => []),
    outDir: config.outputDir,
    concurrency: config.concurrency
  })

const iso = (ms: number) => new Date(ms).toISOString()

export const runOnce = (
  config: WorkerConfig,
  nextRunAt: number | undefined,
  step: ExportStep = liveExport,
  metrics?: WorkerMetrics
) =>
  Effect.scoped(
    Effect.gen(function* () {
      const started = yield* Clock.currentTimeMillis
      yield* Effect.promise(() => mkdir(config.outputDir, { recursive: true, mode: 0o700 }))
      yield* acquireLock(config.outputDir, iso(started))
      yield* Effect.logInfo("export started", { owners: config.owners })
      const result = yield* step(config).pipe(Effect.result)
      const finished = yield* Clock.currentTimeMillis
      const policy = {
        keepLast: config.retention?.keepLast ?? 0,
        keepDaily: config.retention?.keepDaily ?? 0,
        keepWeekly: config.retention?.keepWeekly ?? 0,
        keepMonthly: config.retention?.keepMonthly ?? 0
      }
      // Never delete anything after a failed or partial export.
      const removed =
        result._tag === "Success" && !result.success.partial && !isEmptyPolicy(policy)
          ? yield* pruneArchives(config.outputDir, policy, { dryRun: false, timeZone: config.schedule.timeZone }).pipe(
              Effect.map((p) => p.remove.map((a) => a.name)),
              Effect.catchTag("PruneError", (e) => Effect.logWarning(`retention skipped: ${e.message}`).pipe(Effect.as([] as Array<string>)))
            )
          : []
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
              removedArchives: removed,
              nextRunAt: nextRunAt === undefined ? null : iso(nextRunAt)
            }
          : {
              lastRunStartedAt: iso(started),
              lastRunFinishedAt: iso(finished),
              result: "failed",
              archive: null,
              owners: [],
              requests: 0,
              durationMs: finished - started,
              error: result.failure.message,
              removedArchives: [],
              nextRunAt: nextRunAt === undefined ? null : iso(nextRunAt)
            }
      yield* writeStatus(config.outputDir, status).pipe(Effect.orDie)
      metrics?.record(status, result._tag === "Success" ? (result.success.rateLimitWaits ?? 0) : 0)
      yield* status.result === "success"
        ? Effect.logInfo("export finished", { archive: status.archive, requests: status.requests, removed })
        : Effect.logError(`export ${status.result}`, failureDetails(status))
      return status
    })
  )

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
