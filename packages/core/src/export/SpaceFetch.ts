// One space of an export: its GET and its collaborator list, conditional on the owner's earlier archive, and what
// goes into the new archive — the entry (taking a half that answered 304 from a plaintext earlier copy), the
// encrypted entry copied as stored, or why there is none (deleted meanwhile, or a failure to record).
import { Effect } from "effect"
import type { ArchiveError } from "../archive/ArchiveError.ts"
import { FailureScope, type ManifestOwner, type SpaceEtags } from "../archive/ArchiveFormat.ts"
import type { Owner } from "../domain/Owner.ts"
import { referencedRepositoryIds, type SpaceListItem } from "../domain/Space.ts"
import type { Conditional, GitHubClient } from "../github/GitHubClient.ts"
import type { GitHubError } from "../github/GitHubError.ts"
import type { EncryptedCopy, PreviousArchive } from "./EarlierArchives.ts"
import { abortOnUnauthorized, ExportError } from "./ExportError.ts"
import { failureOf } from "./OwnerRun.ts"

export type SpaceOutcome =
  | {
      readonly _tag: "Archived"
      readonly number: number
      readonly entry: Record<string, unknown>
      readonly repositoryIds: ReadonlyArray<number>
    }
  | {
      readonly _tag: "Copied"
      readonly number: number
      readonly copy: EncryptedCopy
      readonly repositoryIds: ReadonlyArray<number>
    }
  | { readonly _tag: "Vanished"; readonly number: number }
  | { readonly _tag: "Failed"; readonly failure: ManifestOwner["failures"][number] }

/** 404 between list and get means the space was deleted meanwhile: recorded, not fatal. */
const isGone = (e: GitHubError) => e.reason._tag === "NotFound"

const readFailed = (e: ArchiveError) => ExportError.fileFailed(e.message)

const etagOf = <A>(res: Conditional<A>, before: string | undefined, key: "space" | "collaborators") => {
  const etag = res._tag === "Modified" ? res.etag : before
  return etag === undefined ? {} : { [key]: etag }
}

/** One space: its GET and collaborator list, conditional on the earlier archive's ETags; a failure is recorded. */
export const archiveSpace = (client: GitHubClient["Service"], previous: PreviousArchive | undefined) => {
  const fetchSpace = (owner: Owner, item: SpaceListItem, before: SpaceEtags | undefined) =>
    Effect.all([
      client.getSpace(owner, item.number, before?.space),
      client.listCollaborators(owner, item.number, before?.collaborators)
    ]).pipe(Effect.mapError(abortOnUnauthorized))
  const archived =
    previous?._tag === "Encrypted"
      ? archiveEncrypted(client, previous, fetchSpace)
      : archivePlaintext(previous, fetchSpace)
  return (owner: Owner, item: SpaceListItem) =>
    archived(owner, item).pipe(
      Effect.catchTag("GitHubError", (e: GitHubError) =>
        Effect.succeed<SpaceOutcome>(
          isGone(e)
            ? { _tag: "Vanished", number: item.number }
            : { _tag: "Failed", failure: failureOf(FailureScope.space(item.number), e) }
        )
      )
    )
}

type FetchSpace = (
  owner: Owner,
  item: SpaceListItem,
  before: SpaceEtags | undefined
) => Effect.Effect<readonly [Conditional<unknown>, Conditional<unknown>], GitHubError | ExportError>

/** The archive entry of a space: as GET returned it, plus its collaborators and the ETags to ask with next time. */
const entryOf = (spaceRaw: Record<string, unknown>, collaborators: unknown, etags: SpaceEtags): SpaceOutcome => ({
  _tag: "Archived",
  number: spaceRaw.number as number,
  entry: { ...spaceRaw, collaborators: collaborators ?? [], etags },
  repositoryIds: referencedRepositoryIds(spaceRaw)
})

