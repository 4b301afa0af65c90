// The archives at a location: which of them are ours, what each one's manifest says about its time and owners, and
// which earlier archive covers an owner completely. Listing and reading go through ArchiveStore.
import { Effect, PlatformError, Schema } from "effect"
import { compareArchiveNamesDesc, parseArchiveFileName } from "./ArchiveName.ts"
import { openArchive } from "./ArchiveReader.ts"
import { type ArchiveSource, type LocationSource, locationOfSource, sourceIn, sourceText } from "./ArchiveLocation.ts"
import { ArchiveStore, type ArchiveStoreError } from "./ArchiveStore.ts"

export { archiveFileName, archiveNames, compareArchiveNamesDesc, parseArchiveFileName } from "./ArchiveName.ts"

/** One owner of an archive, as its manifest records it. */
export interface OwnerCoverage {
  readonly login: string
  /** False when the owner's listing or any of its spaces failed. */
  readonly complete: boolean
}

/** What retention, baselines and reports need from an archive in a directory. */
export interface ArchiveInfo {
  readonly name: string
  /** Creation time, epoch ms. */
  readonly createdAt: number
  /** False for partial archives (an owner or a repository lookup failed). */
  readonly complete: boolean
  readonly owners: ReadonlyArray<OwnerCoverage>
}

/** Newest first; equal times fall back to the name so that an order never depends on the input's. */
export const newestFirst = (a: ArchiveInfo, b: ArchiveInfo): number =>
  b.createdAt - a.createdAt || (a.name < b.name ? 1 : a.name > b.name ? -1 : 0)

/** The owner's entry in an archive (logins compare case-folded), or undefined when the archive does not hold it. */
export const ownerIn = (archive: ArchiveInfo, login: string): OwnerCoverage | undefined =>
  archive.owners.find((o) => o.login.toLowerCase() === login.toLowerCase())

export const coversCompletely = (archive: ArchiveInfo, login: string): boolean =>
  ownerIn(archive, login)?.complete === true

/**
 * The newest archive earlier than `before` that covers `login` completely: what a space missing from `before` is
 * compared against. Another owner's ad-hoc export in between, or a night this owner failed, is passed over.
 */
export const baselineFor = (
  login: string,
  archives: ReadonlyArray<ArchiveInfo>,
  before: ArchiveInfo
): ArchiveInfo | undefined =>
  [...archives].sort(newestFirst).find((a) => newestFirst(before, a) < 0 && coversCompletely(a, login))

/** What a manifest says of an archive, for `ArchiveInfo`. */
export interface ArchiveState {
  /** Epoch ms from the manifest; undefined falls back to the time in the file name. */
  readonly createdAt: number | undefined
  readonly complete: boolean
  readonly owners: ReadonlyArray<OwnerCoverage>
}

/**
 * Reads an archive's state; injectable so that planning over a directory can be tested without real zips. Local
 * archives are given as joined paths, others as references.
 */
export type ReadArchiveState = (
  path: string,
  source: ArchiveSource
) => Effect.Effect<ArchiveState, { readonly message: string }>

export const readManifestState: ReadArchiveState = (_path, source) =>
  Effect.scoped(openArchive(source)).pipe(
    Effect.map(({ manifest }) => {
      const created = Date.parse(manifest.createdAt)
      return {
        createdAt: Number.isNaN(created) ? undefined : created,
        complete: !manifest.partial,
        owners: manifest.owners.map((o) => ({ login: o.login, complete: o.status === "complete" }))
      }
    })
  )

export class ArchiveDirectoryError extends Schema.TaggedError<ArchiveDirectoryError>()("ArchiveDirectoryError", {
  message: Schema.String,
  /**
   * The location cannot be used at all (no such directory, no such bucket, access denied, unreachable): a setting
   * to fix. Absent or false: a failure while reading it (a listing cut off, a request failing midway).
   */
  unusable: Schema.optionalKey(Schema.Boolean)
}) {}

/** An ArchiveStoreError as a directory error, keeping whether the location itself is unusable. */
const directoryError = (e: ArchiveStoreError) =>
  new ArchiveDirectoryError({
    message: e.message,
    unusable: e.reason._tag === "NotFound" || e.reason._tag === "Unavailable"
  })

/** One line for people: a file-system failure by what happened ("no such file or directory"), not by its API call. */
export const problemText = (e: { readonly message: string }): string => {
  if (e instanceof PlatformError.PlatformError && e.reason._tag !== "BadArgument") {
    const said = systemErrorText[e.reason._tag]
    if (said !== undefined) return said
  }
  return e.message.split("\n")[0] ?? "unknown error"
}

