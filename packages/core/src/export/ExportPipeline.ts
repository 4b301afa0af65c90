// The export: owners -> list pages -> one GET and one collaborator list per space, and one lookup per distinct
// repository as spaces reference it -> archive entries, in list order. Unchanged spaces come back as 304 (free)
// and are copied from the earlier archive.
import { DateTime, Effect, Stream } from "effect"
import {
  describeFailure,
  FailureScope,
  type ManifestOwner,
  type OwnerFailure,
  type SpaceEtags
} from "../archive/ArchiveFormat.ts"
import type { Owner } from "../domain/owner.ts"
import type { SpaceListItem } from "../domain/space.ts"
import { GitHubClient, type Conditional } from "../github/GitHubClient.ts"
import type { GitHubError } from "../github/GitHubError.ts"
import type { ArchiveSink, PreviousArchive } from "./ExportPorts.ts"
import type { ExportProgress, OwnerSummary } from "./ExportTypes.ts"
import { abortOnUnauthorized, ExportError } from "./ExportError.ts"
import { forEachOrdered } from "./OrderedWorkers.ts"
import { makeRepositoryLookups } from "./RepositoryLookups.ts"
import { referencedRepositoryIds } from "./RepositoryRefs.ts"

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
  | {
      readonly _tag: "Archived"
      readonly number: number
      readonly entry: Record<string, unknown>
      readonly repositoryIds: ReadonlyArray<number>
    }
  | { readonly _tag: "Vanished"; readonly number: number }
  | { readonly _tag: "Failed"; readonly failure: OwnerFailure }

const failureOf = (scope: string, e: GitHubError): OwnerFailure =>
  e.status === undefined ? { scope, message: e.message } : { scope, status: e.status, message: e.message }

