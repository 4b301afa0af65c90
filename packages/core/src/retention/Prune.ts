// Applies a retention policy to a directory of archives: reads each archive's manifest (an unreadable archive is
// never deleted, only reported), plans with the pure Retention, then deletes through FileSystem unless dry-run.
import { Effect, FileSystem, Path, PlatformError, Schema } from "effect"
import { openArchive } from "../archive/ArchiveReader.ts"
import { compareArchiveNamesDesc, parseArchiveFileName } from "./ArchiveName.ts"
import { planRetention, type ArchiveInfo, type RetentionPlan, type RetentionPolicy } from "./Retention.ts"

export class PruneError extends Schema.TaggedError<PruneError>()("PruneError", { message: Schema.String }) {}

/** What retention needs from an archive's manifest. */
export interface ArchiveState {
  /** Epoch ms from the manifest; undefined falls back to the time in the file name. */
  readonly createdAt: number | undefined
  readonly complete: boolean
}

/** Reads an archive's state; injectable so the planning and deleting can be tested without real zips. */
export type ReadArchiveState = (path: string) => Effect.Effect<ArchiveState, { readonly message: string }>

export const readManifestState: ReadArchiveState = (path) =>
  Effect.scoped(openArchive(path)).pipe(
    Effect.map(({ manifest }) => {
      const created = Date.parse(manifest.createdAt)
      return { createdAt: Number.isNaN(created) ? undefined : created, complete: !manifest.partial }
    })
  )

export interface PruneOptions {
  readonly dryRun: boolean
  /** IANA time zone in which days, weeks and months begin (default UTC). */
  readonly timeZone?: string | undefined
  readonly readState?: ReadArchiveState | undefined
}

export interface PruneResult extends RetentionPlan {
  /** Archives whose manifest could not be read: kept, and reported. */
  readonly unreadable: ReadonlyArray<{ readonly name: string; readonly problem: string }>
  readonly dryRun: boolean
}

/** One line for people: a file-system failure by what happened ("no such file or directory"), not by its API call. */
const problem = (e: { readonly message: string }) => {
  if (e instanceof PlatformError.PlatformError && e.reason._tag !== "BadArgument") {
    const said = systemErrorText[e.reason._tag]
    if (said !== undefined) return said
  }
  return e.message.split("\n")[0] ?? "unknown error"
}

const systemErrorText: Partial<Record<PlatformError.SystemErrorTag, string>> = {
  NotFound: "no such file or directory",
  PermissionDenied: "permission denied",
  AlreadyExists: "already exists",
  Busy: "busy"
}

export const pruneArchives = Effect.fn("Prune.apply")(function* (
  dir: string,
  policy: RetentionPolicy,
  options: PruneOptions
) {
  const fs = yield* FileSystem.FileSystem
  const path = yield* Path.Path
  const readState = options.readState ?? readManifestState
  const listed = yield* fs
    .readDirectory(dir)
    .pipe(Effect.mapError((e) => new PruneError({ message: `cannot read ${dir}: ${problem(e)}` })))
  // Only our own archive names: anything else in the directory (status.json, temp files, a user's notes) is left alone.
  const names = listed.filter((n) => parseArchiveFileName(n) !== undefined).sort(compareArchiveNamesDesc)

  const infos: Array<ArchiveInfo> = []
  const unreadable: Array<{ name: string; problem: string }> = []
  for (const name of names) {
    const state = yield* readState(path.join(dir, name)).pipe(
      Effect.catch((e) => Effect.sync(() => void unreadable.push({ name, problem: problem(e) })))
    )
    if (state === undefined) continue
    // The manifest's time has milliseconds; the name's has seconds (and a -N suffix for ties).
    infos.push({
      name,
      createdAt: state.createdAt ?? parseArchiveFileName(name)!.createdAtMs,
      complete: state.complete
    })
  }

  const plan = planRetention(infos, policy, options.timeZone)
  if (!options.dryRun) {
    const removed: Array<string> = []
    for (const a of plan.remove) {
      yield* fs.remove(path.join(dir, a.name)).pipe(
        Effect.mapError(
          (e) =>
            new PruneError({
              message: `could not delete ${a.name}: ${problem(e)}${removed.length > 0 ? ` (already removed: ${removed.join(", ")})` : ""}`
            })
        )
      )
      removed.push(a.name)
    }
  }
  return { ...plan, unreadable, dryRun: options.dryRun } satisfies PruneResult
})
