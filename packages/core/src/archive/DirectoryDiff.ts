// `diff DIR`: the newest archive of a directory against, owner by owner, the newest earlier archive that covers
// that owner completely (baselineFor). An ad-hoc export of one owner or a night an owner failed is passed over, so
// what is "removed" is what each owner's last good backup holds and the newest archive no longer does.
import { Effect, Path, Stream } from "effect"
import {
  type ArchiveInfo,
  ArchiveDirectoryError,
  baselineFor,
  compareArchiveNamesDesc,
  readDirectoryState
} from "./ArchiveDirectory.ts"
import type { Manifest } from "./ArchiveFormat.ts"
import type { ArchiveError } from "./ArchiveError.ts"
import { openArchive } from "./ArchiveReader.ts"
import { type ArchiveDiff, coverageOf, startDiff } from "./Diff.ts"
import { digestSpace, type SpaceDigest } from "./SpaceDigest.ts"

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

/** Hands `f` the digest of each space of the archive whose owner `keep` accepts; returns the manifest. */
const forEachDigest = (
  path: string,
  keep: (ownerLogin: string) => boolean,
  f: (d: SpaceDigest) => void
): Effect.Effect<Manifest, ArchiveError> =>
  Effect.scoped(
    Effect.gen(function* () {
      const archive = yield* openArchive(path)
      yield* Stream.runForEach(archive.spaces, (e) =>
        Effect.sync(() => {
          if (keep(e.ownerLogin)) f(digestSpace(e.ownerLogin, e.space))
        })
      )
      // Read like inspect and verify do: an archive that is not what its manifest says fails the diff.
      yield* archive.repositories
      return archive.manifest
    })
  )

/** Which earlier archive each owner of `newest` is compared against: names of baselines by folded login. */
export const baselinesOf = (
  archives: ReadonlyArray<ArchiveInfo>,
  newest: ArchiveInfo
): ReadonlyArray<{ readonly owner: string; readonly baseline: ArchiveInfo | undefined }> =>
  newest.owners.map((o) => ({ owner: o.login, baseline: baselineFor(o.login, archives, newest) }))

export const diffDirectory = (dir: string) =>
  Effect.gen(function* () {
    const { archives, unreadable } = yield* readDirectoryState(dir)
    const newest = archives[0]
    const newerUnreadable = unreadable.find(
      (u) => newest === undefined || compareArchiveNamesDesc(u.name, newest.name) < 0
    )
    if (newerUnreadable !== undefined)
      return yield* new ArchiveDirectoryError({
        message: `the newest archive in ${dir}, ${newerUnreadable.name}, cannot be read: ${newerUnreadable.problem}`
      })
    if (newest === undefined) return yield* new ArchiveDirectoryError({ message: `${dir} holds no archives` })

    const path = yield* Path.Path
    const pathOf = (a: ArchiveInfo) => path.join(dir, a.name)
    const baselines = baselinesOf(archives, newest)
    // Each owner is compared against one baseline, so one diff holds them all: spaces are keyed by owner.
    const diff = startDiff()
    const byBaseline = new Map<ArchiveInfo, Set<string>>()
    for (const { owner, baseline } of baselines) {
      if (baseline !== undefined)
        byBaseline.set(baseline, (byBaseline.get(baseline) ?? new Set()).add(owner.toLowerCase()))
    }
    for (const [baseline, owners] of byBaseline) {
      yield* forEachDigest(pathOf(baseline), (login) => owners.has(login.toLowerCase()), diff.remember)
    }
    const compared = new Set([...byBaseline.values()].flatMap((owners) => [...owners]))
    const manifest = yield* forEachDigest(pathOf(newest), (login) => compared.has(login.toLowerCase()), diff.see)
    return {
      ...diff.finish(coverageOf(manifest.owners)),
      newest: pathOf(newest),
      baselines: baselines.map(({ owner, baseline }) => ({
        owner,
        baseline: baseline === undefined ? null : pathOf(baseline)
      })),
      unreadable
    } satisfies DirectoryDiff
  })
