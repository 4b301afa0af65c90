// The diff of two archives: spaces added, removed ("deleted since last night" — the list a restore starts from)
// and changed, with what changed. Spaces are matched by owner (case-folded) and number. A space is "removed" only
// when the newer archive could have seen it: if its owner's listing failed, or the space itself could not be read,
// it is "unverified" instead — a restore must not start from a failed export. The comparison is pure, on digests;
// `diffArchives` at the end feeds it from two archive files. An encrypted archive read without an identity gives
// sealed digests (its manifest's plaintext sha256s): spaces then show by owner and number, without names.
import { structuredPatch } from "diff"
import { Effect, Stream } from "effect"
import { FailureScope, type ManifestOwner, spaceEntryPath } from "./ArchiveFormat.ts"
import type { ArchiveError } from "./ArchiveError.ts"
import { type ArchiveHandle, openArchive, parseSpacePath } from "./ArchiveReader.ts"
import type { ArchiveSource } from "./ArchiveLocation.ts"
import { type AnyDigest, digestSpace, isSealed, sealedDigest, tableOf, type SpaceDigest } from "./SpaceDigest.ts"

export interface SpaceRef {
  readonly owner: string
  readonly number: number
  /** Absent when the archive it comes from is encrypted and was read without an identity. */
  readonly name?: string
}

/** A changed text field of a space, old and new (null when absent). */
export interface TextChange {
  readonly field: "description" | "general_instructions"
  readonly old: string | null
  readonly new: string | null
  /** For general_instructions, which run to thousands of characters: a unified diff, hunks only (no file header). */
  readonly diff?: string
}

export interface ChangedSpace extends SpaceRef {
  readonly changes: ReadonlyArray<string>
  /**
   * The old and new values of the text fields named in `changes` (a digest holds only their hashes, so the pure
   * diff leaves this out and `diffArchives` reads the two entries back).
   */
  readonly texts?: ReadonlyArray<TextChange>
}

export interface UnverifiedSpace extends SpaceRef {
  readonly reason: string
}

export interface ArchiveDiff {
  readonly added: ReadonlyArray<SpaceRef>
  readonly removed: ReadonlyArray<SpaceRef>
  readonly changed: ReadonlyArray<ChangedSpace>
  /** In the older archive, missing from the newer one, which cannot say whether they still exist. */
  readonly unverified: ReadonlyArray<UnverifiedSpace>
  readonly unchanged: number
}

/** Why the newer archive cannot vouch for a missing space, or undefined when its absence means it is gone. */
export type Coverage = (owner: string, number: number) => string | undefined

/** Everything is covered: for digests without a manifest (and tests of the pure diff). */
export const fullCoverage: Coverage = () => undefined

/** What the newer archive's manifest vouches for: owners whose listing succeeded, minus spaces it failed to read. */
export const coverageOf = (owners: ReadonlyArray<ManifestOwner>): Coverage => {
  const byLogin = new Map(owners.map((o) => [o.login.toLowerCase(), o]))
  return (owner, number) => {
    const o = byLogin.get(owner.toLowerCase())
    if (o === undefined) return `the newer archive does not include ${owner}`
    if (o.failures.some((f) => f.scope === FailureScope.list))
      return `the newer archive could not list ${o.login}'s spaces`
    if (o.failures.some((f) => f.scope === FailureScope.space(number)))
      return "the newer archive could not read this space"
    return undefined
  }
}

/** The one change said of a space whose entry differs where a side is sealed: what changed needs its contents. */
export const SEALED_CHANGE = "encrypted contents (what changed needs an identity)"

const key = (d: AnyDigest) => `${d.owner.toLowerCase()}/${d.number}`
/** The space's reference, named by `d`, else by `other` (the older digest of a changed space) when not sealed. */
const ref = (d: AnyDigest, other?: AnyDigest): SpaceRef => {
  const named = !isSealed(d) ? d : other !== undefined && !isSealed(other) ? other : undefined
  return { owner: d.owner, number: d.number, ...(named === undefined ? {} : { name: named.name }) }
}
const byKey = (a: SpaceRef, b: SpaceRef) => a.owner.localeCompare(b.owner) || a.number - b.number

