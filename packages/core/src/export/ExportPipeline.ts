// The export: owners -> list pages -> one GET and one collaborator list per space -> archive entries, then one
// lookup per distinct repository. Unchanged spaces come back as 304 (free) and are copied from the earlier archive.
import { DateTime, Effect, Schema, Stream } from "effect"
import { describeFailure, FailureScope, type ManifestOwner, type OwnerFailure, type RepositoryIndex, type SpaceEtags } from "../archive/ArchiveFormat.ts"
import type { Owner } from "../domain/owner.ts"
import type { SpaceListItem } from "../domain/space.ts"
import { GitHubClient, type Conditional } from "../github/GitHubClient.ts"
import type { GitHubError } from "../github/GitHubError.ts"
import type { ArchiveSink, PreviousArchive } from "./ExportPorts.ts"
import type { ExportProgress, OwnerSummary } from "./ExportTypes.ts"
import { referencedRepositoryIds } from "./RepositoryRefs.ts"

export class ExportError extends Schema.TaggedError<ExportError>()("ExportError", {
  message: Schema.String
}) {}

export interface PipelineOptions {
  readonly owners: ReadonlyArray<Owner>
  readonly concurrency: number
  readonly sink: ArchiveSink
  readonly previous: PreviousArchive | undefined
  readonly onProgress?: ((event: ExportProgress) => Effect.Effect<void>) | undefined
  /** Called for things the user must hear even in scripts (e.g. fine-grained token caveats). */
  readonly onWarning?: ((message: string) => Effect.Effect<void>) | undefined
}

export interface PipelineResult {
  readonly archive: string
  readonly partial: boolean
  readonly owners: ReadonlyArray<OwnerSummary>
  readonly createdAt: string
}

type SpaceOutcome =
  | { readonly _tag: "Archived"; readonly number: number; readonly entry: Record<string, unknown>; readonly repositoryIds: ReadonlyArray<number> }
  | { readonly _tag: "Vanished"; readonly number: number }
  | { readonly _tag: "Failed"; readonly failure: OwnerFailure }

const failureOf = (scope: string, e: GitHubError): OwnerFailure =>
  e.status === undefined ? { scope, message: e.message } : { scope, status: e.status, message: e.message }

/** 404 between list and get means the space was deleted meanwhile: recorded, not fatal. */
const isGone = (e: GitHubError) => e.reason._tag === "NotFound"

/** A rejected token fails every request that follows: stop instead of archiving nothing. */
const abortOnUnauthorized = <A, E extends { readonly _tag: string }, R>(self: Effect.Effect<A, E, R>) =>
  self.pipe(
    Effect.mapError((e): E | ExportError =>
      e._tag === "GitHubError" && (e as unknown as GitHubError).reason._tag === "Unauthorized"
        ? new ExportError({ message: (e as unknown as GitHubError).message })
        : e
    )
  )

const userTokenProblem = (kind: string): string | undefined =>
  kind === "fine-grained" || kind === "app-user" || kind === "app-installation"
    ? `user-owned spaces can only be read with a classic personal access token or an OAuth token; this token is ${kind}`
    : undefined

