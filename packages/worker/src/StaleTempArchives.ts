// Housekeeping at the start of a run: leftovers that a killed export (SIGKILL, power loss) left in the output location.
import { Effect } from "effect"
import { type LocationSource, locationOfSource } from "@spaces-vault/core/archive/ArchiveLocation"
import { ArchiveStore } from "@spaces-vault/core/archive/ArchiveStore"

/**
 * Removes leftovers of killed exports through the store (which defines what a leftover is and when it is stale);
 * called while holding the lock, so no worker is writing one. A CLI export with another state directory (or of
 * another shard) may be writing into the same location, but it writes continuously, so only leftovers untouched for
 * a day are removed. Housekeeping: a
 * problem is logged, never fails the run.
 */
export const removeStaleTempArchives = (dir: LocationSource, nowMs: number) =>
  Effect.gen(function* () {
    const outcomes = yield* ArchiveStore.forLocation(locationOfSource(dir)).pipe(
      Effect.flatMap((archives) => archives.removeStaleTemps(nowMs)),
      Effect.catch((e) => Effect.as(Effect.logWarning(`cannot look for temporary archives: ${e.message}`), []))
    )
    for (const outcome of outcomes) {
      yield* outcome._tag === "Removed"
        ? Effect.logInfo(
            `removed temporary archive ${outcome.name}: left by an interrupted export, last modified ${new Date(outcome.modifiedAt).toISOString()}`
          )
        : Effect.logWarning(`cannot remove temporary archive ${outcome.name}: ${outcome.problem}`)
    }
  })
