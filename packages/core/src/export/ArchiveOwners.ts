// The flow inside an export: owners -> list pages -> one GET and one collaborator list per space, and one lookup per
// distinct repository as spaces reference it -> archive entries, in list order. Unchanged spaces come back as 304
// (free) and are copied from the earlier archive. `exportSpaces` (ExportSpaces.ts) is the entry that wires it to files.
import { DateTime, Effect, Semaphore, Stream } from "effect"
import {
  FailureScope,
  type ManifestEntry,
  type ManifestOwner,
  type RepositoryIndex,
  type SpaceEtags
} from "../archive/ArchiveFormat.ts"
import type { Owner, OwnerKind } from "../domain/Owner.ts"
import type { SpaceListItem } from "../domain/Space.ts"
import { asOwner } from "../github/GitHubAuth.ts"
import { GitHubClient, type Conditional } from "../github/GitHubClient.ts"
import type { GitHubError } from "../github/GitHubError.ts"
import { abortOnUnauthorized, ExportError } from "./ExportError.ts"
import type { ExportProgress, OwnerSummary } from "./ExportTypes.ts"
import { forEachOrdered } from "./OrderedWorkers.ts"
import {
  failureOf,
  finishOwner,
  mayBeOtherKind,
  notRead,
  type OwnerRun,
  recordListFailure,
  startOwnerRun,
  wasRead
} from "./OwnerRun.ts"
import { referencedRepositoryIds } from "../domain/Space.ts"
import { makeRepositoryLookups } from "./RepositoryLookups.ts"

/** Where the new archive goes; narrow so that the flow is testable in memory. */
export interface ArchiveSink {
  /** `raw` is the space as GET returned it, plus `collaborators` and `etags`. */
  readonly addSpace: (
    ownerLogin: string,
    number: number,
    raw: Record<string, unknown>
  ) => Effect.Effect<void, ExportSinkError>
  readonly setRepositories: (index: RepositoryIndex) => Effect.Effect<void, ExportSinkError>
  /** An earlier archive's encrypted entry, copied byte for byte (an encrypted archive's unchanged space). */
  readonly copyEncrypted: (entry: ManifestEntry, stored: Buffer) => Effect.Effect<void, ExportSinkError>
  readonly finish: (manifest: {
    readonly createdAt: string
    readonly sourceApiUrl: string
    readonly partial: boolean
    readonly owners: ReadonlyArray<ManifestOwner>
  }) => Effect.Effect<string, ExportSinkError>
}

export interface ExportSinkError {
  readonly _tag: string
  readonly message: string
}

/**
 * An earlier archive: small per-space bookkeeping in memory, contents read back lazily on 304. A plaintext one
 * gives its spaces back (`readSpace`); an encrypted one, of the same recipient set as this export, gives its
 * stored entries (`readEncrypted`), which only an export that answered 304 for both halves of a space can use,
 * and no repository names (they are encrypted: repositories are looked up again).
 */
export type PreviousArchive =
  | {
      readonly _tag: "Plaintext"
      readonly path: string
      readonly etags: (ownerLogin: string, number: number) => SpaceEtags | undefined
      readonly readSpace: (
        ownerLogin: string,
        number: number
      ) => Effect.Effect<Record<string, unknown>, ExportSinkError>
      readonly repositories: RepositoryIndex
    }
  | {
      readonly _tag: "Encrypted"
      readonly path: string
      readonly etags: (ownerLogin: string, number: number) => SpaceEtags | undefined
      readonly readEncrypted: (ownerLogin: string, number: number) => Effect.Effect<EncryptedCopy, ExportSinkError>
      readonly repositories: RepositoryIndex
    }

/** An encrypted space entry of an earlier archive: its manifest row and its stored bytes, checked against it. */
export interface EncryptedCopy {
  readonly entry: ManifestEntry
  readonly stored: Buffer
}

export interface ArchiveOwnersOptions {
  readonly owners: ReadonlyArray<Owner>
  readonly concurrency: number
  readonly sink: ArchiveSink
  /** The earlier archive whose ETags an owner's requests carry (each owner may have its own), or none. */
  readonly previousFor: (owner: Owner) => PreviousArchive | undefined
  /** The earlier archives' repository index (ETags for the repository lookups); empty when there is none. */
  readonly earlierRepositories: RepositoryIndex
  readonly onProgress?: ((event: ExportProgress) => Effect.Effect<void>) | undefined
  /** Called for things the user must hear even in scripts (e.g. fine-grained token caveats). */
  readonly onWarning?: ((message: string) => Effect.Effect<void>) | undefined
}

export interface ArchiveOwnersResult {
  readonly archive: string
  readonly partial: boolean
  readonly owners: ReadonlyArray<OwnerSummary>
  readonly createdAt: string
}

type SpaceOutcome =
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

