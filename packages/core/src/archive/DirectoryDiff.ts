// `diff DIR`: the newest archive of a directory against, owner by owner, the newest earlier archive that covers
// that owner completely (baselineFor). An ad-hoc export of one owner or a night an owner failed is passed over, so
// what is "removed" is what each owner's last good backup holds and the newest archive no longer does.
import { Effect } from "effect"
import {
  type ArchiveInfo,
  ArchiveDirectoryError,
  baselineFor,
  compareArchiveNamesDesc,
  readDirectoryState
} from "./ArchiveDirectory.ts"
import type { Manifest } from "./ArchiveFormat.ts"
import type { ArchiveError } from "./ArchiveError.ts"
import { type ArchiveHandle, openArchive } from "./ArchiveReader.ts"
import { type ArchiveSource, type LocationSource, locationText, sourceIn, sourceText } from "./ArchiveLocation.ts"
import {
  type ArchiveDiff,
  type ChangedSpace,
  changesText,
  coverageOf,
  forEachDigest,
  startDiff,
  textChanges
} from "./Diff.ts"
import type { AnyDigest } from "./SpaceDigest.ts"

export interface OwnerBaseline {
  readonly owner: string
  /** The earlier archive this owner is compared against (its path), or null when none covers it completely. */
  readonly baseline: string | null
}

export interface DirectoryDiff extends ArchiveDiff {
  /** The newest archive's path. */
  readonly newest: string
  /** Every owner of the newest archive, in its order; owners without a baseline are not compared. */
  readonly baselines: ReadonlyArray<OwnerBaseline>
  /** Archives whose manifest could not be read: never a baseline. */
  readonly unreadable: ReadonlyArray<{ readonly name: string; readonly problem: string }>
}

/**
 * Hands `f` the digest of each space of the archive whose owner `keep` accepts (sealed ones for an encrypted archive
 * read without an identity); returns the manifest.
 */
const digestsOf = (
  path: ArchiveSource,
  keep: (ownerLogin: string) => boolean,
  f: (d: AnyDigest) => void
): Effect.Effect<Manifest, ArchiveError> =>
  Effect.scoped(
    Effect.flatMap(openArchive(path), (archive) => Effect.as(forEachDigest(archive, f, keep), archive.manifest))
  )

/** Which earlier archive each owner of `newest` is compared against: names of baselines by folded login. */
export const baselinesOf = (
  archives: ReadonlyArray<ArchiveInfo>,
  newest: ArchiveInfo
): ReadonlyArray<{ readonly owner: string; readonly baseline: ArchiveInfo | undefined }> =>
  newest.owners.map((o) => ({ owner: o.login, baseline: baselineFor(o.login, archives, newest) }))

/**
 * The old and new texts of the changed spaces whose description or instructions changed, read back by name at the
 * end (as `diffArchives` does), each from the archive its owner was compared with.
 */
const withTexts = (result: ArchiveDiff, newestPath: ArchiveSource, baselinePath: (owner: string) => ArchiveSource) =>
  !result.changed.some(changesText)
    ? Effect.succeed(result)
    : Effect.scoped(
        Effect.gen(function* () {
          const newer = yield* openArchive(newestPath)
          const opened = new Map<string, ArchiveHandle>()
          const older = (owner: string) =>
            Effect.suspend(() => {
              const path = baselinePath(owner)
              const key = sourceText(path)
              const open = opened.get(key)
              return open !== undefined
                ? Effect.succeed(open)
                : Effect.tap(openArchive(path), (a) => Effect.sync(() => void opened.set(key, a)))
            })
          const changed = yield* Effect.forEach(result.changed, (c) =>
            changesText(c)
              ? Effect.map(
                  Effect.all([
                    Effect.flatMap(older(c.owner), (a) => a.readSpaceRaw(c.owner, c.number)),
                    newer.readSpaceRaw(c.owner, c.number)
                  ]),
                  ([before, after]): ChangedSpace => ({ ...c, texts: textChanges(c.changes, before, after) })
                )
              : Effect.succeed(c)
          )
          return { ...result, changed }
        })
      )

export const diffDirectory = (dir: LocationSource, newestName?: string) =>
  Effect.gen(function* () {
    const { archives, unreadable } = yield* readDirectoryState(dir)
    // An export names the archive it just wrote: another shard's may be newer in a shared location. A name not
    // among the readable archives falls back to the newest, as without one.
    const named = newestName === undefined ? undefined : archives.find((a) => a.name === newestName)
    const newest = named ?? archives[0]
    const newerUnreadable = unreadable.find(
      (u) => named === undefined && (newest === undefined || compareArchiveNamesDesc(u.name, newest.name) < 0)
    )
    if (newerUnreadable !== undefined)
      return yield* new ArchiveDirectoryError({
        message: `the newest archive in ${locationText(dir)}, ${newerUnreadable.name}, cannot be read: ${newerUnreadable.problem}`
      })
    if (newest === undefined)
      return yield* new ArchiveDirectoryError({ message: `${locationText(dir)} holds no archives` })

    const pathOf = (a: ArchiveInfo) => sourceIn(dir, a.name)
    const baselines = baselinesOf(archives, newest)
    // Each owner is compared against one baseline, so one diff holds them all: spaces are keyed by owner.
    const diff = startDiff()
    const byBaseline = new Map<ArchiveInfo, Set<string>>()
    for (const { owner, baseline } of baselines) {
      if (baseline !== undefined)
        byBaseline.set(baseline, (byBaseline.get(baseline) ?? new Set()).add(owner.toLowerCase()))
    }
    for (const [baseline, owners] of byBaseline) {
      yield* digestsOf(pathOf(baseline), (login) => owners.has(login.toLowerCase()), diff.remember)
    }
    const compared = new Set([...byBaseline.values()].flatMap((owners) => [...owners]))
    const manifest = yield* digestsOf(pathOf(newest), (login) => compared.has(login.toLowerCase()), diff.see)
    const baselineOf = new Map(
      baselines.flatMap(({ owner, baseline }) => (baseline === undefined ? [] : [[owner.toLowerCase(), baseline]]))
    )
    const result = yield* withTexts(diff.finish(coverageOf(manifest.owners)), pathOf(newest), (owner) =>
      pathOf(baselineOf.get(owner.toLowerCase())!)
    )
    return {
      ...result,
      newest: sourceText(pathOf(newest)),
      baselines: baselines.map(({ owner, baseline }) => ({
        owner,
        baseline: baseline === undefined ? null : sourceText(pathOf(baseline))
      })),
      unreadable
    } satisfies DirectoryDiff
  })
