// One scheduled run: lock, remove temporary archives left by killed exports, export, apply retention (only after a
// complete export; never the newest complete archive), write the status file, release the lock. A run that fails at
// any step (the directories, the lock, the client, the export, the status file) is a failed run, and one stopped by
// SIGTERM/SIGINT is an interrupted run: monitoring reads metrics, health and status.json, so both must show there.
import { mkdir } from "node:fs/promises"
import { Cause, Clock, Effect, Result, Schema } from "effect"
import { isoTime as iso } from "@spaces-vault/core/domain/Canonical"
import { lockLocation } from "@spaces-vault/core/archive/LocationLock"
import { ownerList } from "@spaces-vault/core/domain/Owner"
import { exportSpaces } from "@spaces-vault/core/export/ExportSpaces"
import { ownersWithInstallations } from "@spaces-vault/core/export/Installations"
import { ownersOfShard } from "@spaces-vault/core/export/Shard"
import type { ExportSummary } from "@spaces-vault/core/export/ExportTypes"
import type { GitHubClient } from "@spaces-vault/core/github/GitHubClient"
import { pruneArchives } from "@spaces-vault/core/retention/Prune"
import { policyOf } from "@spaces-vault/core/retention/Retention"
import { errorText } from "@spaces-vault/core/runtime/ErrorText"
import { acquireLock, lockFileName, processAlive } from "./Lock.ts"
import { RunHistory } from "./RunHistory.ts"
import { reportRun } from "./RunReport.ts"
import { removeStaleTempArchives } from "./StaleTempArchives.ts"
import { removeLegacyStatus, type RunResult, type RunStatus, statusFileName, writeStatus } from "./StatusFile.ts"
import { outputInS3, outputLocation, shardSuffix, type WorkerConfig } from "./WorkerConfig.ts"

/** The export step, replaceable in tests; main's step carries its own GitHub client (R = never). */
export type ExportStep<R = GitHubClient> = (
  config: WorkerConfig,
  /** Ties one run's shards together: the scheduled time, when the schedule fired the run. */
  runId?: string
) => Effect.Effect<ExportSummary, { readonly message: string }, R>

export const liveExport: ExportStep = (config, runId) =>
  Effect.gen(function* () {
    // Checked when the config was read (decodeConfig); here it only drops repeated logins.
    const given = Result.getOrElse(ownerList(config.owners?.orgs ?? [], config.owners?.users ?? []), () => [])
    // Listed at every run, so an organization that installs the App is backed up that night.
    const owners = config.allInstallations === true ? yield* ownersWithInstallations(given) : given
    if (config.allInstallations === true)
      yield* Effect.logInfo("owners with the App's installations", { owners: owners.map((o) => o.login) })
    // Sharded after listing: an App's installations are split like owners given by name.
    return yield* exportSpaces({
      owners: config.shard === undefined ? owners : ownersOfShard(owners, config.shard),
      outDir: outputLocation(config),
      concurrency: config.concurrency,
      shard: config.shard,
      runId,
      encryptTo: config.recipients
    })
  })

/** The output or state directory cannot be created. */
export class WorkerDirectoryError extends Schema.TaggedError<WorkerDirectoryError>()("WorkerDirectoryError", {
  which: Schema.Literals(["output", "state"]),
  path: Schema.String,
  detail: Schema.String
}) {
  override get message(): string {
    return `cannot create the ${this.which} directory ${this.path}: ${this.detail}`
  }
}

/** A `--once` run that did not succeed: already logged and in status.json, so only the exit code (1) is left. */
export class RunIncomplete extends Schema.TaggedError<RunIncomplete>()("RunIncomplete", {
  result: Schema.Literals(["partial", "failed", "interrupted"])
}) {
  override get message(): string {
    return `the run was ${this.result}`
  }
}

/** What status.json says of a run stopped before it finished. */
export const INTERRUPTED = "interrupted by SIGTERM or SIGINT before it finished (a deadline, a stop or a deploy)"

interface RunContext {
  readonly config: WorkerConfig
  readonly started: number
  readonly nextRunAt: string | null
  /** The last success before this run, carried into status.json so a failed run does not lose it. */
  readonly lastSuccessAt: string | null
  /** When the schedule fired this run (absent for --once): the run id of its archive. */
  readonly scheduledAt: number | undefined
}

/**
 * Whether an export failed before any work, on a setting to fix (ArchiveStoreError `Unavailable`: no such bucket,
 * access denied on the first request, a wrong region, an unreachable endpoint): `--once` exits 2 for it, not 1.
 */
export const isSetupFailure = (failure: unknown): boolean => {
  const e = failure as { readonly _tag?: unknown; readonly reason?: { readonly _tag?: unknown } } | undefined
  return e?._tag === "ArchiveStoreError" && e.reason?._tag === "Unavailable"
}

