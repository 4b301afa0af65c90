// Applies a retention policy to a location of archives: reads each archive's manifest (an unreadable archive is
// never deleted, only reported), plans with the pure Retention, then deletes through ArchiveStore unless dry-run,
// holding the location's retention lock in the state directory when one is given.
import { Effect, Schema } from "effect"
import { readDirectoryState, type ReadArchiveState } from "../archive/ArchiveDirectory.ts"
import { lockLocation } from "../archive/LocationLock.ts"
import { type LocationSource, locationOfSource } from "../archive/ArchiveLocation.ts"
import { ArchiveStore } from "../archive/ArchiveStore.ts"
import { planRetention, type RetentionPlan, type RetentionPolicy } from "./Retention.ts"

export class PruneError extends Schema.TaggedError<PruneError>()("PruneError", { message: Schema.String }) {}

export interface PruneOptions {
  readonly dryRun: boolean
  /** IANA time zone in which days, weeks and months begin (default UTC). */
  readonly timeZone?: string | undefined
  readonly readState?: ReadArchiveState | undefined
  /**
   * The state directory whose retention lock of this location is held from reading the manifests to the last
   * delete (a dry run deletes nothing and takes none): another holder fails the prune with LockedError.
   */
  readonly stateDir?: string | undefined
}

export interface PruneResult extends RetentionPlan {
  /** Archives whose manifest could not be read: kept, and reported. */
  readonly unreadable: ReadonlyArray<{ readonly name: string; readonly problem: string }>
  /**
   * Archives the plan removes but the store keeps (Object Lock): not deleted, not a failure; a later run tries again.
   * They are not in `remove`.
   */
  readonly retained: ReadonlyArray<{ readonly name: string; readonly detail: string }>
  readonly dryRun: boolean
}

export const pruneArchives = (dir: LocationSource, policy: RetentionPolicy, options: PruneOptions) =>
  options.dryRun || options.stateDir === undefined
    ? applyPolicy(dir, policy, options)
    : Effect.scoped(Effect.andThen(lockLocation(options.stateDir, "retention", dir), applyPolicy(dir, policy, options)))

const applyPolicy = Effect.fn("Prune.apply")(function* (
  dir: LocationSource,
  policy: RetentionPolicy,
  options: PruneOptions
) {
  const { archives, unreadable } = yield* readDirectoryState(dir, options.readState).pipe(
    Effect.mapError((e) => new PruneError({ message: e.message }))
  )
  const plan = planRetention(archives, policy, options.timeZone)
  const retained: Array<{ name: string; detail: string }> = []
  if (!options.dryRun) {
    const archives = yield* ArchiveStore.forLocation(locationOfSource(dir)).pipe(
      Effect.mapError((e) => new PruneError({ message: e.message }))
    )
    const removed: Array<string> = []
    for (const a of plan.remove) {
      const kept = yield* archives.remove(a.name).pipe(
        Effect.as(false),
        Effect.catchIf(
          (e) => e.reason._tag === "Retained",
          (e) =>
            Effect.sync(() =>
              retained.push({ name: a.name, detail: e.reason._tag === "Retained" ? e.reason.detail : "" })
            ).pipe(Effect.as(true))
        ),
        Effect.mapError(
          (e) =>
            new PruneError({
              message: `could not delete ${a.name}: ${e.reason._tag === "NotFound" ? "no such file or directory" : e.reason.detail}${removed.length > 0 ? ` (already removed: ${removed.join(", ")})` : ""}`
            })
        )
      )
      if (!kept) removed.push(a.name)
    }
  }
  const remove = plan.remove.filter((a) => !retained.some((r) => r.name === a.name))
  return { ...plan, remove, unreadable, retained, dryRun: options.dryRun } satisfies PruneResult
})
