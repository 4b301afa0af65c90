// Applies a retention policy to a directory of archives: reads each archive's manifest (an unreadable archive is
// never deleted, only reported), plans with the pure Retention, then deletes unless it is a dry run.
import { unlink } from "node:fs/promises"
import { join } from "node:path"
import { Effect, Schema } from "effect"
import { openArchive } from "../archive/ArchiveReader.ts"
import { listArchives } from "../export/ExportSpaces.ts"
import { parseArchiveFileName } from "./ArchiveName.ts"
import { planRetention, type ArchiveInfo, type RetentionPlan, type RetentionPolicy } from "./Retention.ts"

export class PruneError extends Schema.TaggedError<PruneError>()("PruneError", { message: Schema.String }) {}

export interface PruneResult extends RetentionPlan {
  readonly unreadable: ReadonlyArray<{ readonly name: string; readonly problem: string }>
  readonly dryRun: boolean
}

export const pruneArchives = (dir: string, policy: RetentionPolicy, dryRun: boolean) =>
  Effect.gen(function* () {
    const names = yield* listArchives(dir).pipe(Effect.mapError((e) => new PruneError({ message: e.message })))
    const infos: Array<ArchiveInfo> = []
    const unreadable: Array<{ name: string; problem: string }> = []
    for (const name of names) {
      const manifest = yield* Effect.scoped(openArchive(join(dir, name)).pipe(Effect.map((a) => a.manifest))).pipe(
        Effect.catchTag("ArchiveError", (e) => Effect.sync(() => void unreadable.push({ name, problem: e.message })))
      )
      if (manifest === undefined) continue
      // The manifest's time has milliseconds; the name's has seconds (and a -N suffix for ties).
      const created = Date.parse(manifest.createdAt)
      infos.push({ name, createdAt: Number.isNaN(created) ? parseArchiveFileName(name)!.createdAtMs : created, complete: !manifest.partial })
    }
    const plan = planRetention(infos, policy)
    if (!dryRun) {
      for (const a of plan.remove) {
        yield* Effect.tryPromise({
          try: () => unlink(join(dir, a.name)),
          catch: (e) => new PruneError({ message: `could not delete ${a.name}: ${e instanceof Error ? e.message : String(e)}` })
        })
      }
    }
    return { ...plan, unreadable, dryRun } satisfies PruneResult
  })
