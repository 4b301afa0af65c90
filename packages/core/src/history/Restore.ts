// One-command restore: finds, among a directory's archives, the newest one holding each asked space (or each space
// deleted since a time) and replays them with the replay engine, archive by archive. Idempotence comes from the
// replay journal, keyed by the source space and not by the archive: a second run creates nothing again.
import { Effect } from "effect"
import type { ArchiveSource, LocationSource } from "../archive/ArchiveLocation.ts"
import type { Owner } from "../domain/Owner.ts"
import { type ReplayOptions, type ReplaySummary, replayArchive } from "../replay/Replay.ts"
import { emptySummary, recordNotTried, type SummaryBuilder } from "../replay/ReplaySummary.ts"
import { type IndexedArchive, indexArchives } from "./ArchiveIndex.ts"
import { deletedSince, newestHolding, type SpaceKey } from "./ArchiveSearch.ts"

export type RestoreSelection =
  | { readonly _tag: "Spaces"; readonly spaces: ReadonlyArray<SpaceKey>; readonly asOf?: number | undefined }
  | { readonly _tag: "DeletedSince"; readonly since: number }

export interface RestoreSource {
  readonly space: string
  /** The archive's file name, how messages name it (a path, or `s3://…`), and what replay reads. */
  readonly archive: string
  readonly path: string
  readonly source: ArchiveSource
}

export interface RestorePlan {
  readonly sources: ReadonlyArray<RestoreSource>
  /** Asked spaces no archive (before --as-of) holds. */
  readonly missing: ReadonlyArray<string>
  readonly unreadable: ReadonlyArray<{ readonly name: string; readonly problem: string }>
}

const label = (s: SpaceKey) => `${s.owner}/${s.number}`
const sourceOf = (space: SpaceKey, a: IndexedArchive): RestoreSource => ({
  space: label(space),
  archive: a.name,
  path: a.path,
  source: a.source
})

/** Which archive each space comes from. Pure over an index. */
export const pickSources = (
  archives: ReadonlyArray<IndexedArchive>,
  selection: RestoreSelection
): Omit<RestorePlan, "unreadable"> => {
  if (selection._tag === "DeletedSince")
    return { sources: deletedSince(archives, selection.since).map((d) => sourceOf(d, d.lastSeen)), missing: [] }
  const sources: Array<RestoreSource> = []
  const missing: Array<string> = []
  for (const s of selection.spaces) {
    const a = newestHolding(archives, s, selection.asOf)
    if (a === undefined) missing.push(label(s))
    else sources.push(sourceOf(s, a))
  }
  return { sources, missing }
}

/** Reads the manifests at `dir` (skipping unreadable archives) and picks the archive of each space. */
export const planRestore = (dir: LocationSource, selection: RestoreSelection) =>
  Effect.map(
    indexArchives(dir),
    (index): RestorePlan => ({
      ...pickSources(index.archives, selection),
      unreadable: index.unreadable
    })
  )

/** Adds one archive's replay to the run's summary. */
const merge = (into: SummaryBuilder, s: ReplaySummary) => {
  into.created.push(...s.created)
  into.updated.push(...s.updated)
  into.skipped.push(...s.skipped)
  into.failed.push(...s.failed)
  into.unmapped.push(...s.unmapped)
  into.notes.push(...s.notes)
  for (const m of s.mappings)
    if (!into.mappings.some((x) => x.target === m.target && x.kind === m.kind && x.from === m.from && x.to === m.to))
      into.mappings.push(m)
  into.writes = { total: into.writes.total + s.writes.total, creating: into.writes.creating + s.writes.creating }
}

/** Replays the plan's spaces, each from its archive, into one summary; a conflict stop ends the whole run. */
export const applyRestore = (
  plan: RestorePlan,
  options: Omit<ReplayOptions, "archive" | "spaces"> & { readonly to?: Owner | undefined }
) =>
  Effect.gen(function* () {
    // By the name messages use, which is unique per archive of one location.
    const byArchive = new Map<string, { source: ArchiveSource; spaces: Array<string> }>()
    for (const s of plan.sources) {
      const group = byArchive.get(s.path) ?? { source: s.source, spaces: [] }
      group.spaces.push(s.space)
      byArchive.set(s.path, group)
    }
    const summary = emptySummary(options.dryRun)
    const groups = [...byArchive.values()]
    for (const [i, { source, spaces }] of groups.entries()) {
      const done = yield* replayArchive({ ...options, archive: source, spaces })
      merge(summary, done)
      const conflict = done.failed.find((f) => f.kind === "conflict")
      if (conflict === undefined) continue
      const at = `${conflict.target}/${conflict.number ?? "?"}`
      for (const later of groups.slice(i + 1))
        for (const space of later.spaces) {
          const [owner = "", number = "0"] = space.split("/")
          recordNotTried(
            summary,
            options.to ?? { kind: "org", login: owner },
            { owner, number: Number(number), name: "" },
            at
          )
        }
      break
    }
    return summary as ReplaySummary
  })