const etagsOf = (
  space: Conditional<unknown>,
  collaborators: Conditional<unknown>,
  before: SpaceEtags | undefined
): SpaceEtags => ({
  ...etagOf(space, before?.space, "space"),
  ...etagOf(collaborators, before?.collaborators, "collaborators")
})

/** Against a plaintext earlier archive (or none): a half that answered 304 is taken from the earlier copy. */
const archivePlaintext =
  (previous: Extract<PreviousArchive, { _tag: "Plaintext" }> | undefined, fetchSpace: FetchSpace) =>
  (owner: Owner, item: SpaceListItem) =>
    Effect.gen(function* () {
      const before = previous?.etags(owner.login, item.number)
      const [space, collaborators] = yield* fetchSpace(owner, item, before)
      // Read the earlier copy at most once, and only when something answered 304 (lazy: no error is built on the
      // common path).
      const earlier = yield* Effect.cached(
        Effect.suspend(() =>
          previous === undefined
            ? Effect.fail(ExportError.fileFailed(`no earlier copy of ${owner.login}/${item.number}`))
            : previous.readSpace(owner.login, item.number).pipe(Effect.mapError(readFailed))
        )
      )
      const spaceRaw =
        space._tag === "Modified"
          ? (space.raw as Record<string, unknown>)
          : yield* earlier.pipe(Effect.map(({ collaborators: _c, etags: _e, ...rest }) => rest))
      const collaboratorsRaw =
        collaborators._tag === "Modified"
          ? (collaborators.raw as { collaborators?: unknown }).collaborators
          : yield* earlier.pipe(Effect.map((copy) => copy.collaborators))
      return { ...entryOf(spaceRaw, collaboratorsRaw, etagsOf(space, collaborators, before)), number: item.number }
    })

/**
 * Against an encrypted earlier archive (of the same recipients), whose contents this export cannot read: when both
 * halves answer 304 the stored entry is copied byte for byte; when only one does, that half is fetched again
 * without If-None-Match, so the new entry is whole.
 */
const archiveEncrypted =
  (
    client: GitHubClient["Service"],
    previous: Extract<PreviousArchive, { _tag: "Encrypted" }>,
    fetchSpace: FetchSpace
  ) =>
  (owner: Owner, item: SpaceListItem) =>
    Effect.gen(function* () {
      const before = previous.etags(owner.login, item.number)
      const [space, collaborators] = yield* fetchSpace(owner, item, before)
      const refetch = {
        space: (o: Owner, n: number) => client.getSpace(o, n).pipe(Effect.mapError(abortOnUnauthorized)),
        collaborators: (o: Owner, n: number) =>
          client.listCollaborators(o, n).pipe(Effect.mapError(abortOnUnauthorized))
      }
      if (space._tag === "NotModified" && collaborators._tag === "NotModified") {
        const copy = yield* previous.readEncrypted(owner.login, item.number).pipe(Effect.mapError(readFailed))
        return {
          _tag: "Copied",
          number: item.number,
          copy,
          repositoryIds: copy.entry.repositoryIds ?? []
        } satisfies SpaceOutcome
      }
      // Fetched again in full: the earlier copy of the half that answered 304 is encrypted.
      const spaceAgain = space._tag === "Modified" ? space : yield* refetch.space(owner, item.number)
      const collaboratorsAgain =
        collaborators._tag === "Modified" ? collaborators : yield* refetch.collaborators(owner, item.number)
      if (spaceAgain._tag !== "Modified" || collaboratorsAgain._tag !== "Modified") {
        return yield* ExportError.fileFailed(
          `space ${owner.login}/${item.number} answered 304 to a request without an ETag`
        )
      }
      return {
        ...entryOf(
          spaceAgain.raw as Record<string, unknown>,
          (collaboratorsAgain.raw as { collaborators?: unknown }).collaborators,
          etagsOf(spaceAgain, collaboratorsAgain, undefined)
        ),
        number: item.number
      }
    })
