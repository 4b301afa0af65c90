// The report after an export: owner by owner, against the newest earlier archive that covers the owner completely,
// the spaces deleted, added and changed. A space a replay has restored is "restored as", not deleted again; one the
// newest archive could not vouch for (its owner failed) is unverified, never deleted. Encrypted archives read without
// an identity (the worker holds only public keys) are compared by their manifests' digests: spaces by number only.
import { Effect } from "effect"
import type { LocationSource } from "../archive/ArchiveLocation.ts"
import type { SpaceRef } from "../archive/Diff.ts"
import { diffDirectory, type DirectoryDiff } from "../archive/DirectoryDiff.ts"
import { spaceKey } from "../history/ArchiveSearch.ts"
import { readRestoreLinks, type RestoreLinks } from "../history/RestoreLinks.ts"

/** A space's number, and its name when the archive that holds it could be read (absent: encrypted, no identity). */
interface Numbered {
  readonly number: number
  readonly name?: string
}

export interface DeletedEntry extends Numbered {
  /** The archive (file name) that still holds it: what a restore reads. */
  readonly archive: string
}

export interface OwnerChanges {
  readonly deleted: ReadonlyArray<DeletedEntry>
  /** Gone from the owner, but already restored by a replay: "octo-org/12 restored as octo-org/242". */
  readonly restored: ReadonlyArray<Numbered & { readonly as: string }>
  readonly added: ReadonlyArray<Numbered>
  readonly changed: ReadonlyArray<Numbered & { readonly changes: ReadonlyArray<string> }>
}

export interface ChangeReport {
  /** The archive just written (file name). */
  readonly archive: string
  /** Owners that have a baseline, by login; an owner seen for the first time is not compared. */
  readonly changes: Readonly<Record<string, OwnerChanges>>
  /** Missing spaces the newest archive cannot vouch for (their owner failed): never reported as deleted. */
  readonly unverified: number
}

const baseName = (p: string) => p.slice(p.lastIndexOf("/") + 1)

const numbered = (s: SpaceRef): Numbered => ({ number: s.number, ...(s.name === undefined ? {} : { name: s.name }) })

/** ` "Roadmap"` after a space's number, or nothing when its name is unknown (an encrypted archive, no identity). */
export const quotedName = (name: string | undefined): string => (name === undefined ? "" : ` ${JSON.stringify(name)}`)

/** The report from a directory diff and the replay journals' links. Pure. */
export const changeReport = (diff: DirectoryDiff, links: RestoreLinks): ChangeReport => {
  const changes: Record<
    string,
    {
      deleted: Array<DeletedEntry>
      restored: Array<OwnerChanges["restored"][number]>
      added: Array<OwnerChanges["added"][number]>
      changed: Array<OwnerChanges["changed"][number]>
    }
  > = {}
  const baselineOf = new Map<string, string>()
  for (const b of diff.baselines) {
    if (b.baseline === null) continue
    changes[b.owner] = { deleted: [], restored: [], added: [], changed: [] }
    baselineOf.set(b.owner.toLowerCase(), b.owner)
  }
  const of = (owner: string) => changes[baselineOf.get(owner.toLowerCase()) ?? owner]
  const baselineName = (owner: string) =>
    baseName(diff.baselines.find((b) => b.owner.toLowerCase() === owner.toLowerCase())?.baseline ?? "")
  for (const r of diff.removed) {
    const as = links.get(spaceKey(r))
    if (as !== undefined) of(r.owner)?.restored.push({ ...numbered(r), as })
    else of(r.owner)?.deleted.push({ ...numbered(r), archive: baselineName(r.owner) })
  }
  for (const a of diff.added) of(a.owner)?.added.push(numbered(a))
  for (const c of diff.changed) of(c.owner)?.changed.push({ ...numbered(c), changes: c.changes })
  return { archive: baseName(diff.newest), changes, unverified: diff.unverified.length }
}

/** Totals over every owner, for metrics and one-line summaries. */
export const reportCounts = (report: ChangeReport) => {
  const owners = Object.values(report.changes)
  const sum = (f: (o: OwnerChanges) => number) => owners.reduce((n, o) => n + f(o), 0)
  return {
    deleted: sum((o) => o.deleted.length),
    added: sum((o) => o.added.length),
    changed: sum((o) => o.changed.length),
    restored: sum((o) => o.restored.length)
  }
}

/** The report of a location whose newest archive was just written; `stateDir` holds the replay journals. */
export const reportChanges = (dir: LocationSource, stateDir: string, archiveName?: string) =>
  Effect.gen(function* () {
    const diff = yield* diffDirectory(dir, archiveName)
    const links = yield* readRestoreLinks(stateDir)
    return changeReport(diff, links)
  })

/** "octo-org/12 \"Roadmap\" deleted (still in ARCHIVE)" lines, one per deleted or restored space. */
export const deletionLines = (report: ChangeReport): ReadonlyArray<string> =>
  Object.entries(report.changes).flatMap(([owner, c]) => [
    ...c.deleted.map((d) => `${owner}/${d.number}${quotedName(d.name)} deleted (still in ${d.archive})`),
    ...c.restored.map((r) => `${owner}/${r.number}${quotedName(r.name)} restored as ${r.as}`)
  ])
