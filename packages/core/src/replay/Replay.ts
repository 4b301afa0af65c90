// Replay an archive: restore spaces into their original owners, or migrate them into another owner. Verifies
// the archive and reads the selected spaces; then, per target: takes its lock, opens its journal, lists what
// exists, looks up every name once, plans each space (pure) and applies it or, for a dry run, only reports it.
import { mkdir } from "node:fs/promises"
import { join } from "node:path"
import { Clock, Effect, Stream } from "effect"
import type { ArchivedSpace, RepositoryIndex } from "../archive/ArchiveFormat.ts"
import { ArchiveError, NO_IDENTITY } from "../archive/ArchiveError.ts"
import { ArchiveIdentities } from "../crypto/ArchiveIdentities.ts"
import { readManifestFast } from "../history/ManifestRead.ts"
import { openArchive } from "../archive/ArchiveReader.ts"
import { type ArchiveSource, refOfSource, sourceText } from "../archive/ArchiveLocation.ts"
import { verifyArchive } from "../archive/Verify.ts"
import type { Owner } from "../domain/Owner.ts"
import { GitHubClient } from "../github/GitHubClient.ts"
import type { GitHubError } from "../github/GitHubError.ts"
import { errorText } from "../runtime/ErrorText.ts"
import { acquireLockFile } from "../runtime/LockFile.ts"
import { type Journal, type JournalSource, openJournal, replayStateDir, targetFileStem } from "./Journal.ts"
import type { Maps } from "./MapFiles.ts"
import { isRestore, remapSpace, type TargetDirectory } from "./Remap.ts"
import { applyAction } from "./ReplayApply.ts"
import { listExisting, lookUpTarget, readDetail } from "./TargetLookup.ts"
import { ReplayError, type ReplayErrorReason } from "./ReplayError.ts"
import {
  type ConflictPolicy,
  type ExistingSpaces,
  matchExisting,
  needsDetail,
  planSpace,
  plannedOutcome,
  type SpaceAction
} from "./ReplayPlan.ts"
import {
  emptySummary,
  type ReplaySummary,
  recordNotTried,
  recordOutcome,
  type SummaryBuilder
} from "./ReplaySummary.ts"

export { ReplayError } from "./ReplayError.ts"
export type { ReplaySummary, SpaceResult } from "./ReplaySummary.ts"

export interface ReplayOptions {
  /** A local path, or an archive in any store. */
  readonly archive: ArchiveSource
  /** Migration target; undefined restores each space into its original owner. */
  readonly to?: Owner | undefined
  /** "owner/number" or "owner/*" selections; empty means every space. */
  readonly spaces: ReadonlyArray<string>
  readonly maps: Maps
  readonly onConflict: ConflictPolicy
  readonly strict: boolean
  readonly dryRun: boolean
  /** The state directory (runtime/StateDir), where replay journals and locks live. */
  readonly stateDir: string
  readonly onProgress?: ((line: string) => Effect.Effect<void>) | undefined
  /** Told what the run had done when it was interrupted. */
  readonly onInterrupt?: ((soFar: ReplaySummary) => Effect.Effect<void>) | undefined
}

const replayError = (reason: ReplayErrorReason) => new ReplayError({ reason })

/** The lock of replays into one owner of one GitHub, in the state directory (shared by every archive). */
export const replayLockPath = (stateDir: string, apiUrl: string, target: Owner): string =>
  join(replayStateDir(stateDir), `${targetFileStem(apiUrl, target)}.lock`)

interface Picked {
  readonly owner: Owner
  readonly space: ArchivedSpace
}

/**
 * Reads and selects the archived spaces: `owner/number` picks one, `owner/*` all of an owner's, no selection all.
 * A selection the archive cannot meet is an error, not a silent no-op.
 */