/** A run's status; with `setupFailure`, the export's error when it failed on a setting before any work. */
export interface RunOutcome {
  readonly status: RunStatus
  readonly setupFailure?: { readonly message: string } | undefined
}

export const runOnce = <R>(
  config: WorkerConfig,
  nextRunAt: number | undefined,
  step: ExportStep<R>,
  scheduledAt?: number
) => Effect.map(runOnceOutcome(config, nextRunAt, step, scheduledAt), (o) => o.status)

/** `runOnce`, also saying whether a failed run failed on its settings (`--once` then exits 2). */
export const runOnceOutcome = <R>(
  config: WorkerConfig,
  nextRunAt: number | undefined,
  step: ExportStep<R>,
  scheduledAt?: number
) =>
  Effect.gen(function* () {
    const history = yield* RunHistory
    const run: RunContext = {
      config,
      started: yield* Clock.currentTimeMillis,
      nextRunAt: nextRunAt === undefined ? null : iso(nextRunAt),
      lastSuccessAt: yield* history.lastSuccessAt,
      scheduledAt
    }
    const { status, notModified, rateLimitWaits, setupFailure } = yield* Effect.scoped(
      lockedRun(run, step).pipe(Effect.onInterrupt(() => unfinishedRun(run, "interrupted", INTERRUPTED)))
    ).pipe(
      Effect.catchCause((cause) =>
        // An interruption was recorded above; let it through, so the program stops.
        Cause.hasInterruptsOnly(cause) ? Effect.failCause(cause) : unfinishedRun(run, "failed", reasonOf(cause))
      )
    )
    yield* history.record(status, rateLimitWaits)
    yield* logOutcome(status, notModified)
    return { status, setupFailure } satisfies RunOutcome
  })

/** The run while holding the lock; its status is written before the lock is released. */
const lockedRun = <R>(run: RunContext, step: ExportStep<R>) =>
  Effect.gen(function* () {
    const { config, started } = run
    // S3 needs no directory: the export probes the bucket before any request to GitHub.
    if (!outputInS3(config)) yield* makeDirectory("output", config.outputDir)
    yield* makeDirectory("state", config.stateDir)
    yield* acquireLock(config.stateDir, config.outputDir, iso(started), processAlive, lockFileName(shardSuffix(config)))
    // The lock `spaces-vault export` takes too: a CLI export of this shard to this location with the same state
    // directory and this run never write at once.
    yield* lockLocation(config.stateDir, "export", outputLocation(config), { shard: config.shard })
    yield* removeStaleTempArchives(outputLocation(config), started)
    yield* Effect.logInfo("export started", {
      owners: config.owners ?? {},
      ...(config.allInstallations === true ? { allInstallations: true } : {})
    })
    const runId = run.scheduledAt === undefined ? undefined : iso(run.scheduledAt)
    const result = yield* step(config, runId).pipe(Effect.result)
    const finished = yield* Clock.currentTimeMillis
    if (Result.isFailure(result)) {
      // Never delete anything after a failed export.
      const status = unfinishedStatus(run, finished, "failed", result.failure.message)
      yield* saveStatus(config, status)
      return {
        status,
        notModified: 0,
        rateLimitWaits: 0,
        setupFailure: isSetupFailure(result.failure) ? result.failure : undefined
      }
    }
    const summary = result.success
    // Before retention, which may remove an owner's baseline.
    const report = yield* reportRun(config, summary.archive.split(/[\\/]/).pop())
    // Nor after a partial one.
    const retention = summary.partial ? { removed: [], unreadable: [] } : yield* applyRetention(config)
    const status: RunStatus = {
      lastRunStartedAt: iso(started),
      lastRunFinishedAt: iso(finished),
      result: summary.partial ? "partial" : "success",
      archive: summary.archive,
      owners: summary.owners,
      requests: summary.requests,
      durationMs: finished - started,
      error: null,
      removedArchives: retention.removed,
      unreadableArchives: retention.unreadable,
      nextRunAt: run.nextRunAt,
      lastSuccessAt: summary.partial ? run.lastSuccessAt : iso(finished),
      ...(report.changes === undefined ? {} : { changes: report.changes }),
      ...(report.notifyError === undefined ? {} : { notifyError: report.notifyError })
    }
    yield* saveStatus(config, status)
    return {
      status,
      notModified: summary.notModified,
      rateLimitWaits: summary.rateLimitWaits ?? 0,
      setupFailure: undefined
    }
  })