const recordChanges = (before: Readonly<Record<string, string>>, after: Readonly<Record<string, string>>) => {
  const added = Object.keys(after).filter((k) => !(k in before))
  const removed = Object.keys(before).filter((k) => !(k in after))
  const changed = Object.keys(after).filter((k) => k in before && before[k] !== after[k])
  return { added, removed, changed }
}

/** What changed in one space, in words; empty when nothing did. */
export const describeChanges = (a: SpaceDigest, b: SpaceDigest): ReadonlyArray<string> => {
  const changes: Array<string> = []
  if (a.name !== b.name) changes.push(`name: ${JSON.stringify(a.name)} -> ${JSON.stringify(b.name)}`)
  if (a.description !== b.description) changes.push("description")
  if (a.instructions !== b.instructions) changes.push("general_instructions")
  if (a.baseRole !== b.baseRole) changes.push(`base_role: ${a.baseRole} -> ${b.baseRole}`)
  if (a.resources !== b.resources) {
    const r = recordChanges(tableOf(a.resources), tableOf(b.resources))
    // (Equal tables can differ in text only if an archive lists a resource twice.)
    if (r.added.length + r.removed.length + r.changed.length > 0) {
      changes.push(`resources: +${r.added.length} -${r.removed.length} ~${r.changed.length}`)
    }
  }
  if (a.collaborators !== b.collaborators) {
    const before = tableOf(a.collaborators)
    const after = tableOf(b.collaborators)
    const c = recordChanges(before, after)
    const parts = [
      ...c.added.map((k) => `+${k}(${after[k]})`),
      ...c.removed.map((k) => `-${k}`),
      ...c.changed.map((k) => `~${k} ${before[k]}->${after[k]}`)
    ]
    if (parts.length > 0) changes.push(`collaborators: ${parts.join(" ")}`)
  }
  return changes
}

/** What changed between two digests of one space; with a sealed side, only whether its entry's sha256 differs. */
export const digestChanges = (a: AnyDigest, b: AnyDigest): ReadonlyArray<string> => {
  if (!isSealed(a) && !isSealed(b)) return describeChanges(a, b)
  return a.sha256 !== undefined && a.sha256 === b.sha256 ? [] : [SEALED_CHANGE]
}

/**
 * A diff fed one space at a time, so that only the older archive's digests are held: `remember` each digest of the
 * older archive, then `see` each digest of the newer one, then `finish` with what the newer archive vouches for.
 */
export const startDiff = () => {
  const old = new Map<string, AnyDigest>()
  const added: Array<SpaceRef> = []
  const changed: Array<ChangedSpace> = []
  let unchanged = 0
  return {
    remember: (d: AnyDigest): void => void old.set(key(d), d),
    see: (d: AnyDigest): void => {
      const prev = old.get(key(d))
      if (prev === undefined) {
        added.push(ref(d))
        return
      }
      old.delete(key(d))
      const changes = digestChanges(prev, d)
      if (changes.length > 0) changed.push({ ...ref(d, prev), changes })
      else unchanged++
    },
    finish: (coverage: Coverage = fullCoverage): ArchiveDiff => {
      const removed: Array<SpaceRef> = []
      const unverified: Array<UnverifiedSpace> = []
      for (const d of old.values()) {
        const reason = coverage(d.owner, d.number)
        if (reason === undefined) removed.push(ref(d))
        else unverified.push({ ...ref(d), reason })
      }
      return {
        added: added.sort(byKey),
        removed: removed.sort(byKey),
        changed: changed.sort(byKey),
        unverified: unverified.sort(byKey),
        unchanged
      }
    }
  }
}

export const diffDigests = (
  before: Iterable<AnyDigest>,
  after: Iterable<AnyDigest>,
  coverage: Coverage = fullCoverage
): ArchiveDiff => {
  const diff = startDiff()
  for (const d of before) diff.remember(d)
  for (const d of after) diff.see(d)
  return diff.finish(coverage)
}

const asText = (v: unknown): string | null => (typeof v === "string" ? v : null)

/** A text as lines that each end in a newline, so a text without a final one does not end in "\ No newline…". */
const asLines = (text: string) => (text === "" ? "" : `${text}\n`)

/** A hunk's side as `diff -u` writes it: an empty side starts at the line before (0 for an empty text). */
const range = (start: number, lines: number) => `${lines === 0 ? start - 1 : start},${lines}`

