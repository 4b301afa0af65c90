// The flow inside an export: owners -> list pages -> one GET and one collaborator list per space, and one lookup per
// distinct repository as spaces reference it -> archive entries, in list order. Unchanged spaces come back as 304
// (free) and are copied from the earlier archive. `exportSpaces` (ExportSpaces.ts) is the entry that wires it to files.
import { DateTime, Effect, Semaphore, Stream } from "effect"
import type { ManifestEntry, ManifestOwner, RepositoryIndex } from "../archive/ArchiveFormat.ts"
import type { Owner, OwnerKind } from "../domain/Owner.ts"
import type { SpaceListItem } from "../domain/Space.ts"
import { asOwner } from "../github/GitHubAuth.ts"
import { GitHubClient } from "../github/GitHubClient.ts"
import type { GitHubError } from "../github/GitHubError.ts"
import type { PreviousArchive } from "./EarlierArchives.ts"
import { abortOnUnauthorized, ExportError } from "./ExportError.ts"
import type { ExportProgress, OwnerSummary } from "./ExportTypes.ts"
import { forEachOrdered } from "./OrderedWorkers.ts"
import {
  finishOwner,
  mayBeOtherKind,
  notRead,
  type OwnerRun,
  recordListFailure,
  startOwnerRun,
  wasRead
} from "./OwnerRun.ts"
import { makeRepositoryLookups } from "./RepositoryLookups.ts"
import { archiveSpace, type SpaceOutcome } from "./SpaceFetch.ts"

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

type Work =
  | { readonly _tag: "OwnerStart"; readonly run: OwnerRun }
  | { readonly _tag: "Space"; readonly run: OwnerRun; readonly item: SpaceListItem }
  | { readonly _tag: "OwnerEnd"; readonly run: OwnerRun }
type Done =
  | Exclude<Work, { _tag: "Space" }>
  | { readonly _tag: "Space"; readonly run: OwnerRun; readonly outcome: SpaceOutcome }

/** With a GitHub App (a budget per owner), how many owners are exported side by side. */
const OWNERS_SIDE_BY_SIDE = 16

const sinkFailed = (e: ExportSinkError) => ExportError.fileFailed(e.message)

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