type Work =
  | { readonly _tag: "OwnerStart"; readonly run: OwnerRun }
  | { readonly _tag: "Space"; readonly run: OwnerRun; readonly item: SpaceListItem }
  | { readonly _tag: "OwnerEnd"; readonly run: OwnerRun }
type Done =
  | Exclude<Work, { _tag: "Space" }>
  | { readonly _tag: "Space"; readonly run: OwnerRun; readonly outcome: SpaceOutcome }

/** With a GitHub App (a budget per owner), how many owners are exported side by side. */
const OWNERS_SIDE_BY_SIDE = 16

/** 404 between list and get means the space was deleted meanwhile: recorded, not fatal. */
const isGone = (e: GitHubError) => e.reason._tag === "NotFound"

const sinkFailed = (e: ExportSinkError) => ExportError.fileFailed(e.message)

const etagOf = <A>(res: Conditional<A>, before: string | undefined, key: "space" | "collaborators") => {
  const etag = res._tag === "Modified" ? res.etag : before
  return etag === undefined ? {} : { [key]: etag }
}

/** One space: its GET and collaborator list, conditional on the earlier archive's ETags; a failure is recorded. */
const archiveSpace = (client: GitHubClient["Service"], previous: PreviousArchive | undefined) => {
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
            : previous.readSpace(owner.login, item.number).pipe(Effect.mapError(sinkFailed))
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
        const copy = yield* previous.readEncrypted(owner.login, item.number).pipe(Effect.mapError(sinkFailed))
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

/**
 * What GitHub knows the login as, asked only after the owner's listing answered 404: a user given as an
 * organization (or the other way round) then says so instead of "not found". A failed lookup says nothing.
 */
const actualKindOf = (client: GitHubClient["Service"], login: string) =>
  client.getUser(login).pipe(
    Effect.map((u): OwnerKind | undefined =>
      u.type === "Organization" ? "org" : u.type === "User" ? "user" : undefined
    ),
    Effect.orElseSucceed(() => undefined)
  )

/**
 * Every owner's spaces as one stream, so the next owner's first list page is read while the previous owner's
 * last spaces are still in flight. A list that fails part-way keeps the spaces listed before the failure.
 */
const workOf = (client: GitHubClient["Service"], runs: ReadonlyArray<OwnerRun>): Stream.Stream<Work, ExportError> =>
  Stream.fromIterable(runs).pipe(
    Stream.flatMap((run) =>
      Stream.succeed<Work>({ _tag: "OwnerStart", run }).pipe(
        Stream.concat(
          client.listSpaces(run.owner).pipe(
            Stream.map((item): Work => {
              run.listed++
              return { _tag: "Space", run, item }
            }),
            Stream.mapError(abortOnUnauthorized),
            Stream.catchTag("GitHubError", (e: GitHubError) =>
              Stream.fromEffectDrain(
                (mayBeOtherKind(e) && run.listed === 0
                  ? actualKindOf(client, run.owner.login).pipe(asOwner(run.owner))
                  : Effect.succeed(undefined)
                ).pipe(Effect.map((actualKind) => recordListFailure(run, e, actualKind)))
              )
            )
          )
        ),
        Stream.concat(Stream.succeed<Work>({ _tag: "OwnerEnd", run }))
      )
    )
  )

/**
 * Takes each finished piece of work in order: an owner's start and end (its record), a space's outcome (written to
 * the archive). Called one at a time, so the archive and the owner runs need no other guard.
 */
const makeDeliver =
  (
    sink: ArchiveSink,
    progress: (event: ExportProgress) => Effect.Effect<void>,
    warn: (message: string) => Effect.Effect<void>,
    finished: Array<ReturnType<typeof finishOwner>>
  ) =>
  (done: Done) =>
    Effect.gen(function* () {
      const run = done.run
      if (done._tag === "OwnerStart") {
        yield* progress({ _tag: "OwnerStarted", owner: run.owner })
        if (run.tokenProblem !== undefined) yield* warn(`${run.owner.login}: ${run.tokenProblem}`)
        return
      }
      if (done._tag === "OwnerEnd") {
        const record = finishOwner(run)
        finished.push(record)
        return yield* progress({
          _tag: "OwnerDone",
          owner: run.owner,
          spaces: record.summary.spaces,
          failed: record.summary.failed
        })
      }
      const outcome = done.outcome
      if (outcome._tag === "Archived" || outcome._tag === "Copied") {
        // Written here, in list order, so archives are deterministic whatever order the GETs finish in.
        yield* (
          outcome._tag === "Archived"
            ? sink.addSpace(run.owner.login, outcome.number, outcome.entry)
            : sink.copyEncrypted(outcome.copy.entry, outcome.copy.stored)
        ).pipe(Effect.mapError(sinkFailed))
        run.archived++
      } else if (outcome._tag === "Failed") {
        run.failures.push(outcome.failure)
      } else {
        run.vanished.push(outcome.number)
      }
      run.done++
      yield* progress({ _tag: "SpaceDone", owner: run.owner, done: run.done, listed: run.listed })
    })

export const archiveOwners = Effect.fn("ArchiveOwners.run")(function* (options: ArchiveOwnersOptions) {
  const client = yield* GitHubClient
  const createdAt = DateTime.formatIso(yield* DateTime.now)
  const warn = options.onWarning ?? (() => Effect.void)
  const progress = options.onProgress ?? (() => Effect.void)
  const { sink, previousFor } = options

  if (client.tokenKind === "fine-grained") {
    yield* warn(
      "this is a fine-grained token: GitHub omits from lists every space whose resources reference a repository the token cannot access, so the archive may be silently incomplete"
    )
  }

  const runs = options.owners.map((owner) => startOwnerRun(owner, client.tokenKindFor(owner)))
  const order = new Map(runs.map((run, i) => [run.owner.login, i]))
  // Deliveries write the archive: one at a time, also when owners go side by side.
  const delivering = yield* Semaphore.make(1)
  const finished: Array<ReturnType<typeof finishOwner>> = []
  // Each distinct repository is looked up once, by the worker that meets it first, between its spaces.
  const repositoryLookups = makeRepositoryLookups(client, options.earlierRepositories)
  // One space fetcher per earlier archive: owners whose baselines differ ask with different ETags.
  const fetchers = new Map<PreviousArchive | undefined, ReturnType<typeof archiveSpace>>()
  const spaceOf = (owner: Owner, item: SpaceListItem) => {
    const previous = previousFor(owner)
    const known = fetchers.get(previous)
    const fetch = known ?? archiveSpace(client, previous)
    if (known === undefined) fetchers.set(previous, fetch)
    return fetch(owner, item)
  }

  const deliver = makeDeliver(sink, progress, warn, finished)

  const pipeline = (owners: ReadonlyArray<OwnerRun>) =>
    forEachOrdered(workOf(client, owners), {
      concurrency: options.concurrency,
      // Room for a slow space to finish while the others go on; results held meanwhile are a few KB each.
      window: 4 * options.concurrency,
      // One list page ahead, so the next page is read while this one's spaces are in flight.
      readAhead: 100,
      work: (w): Effect.Effect<Done, ExportError> =>
        w._tag !== "Space"
          ? Effect.succeed(w)
          : spaceOf(w.run.owner, w.item).pipe(
              Effect.tap((outcome) =>
                // A repository is looked up with the token of the owner whose space references it (its installation's).
                outcome._tag === "Archived" || outcome._tag === "Copied"
                  ? repositoryLookups.lookUp(outcome.repositoryIds).pipe(asOwner(w.run.owner))
                  : Effect.void
              ),
              Effect.map((outcome) => ({ _tag: "Space", run: w.run, outcome }) as const)
            ),
      deliver: (done: Done) => delivering.withPermits(1)(deliver(done))
    })
  if (client.authMode === "app" && runs.length > 1) {
    // Each App installation has its own primary budget: owners go side by side, so one waiting for its budget's reset
    // leaves the others' requests going (the client still caps the requests in flight of all of them together).
    // Each owner's spaces still reach the archive in its list order.
    yield* Effect.forEach(runs, (run) => pipeline([run]), {
      concurrency: Math.min(runs.length, OWNERS_SIDE_BY_SIDE),
      discard: true
    })
  } else {
    yield* pipeline(runs)
  }
  // Owners side by side finish in any order: the manifest keeps the order they were given in.
  finished.sort((a, b) => order.get(a.manifest.login)! - order.get(b.manifest.login)!)

  // An archive of owners none of which could be read holds nothing: no archive, and the export fails. A shard given
  // no owner at all still writes its (empty) archive, so every shard of a night is accounted for.
  if (runs.length > 0 && !runs.some(wasRead)) {
    return yield* new ExportError({ reason: { _tag: "NoOwnerRead", owners: runs.map(notRead) } })
  }

  const repositories = repositoryLookups.result()
  for (const failure of repositories.failures) yield* warn(`could not resolve ${failure}`)
  yield* sink.setRepositories(repositories.index).pipe(Effect.mapError(sinkFailed))

  const manifestOwners = finished.map((f) => f.manifest)
  const partial = manifestOwners.some((o) => o.status === "partial") || repositories.failures.length > 0
  const archive = yield* sink
    .finish({ createdAt, sourceApiUrl: client.apiUrl, partial, owners: manifestOwners })
    .pipe(Effect.mapError(sinkFailed))
  return { archive, partial, owners: finished.map((f) => f.summary), createdAt } satisfies ArchiveOwnersResult
})