/** Hunks of a line diff with 3 lines of context, as `diff -u` prints them after its two header lines. */
export const unifiedDiff = (before: string, after: string): string =>
  structuredPatch("old", "new", asLines(before), asLines(after), undefined, undefined, { context: 3 })
    .hunks.map((h) =>
      [`@@ -${range(h.oldStart, h.oldLines)} +${range(h.newStart, h.newLines)} @@`, ...h.lines].join("\n")
    )
    .join("\n")

/** The text fields `changes` names, old and new, from the two raw entries of one space. */
export const textChanges = (
  changes: ReadonlyArray<string>,
  before: Readonly<Record<string, unknown>>,
  after: Readonly<Record<string, unknown>>
): ReadonlyArray<TextChange> => {
  const texts: Array<TextChange> = []
  if (changes.includes("description"))
    texts.push({ field: "description", old: asText(before.description), new: asText(after.description) })
  if (changes.includes("general_instructions")) {
    const old = asText(before.general_instructions)
    const now = asText(after.general_instructions)
    texts.push({ field: "general_instructions", old, new: now, diff: unifiedDiff(old ?? "", now ?? "") })
  }
  return texts
}

/**
 * Hands the digest of each space of an archive whose owner `keep` accepts to `f`, entry by entry. The repository
 * index is read too, though a diff does not use it: reading checks it against the manifest, and a diff of an archive
 * that is not what its manifest says must fail like inspect and verify do. An encrypted archive without an identity
 * has every stored entry read and checked all the same, and gives sealed digests (never an Encrypted failure: the
 * worker, which holds no key, reports changes after every export).
 */
export const forEachDigest = (
  archive: ArchiveHandle,
  f: (d: AnyDigest) => void,
  keep: (ownerLogin: string) => boolean = () => true
): Effect.Effect<void, ArchiveError> => {
  if (!archive.decryptable)
    return Effect.forEach(
      archive.manifest.entries,
      (entry) =>
        Effect.map(archive.readStored(entry), () => {
          const s = parseSpacePath(entry.path)
          if (s !== undefined && keep(s.ownerLogin)) f(sealedDigest(s.ownerLogin, s.number, entry.sha256))
        }),
      { discard: true }
    )
  const sha256 = new Map(archive.manifest.entries.map((e) => [e.path, e.sha256]))
  return Stream.runForEach(archive.spaces, (e) =>
    Effect.sync(() => {
      if (keep(e.ownerLogin)) f(digestSpace(e.ownerLogin, e.space, sha256.get(spaceEntryPath(e.ownerLogin, e.number))))
    })
  ).pipe(Effect.andThen(archive.repositories), Effect.asVoid)
}

export const changesText = (c: ChangedSpace) =>
  c.changes.includes("description") || c.changes.includes("general_instructions")

/**
 * The diff of two archives; what the newer one failed to read is "unverified", never "removed". Only the older
 * archive's digests are held while the newer archive is compared space by space as it is read; the older archive
 * is opened again at the end, only when texts changed, to read those spaces' old texts back by name.
 */
export const diffArchives: (
  oldPath: ArchiveSource,
  newPath: ArchiveSource
) => Effect.Effect<ArchiveDiff, ArchiveError> = Effect.fn("Diff.diffArchives")(function* (
  oldPath: ArchiveSource,
  newPath: ArchiveSource
) {
  const diff = startDiff()
  yield* Effect.scoped(Effect.flatMap(openArchive(oldPath), (older) => forEachDigest(older, diff.remember)))
  return yield* Effect.scoped(
    Effect.gen(function* () {
      const newer = yield* openArchive(newPath)
      yield* forEachDigest(newer, diff.see)
      const result = diff.finish(coverageOf(newer.manifest.owners))
      if (!result.changed.some(changesText)) return result
      const older = yield* openArchive(oldPath)
      const changed = yield* Effect.forEach(result.changed, (c) =>
        changesText(c)
          ? Effect.map(
              Effect.all([older.readSpaceRaw(c.owner, c.number), newer.readSpaceRaw(c.owner, c.number)]),
              ([before, after]): ChangedSpace => ({ ...c, texts: textChanges(c.changes, before, after) })
            )
          : Effect.succeed(c)
      )
      return { ...result, changed }
    })
  )
})