export const runExportPipeline = Effect.fn("ExportPipeline.run")(function* (options: PipelineOptions) {
  const client = yield* GitHubClient
  const createdAt = DateTime.formatIso(yield* DateTime.now)
  const warn = options.onWarning ?? (() => Effect.void)
  const progress = options.onProgress ?? (() => Effect.void)
  const { sink, previous } = options

  if (client.tokenKind === "fine-grained") {
    yield* warn(
      "this is a fine-grained token: GitHub omits from lists every space whose resources reference a repository the token cannot access, so the archive may be silently incomplete"
    )
  }

  const repositoryIds = new Set<number>()
  const manifestOwners: Array<ManifestOwner> = []
  const summaries: Array<OwnerSummary> = []

  /** The earlier archive's copy of a space, for 304 answers. */
  const previousCopy = (owner: Owner, number: number) =>
    // Lazy: built for every space but run only after a 304, so no error is constructed on the common path.
    Effect.suspend(() =>
      previous === undefined
        ? Effect.fail(new ExportError({ message: `no earlier copy of ${owner.login}/${number}` }))
        : previous.readSpace(owner.login, number).pipe(Effect.mapError((e) => new ExportError({ message: e.message })))
    )

  const bodyOf = <A>(res: Conditional<A>, fromPrevious: () => Effect.Effect<unknown, ExportError>) =>
    res._tag === "Modified" ? Effect.succeed(res.raw) : fromPrevious()

  const archiveSpace = (owner: Owner, item: SpaceListItem) =>
    Effect.gen(function* () {
      const before: SpaceEtags | undefined = previous?.etags(owner.login, item.number)
      const space = yield* abortOnUnauthorized(client.getSpace(owner, item.number, before?.space))
      const collaborators = yield* abortOnUnauthorized(
        client.listCollaborators(owner, item.number, before?.collaborators)
      )
      // Read the earlier copy at most once, and only when something answered 304.
      const earlier = yield* Effect.cached(previousCopy(owner, item.number))
      const spaceRaw = (yield* bodyOf(space, () =>
        earlier.pipe(
          Effect.map(({ collaborators: _c, etags: _e, ...rest }) => rest)
        )
      )) as Record<string, unknown>
      const collaboratorsRaw = yield* bodyOf(collaborators, () =>
        earlier.pipe(Effect.map((copy) => ({ collaborators: copy["collaborators"] })))
      )
      const etags: SpaceEtags = {
        ...etagOf(space, before?.space, "space"),
        ...etagOf(collaborators, before?.collaborators, "collaborators")
      }
      const entry = {
        ...spaceRaw,
        collaborators: (collaboratorsRaw as { collaborators?: unknown }).collaborators ?? [],
        etags
      }
      return { _tag: "Archived", number: item.number, entry, repositoryIds: referencedRepositoryIds(spaceRaw) } as SpaceOutcome
    }).pipe(
      Effect.catchTag("GitHubError", (e: GitHubError) =>
        Effect.succeed<SpaceOutcome>(isGone(e) ? { _tag: "Vanished", number: item.number } : { _tag: "Failed", failure: failureOf(FailureScope.space(item.number), e) })
      )
    )

  const exportOwner = (owner: Owner) =>
    Effect.gen(function* () {
      yield* progress({ _tag: "OwnerStarted", owner })
      const failures: Array<OwnerFailure> = []
      const vanished: Array<number> = []
      let archived = 0
      let listed = 0
      // GitHub documents that user-owned spaces need a classic PAT or an OAuth token. Say so up front, ask anyway
      // (GitHub has the last word), and never record such an owner as complete unless spaces came back: an
      // empty "complete" owner would make every one of its spaces look deleted in the next diff.
      const tokenProblem = owner.kind === "user" ? userTokenProblem(client.tokenKind) : undefined
      if (tokenProblem !== undefined) yield* warn(`${owner.login}: ${tokenProblem}`)
      const listFailure = (e: GitHubError): OwnerFailure => {
        const failure = failureOf(FailureScope.list, e)
        const refused = e.reason._tag === "Forbidden" || e.reason._tag === "NotFound"
        return tokenProblem !== undefined && refused ? { ...failure, message: `${failure.message} (${tokenProblem})` } : failure
      }
      yield* client.listSpaces(owner).pipe(
        Stream.tap(() => Effect.sync(() => listed++)),
        // Fetch the next list page while this one's spaces are in flight (bounded: one page ahead).
        Stream.buffer({ capacity: 100 }),
        Stream.mapEffect((item) => archiveSpace(owner, item), { concurrency: options.concurrency }),
        Stream.runForEach((outcome) =>
          Effect.gen(function* () {
            if (outcome._tag === "Archived") {
              // Written here, in list order, so archives are deterministic whatever order the GETs finish in.
              yield* sink
                .addSpace(owner.login, outcome.number, outcome.entry)
                .pipe(Effect.mapError((e) => new ExportError({ message: e.message })))
              archived++
              for (const id of outcome.repositoryIds) repositoryIds.add(id)
            } else if (outcome._tag === "Failed") {
              failures.push(outcome.failure)
            } else {
              vanished.push(outcome.number)
            }
            yield* progress({ _tag: "SpaceDone", owner, done: archived + failures.length + vanished.length, listed })
          })
        ),
        abortOnUnauthorized,
        Effect.catchTag("GitHubError", (e: GitHubError) => Effect.sync(() => void failures.push(listFailure(e))))
      )
      if (tokenProblem !== undefined && failures.length === 0 && listed === 0) {
        failures.push({ scope: FailureScope.list, message: `GitHub listed no spaces, and ${tokenProblem}` })
      }
      const status = failures.length > 0 ? "partial" : "complete"
      manifestOwners.push({ login: owner.login, kind: owner.kind, status, spaces: archived, failures, vanished })
      summaries.push({
        owner: owner.login,
        kind: owner.kind,
        spaces: archived,
        failed: failures.length,
        failures: failures.map(describeFailure)
      })
      yield* progress({ _tag: "OwnerDone", owner, spaces: archived, failed: failures.length })
    })

  // Owners one after another: the client's gate already caps concurrency, and progress reads better.
  for (const owner of options.owners) yield* exportOwner(owner)

  const repositories = yield* resolveRepositories(client, repositoryIds, previous, options.concurrency)
  for (const failure of repositories.failures) yield* warn(`could not resolve ${failure}`)
  yield* sink.setRepositories(repositories.index).pipe(Effect.mapError((e) => new ExportError({ message: e.message })))

  const partial = manifestOwners.some((o) => o.status === "partial") || repositories.failures.length > 0
  const archive = yield* sink
    .finish({ createdAt, sourceApiUrl: client.apiUrl, partial, owners: manifestOwners })
    .pipe(Effect.mapError((e) => new ExportError({ message: e.message })))
  return { archive, partial, owners: summaries, createdAt } satisfies PipelineResult
})