const readSelection = (path: ArchiveSource, selection: ReadonlyArray<string>) =>
  Effect.scoped(
    Effect.gen(function* () {
      const archive = yield* openArchive(path)
      const wanted = selection.map((s) => s.toLowerCase())
      const exact = new Set(wanted.filter((s) => !s.endsWith("/*")))
      const owners = new Set(wanted.filter((s) => s.endsWith("/*")).map((s) => s.slice(0, -2)))
      const missing = new Set(exact)
      const missingOwners = new Set(owners)
      const picked: Array<Picked> = []
      const kinds = new Map(archive.manifest.owners.map((o) => [o.login.toLowerCase(), o] as const))
      // An owner the archive lists is there, even with no spaces.
      for (const o of kinds.keys()) missingOwners.delete(o)
      yield* Stream.runForEach(archive.spaces, (e) =>
        Effect.sync(() => {
          const owner = e.ownerLogin.toLowerCase()
          const key = `${owner}/${e.number}`
          if (wanted.length > 0 && !exact.has(key) && !owners.has(owner)) return
          missing.delete(key)
          const o = kinds.get(owner)
          picked.push({ owner: { kind: o?.kind ?? "org", login: o?.login ?? e.ownerLogin }, space: e.space })
        })
      )
      if (missing.size > 0 || missingOwners.size > 0) {
        return yield* replayError({ _tag: "NotInArchive", spaces: [...missing], owners: [...missingOwners] })
      }
      return { picked, repositories: yield* archive.repositories }
    })
  )

/**
 * Fails with the reader's Encrypted refusal for an encrypted archive when no identity was given: no space of it
 * could be replayed, so verify need not read every entry first. Given identities, verify and the reads judge them.
 */
const requireIdentity = (source: ArchiveSource) =>
  Effect.gen(function* () {
    if ((yield* ArchiveIdentities).length > 0) return
    const manifest =
      (yield* readManifestFast(source)) ?? (yield* Effect.scoped(Effect.map(openArchive(source), (a) => a.manifest)))
    if (manifest.encryption !== undefined)
      return yield* new ArchiveError({ reason: "Encrypted", path: sourceText(source), detail: NO_IDENTITY })
  })

const readArchive = (source: ArchiveSource, selection: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    const archive = sourceText(source)
    const invalid = (problem: string) => replayError({ _tag: "ArchiveInvalid", archive, problem })
    // An encrypted archive read without an identity is the invocation's to fix (exit 2), not a broken archive.
    const failed = (e: ArchiveError) =>
      e.reason === "Encrypted"
        ? replayError({ _tag: "ArchiveEncrypted", archive, problem: e.message })
        : invalid(e.message)
    yield* requireIdentity(source).pipe(Effect.mapError(failed))
    const report = yield* verifyArchive(source).pipe(Effect.mapError((e) => invalid(e.message)))
    if (!report.intact) return yield* invalid(`archive ${archive} failed verification: ${report.problems[0]}`)
    return yield* readSelection(source, selection).pipe(Effect.catchTag("ArchiveError", (e) => Effect.fail(failed(e))))
  })

interface TargetGroup {
  readonly target: Owner
  readonly spaces: ReadonlyArray<Picked>
}

/** Each original owner for a restore, the one target for a migration; in archive order. */
const groupByTarget = (picked: ReadonlyArray<Picked>, to: Owner | undefined): ReadonlyArray<TargetGroup> => {
  const groups = new Map<string, { target: Owner; spaces: Array<Picked> }>()
  for (const p of picked) {
    const target = to ?? p.owner
    const key = `${target.kind}:${target.login.toLowerCase()}`
    const g = groups.get(key) ?? { target, spaces: [] }
    g.spaces.push(p)
    groups.set(key, g)
  }
  return [...groups.values()]
}

/**
 * One replay into a target at a time, whatever the archive (a copy of it, or another night's): two at once would
 * each create the spaces the other has not journaled yet. Held until the run's scope closes.
 */
const lockTarget = (stateDir: string, apiUrl: string, target: Owner) =>
  Effect.gen(function* () {
    yield* Effect.tryPromise({
      try: () => mkdir(replayStateDir(stateDir), { recursive: true, mode: 0o700 }),
      catch: (e) => replayError({ _tag: "StateDirUnusable", path: stateDir, detail: errorText(e) })
    })
    const startedAt = new Date(yield* Clock.currentTimeMillis).toISOString()
    yield* acquireLockFile(replayLockPath(stateDir, apiUrl, target), {
      what: `replaying into ${target.login}`,
      busy: "another replay into it is running",
      startedAt
    }).pipe(Effect.mapError((cause) => replayError({ _tag: "Locked", cause })))
  })

const lookupFailed = (target: Owner) => (cause: GitHubError) =>
  replayError({ _tag: "TargetLookup", target: target.login, cause })