const systemErrorText: Partial<Record<PlatformError.SystemErrorTag, string>> = {
  NotFound: "no such file or directory",
  PermissionDenied: "permission denied",
  AlreadyExists: "already exists",
  Busy: "busy"
}

/** Our archives at a location (a local directory path, or any store's location), newest first, with sizes. */
export const listStoredArchives = (dir: LocationSource) =>
  Effect.gen(function* () {
    const archives = yield* ArchiveStore.forLocation(locationOfSource(dir))
    const listed = yield* archives.list
    return [...listed].sort((a, b) => compareArchiveNamesDesc(a.name, b.name))
  }).pipe(Effect.mapError(directoryError))

/** Our archive names at a location, newest first. */
export const listArchives = (dir: LocationSource) =>
  Effect.map(listStoredArchives(dir), (listed) => listed.map((a) => a.name))

export interface DirectoryState {
  /** Newest first. */
  readonly archives: ReadonlyArray<ArchiveInfo>
  /** Archives whose manifest could not be read: never deleted, never a baseline, always reported. */
  readonly unreadable: ReadonlyArray<{ readonly name: string; readonly problem: string }>
}

/** Every archive of a location with what its manifest says; an unreadable one is set aside, not a failure. */
export const readDirectoryState = (dir: LocationSource, readState: ReadArchiveState = readManifestState) =>
  Effect.gen(function* () {
    const names = yield* listArchives(dir)
    const archives: Array<ArchiveInfo> = []
    const unreadable: Array<{ name: string; problem: string }> = []
    for (const name of names) {
      const source = sourceIn(dir, name)
      const state = yield* readState(sourceText(source), source).pipe(
        Effect.catch((e) => Effect.sync(() => void unreadable.push({ name, problem: problemText(e) })))
      )
      if (state === undefined) continue
      // The manifest's time has milliseconds; the name's has seconds (and a -N suffix for ties).
      archives.push({
        name,
        createdAt: state.createdAt ?? parseArchiveFileName(name)?.createdAtMs ?? 0,
        complete: state.complete,
        owners: state.owners
      })
    }
    return { archives, unreadable } satisfies DirectoryState
  })

/** How many of a location's newest archives an export reads the manifests of, looking for its owners' baselines. */
const BASELINE_SCAN = 20

/**
 * The earlier archives an export takes ETags from when none is named, per owner (case-folded login): the newest of
 * the last few archives that covers the owner completely, else the newest that holds it at all (its spaces that
 * were archived still have ETags). Per owner, so that an ad-hoc export of one owner, or a night another owner
 * failed, costs the other owners nothing: each still asks against its own last good copy. A shard looks at its own
 * archives first (another shard's hold none of its owners); unreadable manifests are passed over.
 */
export const baselinesFor = (
  dir: LocationSource,
  logins: ReadonlyArray<string>,
  shard?: { readonly index: number; readonly count: number }
) =>
  Effect.gen(function* () {
    // A directory that does not exist yet holds no earlier archive.
    const listed = yield* ArchiveStore.forLocation(locationOfSource(dir)).pipe(
      Effect.flatMap((archives) => archives.list),
      Effect.catchIf(
        (e) => e.reason._tag === "NotFound",
        () => Effect.succeed([])
      ),
      Effect.mapError(directoryError)
    )
    const all = listed.map((a) => a.name).sort(compareArchiveNamesDesc)
    const ownShard = (n: string) => {
      const s = parseArchiveFileName(n)?.shard
      return shard === undefined || (s !== undefined && s.index === shard.index && s.count === shard.count)
    }
    const names = [...all.filter(ownShard), ...all.filter((n) => !ownShard(n))].slice(0, BASELINE_SCAN)
    const wanted = new Set(logins.map((l) => l.toLowerCase()))
    const complete = new Map<string, ArchiveSource>()
    const holding = new Map<string, ArchiveSource>()
    for (const name of names) {
      if ([...wanted].every((l) => complete.has(l))) break
      const source = sourceIn(dir, name)
      const state = yield* readManifestState(sourceText(source), source).pipe(Effect.orElseSucceed(() => undefined))
      for (const owner of state?.owners ?? []) {
        const login = owner.login.toLowerCase()
        if (!wanted.has(login)) continue
        if (owner.complete && !complete.has(login)) complete.set(login, source)
        if (!holding.has(login)) holding.set(login, source)
      }
    }
    const baselines = new Map<string, ArchiveSource>()
    for (const login of wanted) {
      const source = complete.get(login) ?? holding.get(login)
      if (source !== undefined) baselines.set(login, source)
    }
    return baselines as ReadonlyMap<string, ArchiveSource>
  })