/** 404 between list and get means the space was deleted meanwhile: recorded, not fatal. */
const isGone = (e: GitHubError) => e.reason._tag === "NotFound"

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
      const space = yield* client.getSpace(owner, item.number, before?.space).pipe(Effect.mapError(abortOnUnauthorized))
      const collaborators = yield* client
        .listCollaborators(owner, item.number, before?.collaborators)
        .pipe(Effect.mapError(abortOnUnauthorized))
      // Read the earlier copy at most once, and only when something answered 304.
      const earlier = yield* Effect.cached(previousCopy(owner, item.number))
      const spaceRaw = (yield* bodyOf(space, () =>
        earlier.pipe(Effect.map(({ collaborators: _c, etags: _e, ...rest }) => rest))
      )) as Record<string, unknown>
      const collaboratorsRaw = yield* bodyOf(collaborators, () =>
        earlier.pipe(Effect.map((copy) => ({ collaborators: copy.collaborators })))
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
      return {
        _tag: "Archived",
        number: item.number,
        entry,
        repositoryIds: referencedRepositoryIds(spaceRaw)
      } as SpaceOutcome
    }).pipe(
      Effect.catchTag("GitHubError", (e: GitHubError) =>
        Effect.succeed<SpaceOutcome>(
          isGone(e)
            ? { _tag: "Vanished", number: item.number }
            : { _tag: "Failed", failure: failureOf(FailureScope.space(item.number), e) }
        )
      )
    )

  /** One owner's bookkeeping, filled in as its list pages and spaces come in. */
  interface OwnerRun {
    readonly owner: Owner
    readonly tokenProblem: string | undefined
    readonly failures: Array<OwnerFailure>
    readonly vanished: Array<number>
    archived: number
    listed: number
    /** Spaces delivered, whatever their outcome (progress). */
    done: number
  }
  type Work =
    | { readonly _tag: "OwnerStart"; readonly run: OwnerRun }
    | { readonly _tag: "Space"; readonly run: OwnerRun; readonly item: SpaceListItem }
    | { readonly _tag: "OwnerEnd"; readonly run: OwnerRun }
  type Done =
    | Exclude<Work, { _tag: "Space" }>
    | { readonly _tag: "Space"; readonly run: OwnerRun; readonly outcome: SpaceOutcome }

  // GitHub documents that user-owned spaces need a classic PAT or an OAuth token. Say so up front, ask anyway
  // (GitHub has the last word), and never record such an owner as complete unless spaces came back: an empty
  // "complete" owner would make every one of its spaces look deleted in the next diff.
  const runs: Array<OwnerRun> = options.owners.map((owner) => ({
    owner,
    tokenProblem: owner.kind === "user" ? userTokenProblem(client.tokenKind) : undefined,
    failures: [],
    vanished: [],
    archived: 0,
    listed: 0,
    done: 0
  }))

  const listFailure = (run: OwnerRun, e: GitHubError): OwnerFailure => {
    const failure = failureOf(FailureScope.list, e)
    const refused = e.reason._tag === "Forbidden" || e.reason._tag === "NotFound"
    return run.tokenProblem !== undefined && refused
      ? { ...failure, message: `${failure.message} (${run.tokenProblem})` }
      : failure
  }

  /**
   * Every owner's spaces as one stream, so the next owner's first list page is read while the previous owner's
   * last spaces are still in flight. A list that fails part-way keeps the spaces listed before the failure.
   */
  const work: Stream.Stream<Work, ExportError> = Stream.fromIterable(runs).pipe(
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
              Stream.fromEffectDrain(Effect.sync(() => void run.failures.push(listFailure(run, e))))
            )
          )
        ),
        Stream.concat(Stream.succeed<Work>({ _tag: "OwnerEnd", run }))
      )
    )
  )

  // Each distinct repository is looked up once, by the worker that meets it first, between its spaces.
  const repositoryLookups = makeRepositoryLookups(client, previous)

  const deliver = (done: Done) =>
    Effect.gen(function* () {
      const run = done.run
      if (done._tag === "OwnerStart") {
        yield* progress({ _tag: "OwnerStarted", owner: run.owner })
        if (run.tokenProblem !== undefined) yield* warn(`${run.owner.login}: ${run.tokenProblem}`)
        return
      }
      if (done._tag === "OwnerEnd") return yield* finishOwner(run)
      const outcome = done.outcome
      if (outcome._tag === "Archived") {
        // Written here, in list order, so archives are deterministic whatever order the GETs finish in.
        yield* sink
          .addSpace(run.owner.login, outcome.number, outcome.entry)
          .pipe(Effect.mapError((e) => new ExportError({ message: e.message })))
        run.archived++
      } else if (outcome._tag === "Failed") {
        run.failures.push(outcome.failure)
      } else {
        run.vanished.push(outcome.number)
      }
      run.done++
      yield* progress({ _tag: "SpaceDone", owner: run.owner, done: run.done, listed: run.listed })
    })

  const finishOwner = (run: OwnerRun) =>
    Effect.gen(function* () {
      const { owner, failures, archived } = run
      if (run.tokenProblem !== undefined && failures.length === 0 && run.listed === 0) {
        failures.push({ scope: FailureScope.list, message: `GitHub listed no spaces, and ${run.tokenProblem}` })
      }
      const status = failures.length > 0 ? "partial" : "complete"
      manifestOwners.push({
        login: owner.login,
        kind: owner.kind,
        status,
        spaces: archived,
        failures,
        vanished: run.vanished
      })
      summaries.push({
        owner: owner.login,
        kind: owner.kind,
        spaces: archived,
        failed: failures.length,
        failures: failures.map(describeFailure)
      })
      yield* progress({ _tag: "OwnerDone", owner, spaces: archived, failed: failures.length })
    })

  yield* forEachOrdered(work, {
    concurrency: options.concurrency,
    // Room for a slow space to finish while the others go on; results held meanwhile are a few KB each.
    window: 4 * options.concurrency,
    // One list page ahead, so the next page is read while this one's spaces are in flight.
    readAhead: 100,
    work: (w): Effect.Effect<Done, ExportError> =>
      w._tag !== "Space"
        ? Effect.succeed(w)
        : archiveSpace(w.run.owner, w.item).pipe(
            Effect.tap((outcome) =>
              outcome._tag === "Archived" ? repositoryLookups.lookUp(outcome.repositoryIds) : Effect.void
            ),
            Effect.map((outcome) => ({ _tag: "Space", run: w.run, outcome }) as const)
          ),
    deliver
  })

  const repositories = repositoryLookups.result()
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
