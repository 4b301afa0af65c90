// The versions of one space across a location's archives: when it first appeared, each change and what changed,
// when it disappeared, and what a replay restored it as. Reads manifests, then only the entries of the changes. An
// encrypted archive without an identity still gives its events (from manifest digests), without names or details.
import { Effect } from "effect"
import type { LocationSource } from "../archive/ArchiveLocation.ts"
import { describeChanges, SEALED_CHANGE } from "../archive/Diff.ts"
import type { ArchivedSpace } from "../archive/ArchiveFormat.ts"
import { digestSpace } from "../archive/SpaceDigest.ts"
import { type IndexedArchive, indexArchives, readSpaceEntries } from "./ArchiveIndex.ts"
import { type SpaceKey, spaceKey, spaceVersions } from "./ArchiveSearch.ts"
import { readRestoreLinks } from "./RestoreLinks.ts"

export interface HistoryEvent {
  readonly kind: "appeared" | "changed" | "disappeared"
  /** The archive that shows it (file name) and its time (ISO). */
  readonly archive: string
  readonly at: string
  /**
   * The space's name in that archive (the last one holding it, for a disappearance); null when unreadable, or
   * encrypted and no identity was given.
   */
  readonly name: string | null
  /** For a change: what changed, in words. */
  readonly changes?: ReadonlyArray<string>
}

export interface SpaceHistory {
  readonly space: string
  readonly events: ReadonlyArray<HistoryEvent>
  /** "octo-org/242" when a replay restored it, else null. */
  readonly restoredAs: string | null
  readonly unreadable: ReadonlyArray<{ readonly name: string; readonly problem: string }>
}

const iso = (ms: number) => new Date(ms).toISOString()

export const spaceHistory = (dir: LocationSource, space: SpaceKey, stateDir: string | undefined) =>
  Effect.gen(function* () {
    const index = yield* indexArchives(dir)
    const versions = spaceVersions(index.archives, space)
    const unreadable = [...index.unreadable]
    const cache = new Map<string, ArchivedSpace | undefined>()
    const sealed = new Set<string>()
    // An entry that cannot be read is said so once, and its event stands without a name or changes; one that is
    // encrypted without an identity is no problem of the archive: its event stands without them all the same.
    const entry = (a: IndexedArchive) =>
      cache.has(a.path)
        ? Effect.succeed(cache.get(a.path))
        : readSpaceEntries(a.source, [space]).pipe(
            Effect.map((es) => es[0]?.space),
            Effect.catch((e) =>
              Effect.sync(() => {
                if (e.reason === "Encrypted") sealed.add(a.path)
                else unreadable.push({ name: a.name, problem: e.message })
                return undefined
              })
            ),
            Effect.tap((s) => Effect.sync(() => void cache.set(a.path, s)))
          )
    const events: Array<HistoryEvent> = []
    for (const v of versions) {
      const at = { archive: v.archive.name, at: iso(v.archive.createdAt) }
      if (v._tag === "Appeared") {
        events.push({ kind: "appeared", ...at, name: (yield* entry(v.archive))?.name ?? null })
      } else if (v._tag === "Disappeared") {
        events.push({ kind: "disappeared", ...at, name: (yield* entry(v.lastSeen))?.name ?? null })
      } else {
        const before = yield* entry(v.previous)
        const after = yield* entry(v.archive)
        const changes =
          before !== undefined && after !== undefined
            ? describeChanges(digestSpace(space.owner, before), digestSpace(space.owner, after))
            : sealed.has(v.previous.path) || sealed.has(v.archive.path)
              ? [SEALED_CHANGE]
              : ["(an entry could not be read)"]
        // Only ETags moved: the same space, not a new version.
        if (changes.length > 0) events.push({ kind: "changed", ...at, name: after?.name ?? null, changes })
      }
    }
    const links = stateDir === undefined ? new Map<string, string>() : yield* readRestoreLinks(stateDir)
    return {
      space: `${space.owner}/${space.number}`,
      events,
      restoredAs: links.get(spaceKey(space)) ?? null,
      unreadable
    } satisfies SpaceHistory
  })
