// status.json in the worker's state directory, rewritten atomically after every run: what monitoring reads, and
// what a restarted worker seeds its health and metrics from.
import { readFile, unlink } from "node:fs/promises"
import { basename, dirname, join } from "node:path"
import { Effect, Schema } from "effect"
import { writeJsonAtomic } from "@spaces-vault/core/runtime/AtomicFile"
import { errorText } from "@spaces-vault/core/runtime/ErrorText"

const OwnerSummary = Schema.Struct({
  owner: Schema.String,
  kind: Schema.Literals(["org", "user"]),
  spaces: Schema.Number,
  failed: Schema.Number,
  failures: Schema.Array(Schema.String)
})

/** The name is absent when the archives are encrypted: the worker reads them without an identity. */
const Named = { number: Schema.Number, name: Schema.optionalKey(Schema.String) }

/** One owner's changes since its baseline (core/report/ChangeReport). */
const OwnerChanges = Schema.Struct({
  deleted: Schema.Array(Schema.Struct({ ...Named, archive: Schema.String })),
  restored: Schema.Array(Schema.Struct({ ...Named, as: Schema.String })),
  added: Schema.Array(Schema.Struct(Named)),
  changed: Schema.Array(Schema.Struct({ ...Named, changes: Schema.Array(Schema.String) }))
})

export const RunResult = Schema.Literals(["success", "partial", "failed", "interrupted"])
export type RunResult = typeof RunResult.Type

export const RunStatus = Schema.Struct({
  lastRunStartedAt: Schema.String,
  lastRunFinishedAt: Schema.String,
  result: RunResult,
  archive: Schema.NullOr(Schema.String),
  /** The export's per-owner summary, failure messages included, so a partial run says why without the archive. */
  owners: Schema.Array(OwnerSummary),
  requests: Schema.Number,
  durationMs: Schema.Number,
  error: Schema.NullOr(Schema.String),
  removedArchives: Schema.Array(Schema.String),
  /** Archives retention kept because their manifest cannot be read: someone should look at them. */
  unreadableArchives: Schema.Array(Schema.Struct({ name: Schema.String, problem: Schema.String })),
  nextRunAt: Schema.NullOr(Schema.String),
  /** When a run last succeeded, this one or an earlier one: a failed run must not make the last success unknown. */
  lastSuccessAt: Schema.optionalKey(Schema.NullOr(Schema.String)),
  /** Per owner, what changed since its last complete archive; absent when the run wrote no archive or no report. */
  changes: Schema.optionalKey(Schema.Record(Schema.String, OwnerChanges)),
  /** Why the webhook notification of this run failed, or null (absent when none was due). */
  notifyError: Schema.optionalKey(Schema.NullOr(Schema.String))
})
export type RunStatus = typeof RunStatus.Type

export const STATUS_FILE = "status.json"

/** One status file per shard (`status-shard-1-of-4.json`), so shards never overwrite each other's. */
export const statusFileName = (suffix: string): string => `status${suffix}.json`

/** status.json cannot be written or read; `path` is the file. */
export class StatusFileError extends Schema.TaggedError<StatusFileError>()("StatusFileError", {
  path: Schema.String,
  action: Schema.Literals(["write", "read"]),
  detail: Schema.String
}) {
  override get message(): string {
    return `cannot ${this.action} ${basename(this.path)} in ${dirname(this.path)}: ${this.detail}`
  }
}

export const writeStatus = (stateDir: string, status: RunStatus, file: string = STATUS_FILE) =>
  writeJsonAtomic(join(stateDir, file), status).pipe(
    Effect.mapError((e) => new StatusFileError({ path: e.path, action: "write", detail: e.detail }))
  )

const decodeStatus = Schema.decodeUnknownEffect(Schema.fromJsonString(RunStatus))

/** One status file: undefined when there is none; a StatusFileError when it cannot be read or is not a status. */
const readOne = (path: string) =>
  Effect.gen(function* () {
    const text = yield* Effect.tryPromise({
      try: () =>
        readFile(path, "utf8").catch((e: NodeJS.ErrnoException) =>
          e.code === "ENOENT" ? undefined : Promise.reject(e)
        ),
      catch: (e) => new StatusFileError({ path, action: "read", detail: errorText(e) })
    })
    if (text === undefined) return undefined
    return yield* decodeStatus(text).pipe(
      Effect.mapError(() => new StatusFileError({ path, action: "read", detail: "it is not a worker status file" }))
    )
  })

/**
 * The last run's status, for a worker that starts: from the state directory, else from the output directory, where
 * workers before the state directory wrote it (so an upgrade keeps its history). `legacy` says where it came from.
 */
export const readLastStatus = (stateDir: string, outputDir: string, file: string = STATUS_FILE) =>
  Effect.gen(function* () {
    const current = yield* readOne(join(stateDir, file))
    // A shard's status file is new: no worker before the state directory wrote one.
    if (current !== undefined || stateDir === outputDir || file !== STATUS_FILE)
      return { status: current, legacy: false }
    return { status: yield* readOne(join(outputDir, STATUS_FILE)), legacy: true }
  })

/** Removes the status file the output directory held before the state directory, once its successor is written. */
export const removeLegacyStatus = (outputDir: string) =>
  Effect.promise(() =>
    unlink(join(outputDir, STATUS_FILE)).then(
      () => true,
      () => false
    )
  )
