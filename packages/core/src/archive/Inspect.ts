// Reading archives for people: an inventory of owners and spaces (inspect), and the diff of two archives.
import { Effect, Stream } from "effect"
import type { Manifest } from "./ArchiveFormat.ts"
import type { ArchiveError } from "./ArchiveError.ts"
import { openArchive } from "./ArchiveReader.ts"
import { coverageOf, startDiff, type ArchiveDiff } from "./Diff.ts"
import { digestSpace, type SpaceDigest } from "./SpaceDigest.ts"

export interface InspectedSpace {
  readonly number: number
  readonly name: string
  readonly resources: number
  readonly collaborators: number
}

export interface Inspection {
  readonly archive: string
  readonly formatVersion: number
  readonly createdAt: string
  readonly sourceApiUrl: string
  readonly tool: Manifest["tool"]
  readonly partial: boolean
  readonly owners: ReadonlyArray<{
    readonly login: string
    readonly kind: string
    readonly status: string
    readonly failures: Manifest["owners"][number]["failures"]
    readonly vanished: ReadonlyArray<number>
    readonly spaces: ReadonlyArray<InspectedSpace>
  }>
  readonly repositories: number
}

export const inspectArchive = (path: string): Effect.Effect<Inspection, ArchiveError> =>
  Effect.scoped(
    Effect.gen(function* () {
      const archive = yield* openArchive(path)
      const byOwner = new Map<string, Array<InspectedSpace>>()
      yield* Stream.runForEach(archive.spaces, (e) =>
        Effect.sync(() => {
          const list = byOwner.get(e.ownerLogin) ?? []
          list.push({
            number: e.number,
            name: e.space.name,
            resources: e.space.resources_attributes?.length ?? 0,
            collaborators: e.space.collaborators.length
          })
          byOwner.set(e.ownerLogin, list)
        })
      )
      const repositories = yield* archive.repositories
      const m = archive.manifest
      return {
        archive: path,
        formatVersion: m.formatVersion,
        createdAt: m.createdAt,
        sourceApiUrl: m.sourceApiUrl,
        tool: m.tool,
        partial: m.partial,
        owners: m.owners.map((o) => ({
          login: o.login,
          kind: o.kind,
          status: o.status,
          failures: o.failures,
          vanished: o.vanished,
          spaces: (byOwner.get(o.login.toLowerCase()) ?? []).sort((a, b) => a.number - b.number)
        })),
        repositories: Object.keys(repositories).length
      }
    })
  )

/**
 * Hands the digest of each space of an archive to `f`, entry by entry; returns the archive's manifest. The
 * repository index is read too, though a diff does not use it: reading checks it against the manifest, and a diff
 * of an archive that is not what its manifest says must fail like inspect and verify do.
 */
const forEachDigest = (path: string, f: (d: SpaceDigest) => void): Effect.Effect<Manifest, ArchiveError> =>
  Effect.scoped(
    Effect.gen(function* () {
      const archive = yield* openArchive(path)
      yield* Stream.runForEach(archive.spaces, (e) => Effect.sync(() => f(digestSpace(e.ownerLogin, e.space))))
      yield* archive.repositories
      return archive.manifest
    })
  )

/**
 * The diff of two archives; what the newer one failed to read is "unverified", never "removed". Only the older
 * archive's digests are held; the newer archive is compared space by space as it is read.
 */
export const diffArchives = (oldPath: string, newPath: string): Effect.Effect<ArchiveDiff, ArchiveError> =>
  Effect.gen(function* () {
    const diff = startDiff()
    yield* forEachDigest(oldPath, diff.remember)
    const manifest = yield* forEachDigest(newPath, diff.see)
    return diff.finish(coverageOf(manifest.owners))
  })