const etagOf = <A>(res: Conditional<A>, before: string | undefined, key: "space" | "collaborators") => {
  const etag = res._tag === "Modified" ? res.etag : before
  return etag === undefined ? {} : { [key]: etag }
}

/**
 * One lookup per distinct repository id, conditional on the earlier archive's ETag. A repository that is gone or
 * invisible is recorded as unresolved (null); any other failure is returned so the archive is marked partial.
 */
const resolveRepositories = (
  client: GitHubClient["Service"],
  ids: ReadonlySet<number>,
  previous: PreviousArchive | undefined,
  concurrency: number
) =>
  Effect.forEach(
    [...ids].sort((a, b) => a - b),
    (id) => {
      const before = previous?.repositories[String(id)]
      return abortOnUnauthorized(client.getRepositoryById(id, before?.etag)).pipe(
        Effect.map((res) => ({
          entry:
            res._tag === "Modified"
              ? { full_name: res.value.full_name, ...(res.etag === undefined ? {} : { etag: res.etag }) }
              : { full_name: before?.full_name ?? null, ...(before?.etag === undefined ? {} : { etag: before.etag }) },
          failure: undefined as string | undefined
        })),
        Effect.catchTag("GitHubError", (e: GitHubError) =>
          Effect.succeed({
            entry: { full_name: null },
            failure: e.reason._tag === "NotFound" || e.reason._tag === "Forbidden" ? undefined : `repository ${id}: ${e.message}`
          })
        ),
        Effect.map(({ entry, failure }) => ({ pair: [String(id), entry] as const, failure }))
      )
    },
    { concurrency }
  ).pipe(
    Effect.map((results) => ({
      index: Object.fromEntries(results.map((r) => r.pair)) as RepositoryIndex,
      failures: results.flatMap((r) => (r.failure === undefined ? [] : [r.failure]))
    }))
  )