interface TargetContext {
  readonly target: Owner
  readonly repositories: RepositoryIndex
  readonly directory: TargetDirectory
  readonly existing: ExistingSpaces
  readonly journal: Journal
  readonly options: ReplayOptions
}

const journalSourceOf = (source: Owner, space: ArchivedSpace): JournalSource => ({
  owner: source.login,
  number: space.number,
  id: space.id
})

/** Plans one space: remapped, matched against what exists, read in full only when an update needs it. */
const planOne = (ctx: TargetContext, { owner, space }: Picked) =>
  Effect.gen(function* () {
    const { target, options } = ctx
    const remapped = remapSpace(space, ctx.repositories, ctx.directory, options.maps)
    const journaled = ctx.journal.get(journalSourceOf(owner, space))
    const match = matchExisting(space, journaled, isRestore(space, target), ctx.existing)
    const detail = needsDetail(match, options.onConflict)
      ? yield* readDetail(target, match.number).pipe(Effect.mapError(lookupFailed(target)))
      : undefined
    const existing = match === undefined ? undefined : detail === undefined ? match : { ...match, detail }
    const source = { owner: owner.login, number: space.number, name: space.name }
    return planSpace(source, remapped, existing, options.onConflict, options.strict)
  })

/**
 * Replays one target's spaces into it, recording each in the summary. Returns where a conflict stopped the run
 * (and how many spaces were tried), or undefined when it went through.
 */
const replayInto = (
  group: TargetGroup,
  repositories: RepositoryIndex,
  options: ReplayOptions,
  summary: SummaryBuilder
) =>
  Effect.gen(function* () {
    const client = yield* GitHubClient
    const { target, spaces } = group
    const progress = options.onProgress ?? (() => Effect.void)
    const { stateDir, archive, dryRun } = options
    // A dry run writes nothing and needs no lock.
    if (!dryRun) yield* lockTarget(stateDir, client.apiUrl, target)
    const journal = yield* openJournal({
      stateDir,
      apiUrl: client.apiUrl,
      target,
      archive: sourceText(archive),
      archiveIsLocal: refOfSource(archive).location._tag === "Local",
      dryRun
    }).pipe(Effect.mapError((cause) => replayError({ _tag: "JournalUnusable", cause })))
    yield* progress(`${target.login}: looking up what exists`)
    const existing = yield* listExisting(target).pipe(Effect.mapError(lookupFailed(target)))
    const needed = spaces.map((s) => s.space)
    const directory = yield* lookUpTarget(target, needed, repositories, options.maps).pipe(
      Effect.mapError(lookupFailed(target))
    )
    const ctx: TargetContext = { target, repositories, directory, existing, journal, options }
    for (const [i, picked] of spaces.entries()) {
      const action: SpaceAction = yield* planOne(ctx, picked)
      const outcome = dryRun
        ? plannedOutcome(target, action)
        : yield* applyAction(target, action, journalSourceOf(picked.owner, picked.space), journal)
      recordOutcome(summary, target, action, outcome)
      yield* progress(`${target.login}: ${i + 1}/${spaces.length} spaces`)
      // The conflict policy "fail" stops the run here.
      if (action._tag === "Conflict") return { at: `${target.login}/${action.target}`, tried: i + 1 }
    }
    return undefined
  })

export const replayArchive = (options: ReplayOptions) =>
  Effect.scoped(
    Effect.gen(function* () {
      const { picked, repositories } = yield* readArchive(options.archive, options.spaces)
      const groups = groupByTarget(picked, options.to)
      const summary = emptySummary(options.dryRun)
      yield* Effect.gen(function* () {
        for (const [g, group] of groups.entries()) {
          const stop = yield* replayInto(group, repositories, options, summary)
          if (stop === undefined) continue
          // Every selected space appears in the summary: those the stop left untried as skipped, saying why.
          const untried = [
            ...group.spaces.slice(stop.tried).map((p) => ({ target: group.target, p })),
            ...groups.slice(g + 1).flatMap((later) => later.spaces.map((p) => ({ target: later.target, p })))
          ]
          for (const { target, p } of untried) {
            recordNotTried(
              summary,
              target,
              { owner: p.owner.login, number: p.space.number, name: p.space.name },
              stop.at
            )
          }
          break
        }
      }).pipe(Effect.onInterrupt(() => options.onInterrupt?.(summary) ?? Effect.void))
      return summary as ReplaySummary
    })
  )