/** Writes status.json into the state directory, and removes the one a worker before the state directory left. */
const saveStatus = (config: WorkerConfig, status: RunStatus) =>
  Effect.gen(function* () {
    yield* writeStatus(config.stateDir, status, statusFileName(shardSuffix(config)))
    // In the output directory, it would never change again and mislead whoever still reads it.
    if (!outputInS3(config) && config.stateDir !== config.outputDir && (yield* removeLegacyStatus(config.outputDir)))
      yield* Effect.logInfo(`status.json is now in ${config.stateDir}; removed the old one in ${config.outputDir}`)
  })

const makeDirectory = (which: "output" | "state", path: string) =>
  Effect.tryPromise({
    try: () => mkdir(path, { recursive: true, mode: 0o700 }),
    catch: (e) => new WorkerDirectoryError({ which, path, detail: errorText(e) })
  })

const unfinishedStatus = (
  run: RunContext,
  finished: number,
  result: Exclude<RunResult, "success" | "partial">,
  error: string
): RunStatus => ({
  lastRunStartedAt: iso(run.started),
  lastRunFinishedAt: iso(finished),
  result,
  archive: null,
  owners: [],
  requests: 0,
  durationMs: finished - run.started,
  error,
  removedArchives: [],
  unreadableArchives: [],
  nextRunAt: run.nextRunAt,
  lastSuccessAt: run.lastSuccessAt
})

/** What went wrong, in one line: a typed failure's message (LockedError says who holds the lock), or a defect's. */
const reasonOf = (cause: Cause.Cause<unknown>): string => {
  const e = Cause.squash(cause) as { readonly message?: unknown }
  return typeof e?.message === "string" ? e.message : String(e)
}

/**
 * A run that failed outside the export or was interrupted: its status is written without the lock (the lock may be
 * what failed), so status.json says why whenever the state directory is writable; when it is not, the log says so.
 * An interrupted run is recorded here too, since the program stops right after.
 */
const unfinishedRun = (run: RunContext, result: "failed" | "interrupted", error: string) =>
  Effect.gen(function* () {
    const status = unfinishedStatus(run, yield* Clock.currentTimeMillis, result, error)
    yield* writeStatus(run.config.stateDir, status, statusFileName(shardSuffix(run.config))).pipe(
      Effect.catch((e) => Effect.logWarning(e.message))
    )
    if (result === "interrupted") {
      yield* (yield* RunHistory).record(status, 0)
      yield* logOutcome(status)
    }
    return { status, notModified: 0, rateLimitWaits: 0, setupFailure: undefined }
  })

/** Retention after a complete export: what was removed, and the archives kept because they cannot be read. */
const applyRetention = (config: WorkerConfig) =>
  Effect.gen(function* () {
    const policy = policyOf(config.retention ?? {})
    if (policy === undefined) return { removed: [], unreadable: [] }
    // The location's retention lock, in the state directory: a prune or another shard deleting there skips this
    // run's retention (the next run catches up), never the backup.
    const pruned = yield* pruneArchives(outputLocation(config), policy, {
      dryRun: false,
      timeZone: config.schedule.timeZone,
      stateDir: config.stateDir
    }).pipe(
      Effect.catchTags({
        PruneError: (e) => Effect.logWarning(`retention skipped: ${e.message}`).pipe(Effect.as(undefined)),
        LockedError: (e) => Effect.logWarning(`retention skipped: ${e.message}`).pipe(Effect.as(undefined))
      })
    )
    if (pruned === undefined) return { removed: [], unreadable: [] }
    // Kept, never deleted: a damaged or foreign file is for a person to look at, so say so every run.
    for (const u of pruned.unreadable)
      yield* Effect.logWarning(`retention kept ${u.name}: its manifest cannot be read (${u.problem})`)
    // Object Lock keeps it: expected with a lock, tried again next run.
    for (const k of pruned.retained) yield* Effect.logInfo(`retention retained ${k.name}: ${k.detail}`)
    return { removed: pruned.remove.map((a) => a.name), unreadable: pruned.unreadable }
  })

/** The run's one closing log line: what a person reading the log looks for first. */
const logOutcome = (status: RunStatus, notModified = 0) =>
  status.result === "success"
    ? Effect.logInfo("export finished", {
        archive: status.archive,
        spaces: status.owners.reduce((n, o) => n + o.spaces, 0),
        notModified,
        requests: status.requests,
        durationMs: status.durationMs,
        removed: status.removedArchives
      })
    : Effect.logError(`export ${status.result}`, failureDetails(status))

/** What the error log line says of an unsuccessful run: the archive, the error, and each owner's reasons. */
const failureDetails = (status: RunStatus) => {
  // A partial run's reasons, per owner, so the log alone says what to fix; absent when no owner has any.
  const failed = status.owners.filter((o) => o.failures.length > 0)
  return {
    archive: status.archive,
    error: status.error,
    ...(failed.length > 0 ? { failures: Object.fromEntries(failed.map((o) => [o.owner, o.failures])) } : {})
  }
}
