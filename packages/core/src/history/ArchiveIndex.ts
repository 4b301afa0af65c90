// The one door history and restore use into a location of archives, through ArchiveStore: each archive's manifest
// (owners and per-space content digests) and, by owner and number, single space entries. Never a whole archive.
import { Effect } from "effect"
import {
  compareArchiveNamesDesc,
  listArchives,
  parseArchiveFileName,
  problemText
} from "../archive/ArchiveDirectory.ts"
import type { ArchiveError } from "../archive/ArchiveError.ts"
import { type ArchiveSource, type LocationSource, sourceIn, sourceText } from "../archive/ArchiveLocation.ts"
import { type ArchivedSpaceEntry, openArchive, parseSpacePath } from "../archive/ArchiveReader.ts"
import type { ArchiveSnapshot } from "./ArchiveSearch.ts"
import { readManifestFast } from "./ManifestRead.ts"

/** An archive as the search sees it, with where to read its entries. */
export interface IndexedArchive extends ArchiveSnapshot {
  /** How messages name it: a local path (joined to the directory as given), or `s3://bucket/prefix/NAME`. */
  readonly path: string
  readonly source: ArchiveSource
}

export interface ArchiveIndex {
  /** Oldest first. */
  readonly archives: ReadonlyArray<IndexedArchive>
  /** Archives whose manifest could not be read: skipped, and said so. */
  readonly unreadable: ReadonlyArray<{ readonly name: string; readonly problem: string }>
}

/** An archive's manifest: by the fast path (three reads), else through the reader. */
const manifestOf = (source: ArchiveSource) =>
  Effect.flatMap(readManifestFast(source), (fast) =>
    fast !== undefined ? Effect.succeed(fast) : Effect.scoped(Effect.map(openArchive(source), (a) => a.manifest))
  )

/** One archive's snapshot: its manifest only. */
const snapshotOf = (source: ArchiveSource, name: string) =>
  Effect.map(manifestOf(source), (manifest): IndexedArchive => {
    const spaces = new Map<string, string>()
    for (const e of manifest.entries) {
      const s = parseSpacePath(e.path)
      if (s !== undefined) spaces.set(`${s.ownerLogin}/${s.number}`, e.sha256)
    }
    const created = Date.parse(manifest.createdAt)
    return {
      name,
      path: sourceText(source),
      source,
      createdAt: Number.isNaN(created) ? (parseArchiveFileName(name)?.createdAtMs ?? 0) : created,
      owners: manifest.owners,
      spaces
    }
  })

/** Every archive of a location with its manifest, oldest first; an unreadable one is set aside, not a failure. */
export const indexArchives = (dir: LocationSource) =>
  Effect.gen(function* () {
    const names = yield* listArchives(dir)
    const archives: Array<IndexedArchive> = []
    const unreadable: Array<{ name: string; problem: string }> = []
    // A few at once: the reads of one archive overlap the parsing of another.
    yield* Effect.forEach(
      names,
      (name) =>
        snapshotOf(sourceIn(dir, name), name).pipe(
          Effect.flatMap((snapshot) => Effect.sync(() => void archives.push(snapshot))),
          Effect.catch((e) => Effect.sync(() => void unreadable.push({ name, problem: problemText(e) })))
        ),
      { concurrency: 4, discard: true }
    )
    unreadable.sort((a, b) => compareArchiveNamesDesc(b.name, a.name))
    archives.sort((a, b) => a.createdAt - b.createdAt || (a.name < b.name ? -1 : 1))
    return { archives, unreadable } satisfies ArchiveIndex
  })

/**
 * The asked spaces of one archive, each read by name (and checked against the manifest); an encrypted archive's with
 * the identities the command provides (ArchiveIdentities). The search itself (ArchiveSearch) needs only manifests.
 */
export const readSpaceEntries = (
  archive: ArchiveSource,
  spaces: ReadonlyArray<{ readonly owner: string; readonly number: number }>
): Effect.Effect<ReadonlyArray<ArchivedSpaceEntry>, ArchiveError> =>
  Effect.scoped(
    Effect.flatMap(openArchive(archive), (archive) =>
      Effect.forEach(spaces, (s) => archive.readSpace(s.owner, s.number))
    )
  )
