// Pure searches over what archives' manifests say: which archive holds a space, the versions of one space across
// archives, and the spaces that disappeared after a time. An archive vouches for a space's absence only when it
// listed the owner completely and did not fail to read that space (the "unverified" rule of diff).
import type { ManifestOwner } from "../archive/ArchiveFormat.ts"
import { coverageOf } from "../archive/Diff.ts"

/** One archive as a manifest describes it. */
export interface ArchiveSnapshot {
  readonly name: string
  /** Epoch ms. */
  readonly createdAt: number
  readonly owners: ReadonlyArray<ManifestOwner>
  /** `owner/number` (owner case-folded) -> sha256 of the space's entry. */
  readonly spaces: ReadonlyMap<string, string>
}

export interface SpaceKey {
  readonly owner: string
  readonly number: number
}

export const spaceKey = (s: SpaceKey) => `${s.owner.toLowerCase()}/${s.number}`

/** "octo-org/12" -> { owner, number }, or undefined. */
export const parseSpaceKey = (text: string): SpaceKey | undefined => {
  const m = /^([^/\s]+)\/(\d+)$/.exec(text.trim())
  return m === null ? undefined : { owner: m[1]!, number: Number(m[2]) }
}

/** Whether the archive holds the space's entry: read in full, or it would not be there. */
export const holds = (a: ArchiveSnapshot, s: SpaceKey) => a.spaces.has(spaceKey(s))

/** Whether the archive's absence of the space means it was gone. */
export const vouchesAbsent = (a: ArchiveSnapshot, s: SpaceKey) =>
  !holds(a, s) && coverageOf(a.owners)(s.owner, s.number) === undefined

/** The newest archive (at or before `asOf`, epoch ms) that holds the space. */
export const newestHolding = <A extends ArchiveSnapshot>(
  archives: ReadonlyArray<A>,
  space: SpaceKey,
  asOf?: number
): A | undefined => {
  let found: A | undefined
  for (const a of archives) {
    if (asOf !== undefined && a.createdAt > asOf) continue
    if (holds(a, space) && (found === undefined || a.createdAt >= found.createdAt)) found = a
  }
  return found
}

export type VersionEvent<A extends ArchiveSnapshot> =
  | { readonly _tag: "Appeared"; readonly archive: A }
  /** Its entry differs from the previous archive's (what changed is read from the two entries). */
  | { readonly _tag: "Changed"; readonly archive: A; readonly previous: A }
  | { readonly _tag: "Disappeared"; readonly archive: A; readonly lastSeen: A }

/**
 * The versions of one space, oldest first: archives that do not list its owner completely are passed over, so a
 * failed night is neither a disappearance nor a reappearance.
 */
export const spaceVersions = <A extends ArchiveSnapshot>(
  archives: ReadonlyArray<A>,
  space: SpaceKey
): ReadonlyArray<VersionEvent<A>> => {
  const events: Array<VersionEvent<A>> = []
  let last: A | undefined
  let present = false
  for (const a of [...archives].sort((x, y) => x.createdAt - y.createdAt)) {
    const sha = a.spaces.get(spaceKey(space))
    if (sha !== undefined) {
      if (!present) events.push({ _tag: "Appeared", archive: a })
      else if (last !== undefined && last.spaces.get(spaceKey(space)) !== sha)
        events.push({ _tag: "Changed", archive: a, previous: last })
      present = true
      last = a
    } else if (present && last !== undefined && vouchesAbsent(a, space)) {
      events.push({ _tag: "Disappeared", archive: a, lastSeen: last })
      present = false
    }
  }
  return events
}

export interface DeletedSpace<A extends ArchiveSnapshot> extends SpaceKey {
  /** The first archive that vouched it was gone. */
  readonly goneIn: A
  /** The newest archive holding it: what a restore reads. */
  readonly lastSeen: A
}

/**
 * The spaces that disappeared at or after `since` (epoch ms) and have not come back, oldest disappearance first.
 * One pass over the archives, oldest first, holding for each space only the last archive that had it.
 */
export const deletedSince = <A extends ArchiveSnapshot>(
  archives: ReadonlyArray<A>,
  since: number
): ReadonlyArray<DeletedSpace<A>> => {
  const seen = new Map<string, { readonly key: SpaceKey; last: A }>()
  const gone = new Map<string, DeletedSpace<A>>()
  for (const a of [...archives].sort((x, y) => x.createdAt - y.createdAt)) {
    for (const k of a.spaces.keys()) {
      const known = seen.get(k)
      if (known !== undefined) known.last = a
      else {
        seen.set(k, { key: parseSpaceKey(k)!, last: a })
        gone.delete(k)
      }
    }
    const coverage = coverageOf(a.owners)
    for (const [k, { key, last }] of seen) {
      if (last === a || coverage(key.owner, key.number) !== undefined) continue
      gone.set(k, { ...key, goneIn: a, lastSeen: last })
      seen.delete(k)
    }
  }
  return [...gone.values()]
    .filter((d) => d.goneIn.createdAt >= since)
    .sort((x, y) => x.goneIn.createdAt - y.goneIn.createdAt || x.owner.localeCompare(y.owner) || x.number - y.number)
}
