// `exportSpaces`, the export's entry: the output location (through ArchiveStore), the earlier archive whose ETags make unchanged spaces
// free, and a new archive written atomically by `archiveOwners`. The CLI and the worker call this.
import { Clock, Effect, type Scope } from "effect"
import { archiveFileName, baselinesFor } from "../archive/ArchiveDirectory.ts"
import { type ArchiveSource, locationOfSource, sourceText } from "../archive/ArchiveLocation.ts"
import { ArchiveStore, type ArchiveStoreError } from "../archive/ArchiveStore.ts"
import type { ManifestEntry, RepositoryIndex, SpaceEtags } from "../archive/ArchiveFormat.ts"
import type { ArchiveError } from "../archive/ArchiveError.ts"
import { type ArchiveHandle, openArchive, parseSpacePath } from "../archive/ArchiveReader.ts"
import { entryEncrypter } from "../crypto/EntryCipher.ts"
import type { RecipientSet } from "../crypto/Recipients.ts"
import { openArchiveWriter } from "../archive/ArchiveWriter.ts"
import type { Owner } from "../domain/Owner.ts"
import { GitHubClient } from "../github/GitHubClient.ts"
import { DEFAULT_CONCURRENCY } from "../github/GitHubConfig.ts"
import { TOOL_VERSION } from "../version.ts"
import { archiveOwners, type PreviousArchive } from "./ArchiveOwners.ts"
import { ExportError } from "./ExportError.ts"
import type { ExportOptions, ExportProgress, ExportSummary } from "./ExportTypes.ts"

export { ExportError } from "./ExportError.ts"

export interface ExportHooks {
  readonly onProgress?: ((event: ExportProgress) => Effect.Effect<void>) | undefined
  readonly onWarning?: ((message: string) => Effect.Effect<void>) | undefined
}

/**
 * Opens the earlier archive and keeps only its ETags in memory; contents are read back on 304. An archive encrypted
 * to another recipient set than this export's (or encrypted when this one is not, or the other way round) is not
 * used: every space is fetched in full once, so no new archive holds entries the new keys cannot open.
 */
const loadPrevious = (
  source: ArchiveSource,
  encryptTo: RecipientSet | undefined,
  warn: (message: string) => Effect.Effect<void>
): Effect.Effect<PreviousArchive | undefined, ArchiveError, Scope.Scope> =>
  Effect.gen(function* () {
    const archive = yield* openArchive(source)
    const was = archive.manifest.encryption?.recipients
    if (was !== encryptTo?.fingerprint) {
      yield* warn(`not reusing ${archive.path} for conditional requests: ${recipientChange(was, encryptTo)}`)
      return undefined
    }
    return was === undefined ? yield* plaintextPrevious(archive) : encryptedPrevious(archive)
  })

const recipientChange = (was: string | undefined, now: RecipientSet | undefined): string =>
  was === undefined
    ? "it is not encrypted and this export is, so every space is fetched in full once"
    : now === undefined
      ? "it is encrypted and this export is not, so every space is fetched in full once"
      : "it is encrypted to another recipient set, so every space is fetched in full once"

const plaintextPrevious = (archive: ArchiveHandle) =>
  Effect.gen(function* () {
    const repositories = yield* archive.repositories
    const etags = new Map<string, SpaceEtags>()
    // Read each entry once for its ETags: memory holds two short strings per space.
    for (const entry of archive.manifest.entries) {
      const space = parseSpacePath(entry.path)
      if (space === undefined) continue
      const raw = yield* archive.readJson(entry.path)
      const e = (raw as { etags?: SpaceEtags }).etags
      if (e !== undefined && (e.space !== undefined || e.collaborators !== undefined))
        etags.set(`${space.ownerLogin}/${space.number}`, e)
    }
    return {
      _tag: "Plaintext",
      path: archive.path,
      etags: (owner, number) => etags.get(`${owner.toLowerCase()}/${number}`),
      readSpace: (owner, number) => archive.readSpaceRaw(owner, number),
      repositories
    } satisfies PreviousArchive
  })

/** An encrypted earlier archive: ETags from its manifest, entries copied as stored; nothing is decrypted. */
const encryptedPrevious = (archive: ArchiveHandle): PreviousArchive => {
  const rows = new Map<string, ManifestEntry>()
  for (const entry of archive.manifest.entries) {
    const space = parseSpacePath(entry.path)
    if (space !== undefined && entry.etags !== undefined) rows.set(`${space.ownerLogin}/${space.number}`, entry)
  }
  const rowOf = (owner: string, number: number) => rows.get(`${owner.toLowerCase()}/${number}`)
  return {
    _tag: "Encrypted",
    path: archive.path,
    etags: (owner, number) => rowOf(owner, number)?.etags,
    readEncrypted: (owner, number) =>
      Effect.suspend(() => {
        const entry = rowOf(owner, number)
        return entry === undefined
          ? Effect.die(new Error(`no earlier row for ${owner}/${number}`))
          : Effect.map(archive.readStored(entry), (stored) => ({ entry, stored }))
      }),
    // Repository names are encrypted: each repository is looked up again, unconditionally.
    repositories: {}
  }
}

/**
 * The earlier archives whose ETags make unchanged spaces free: the one named (`since`, for every owner), else each
 * owner's own baseline in the output location (`baselinesFor`). Each is opened once. An unreadable one that was
 * named fails the export; one found in the location only costs budget, and says so.
 */
const earlierArchives = (options: ExportOptions, warn: (message: string) => Effect.Effect<void>) =>
  Effect.gen(function* () {
    const logins = options.owners.map((o) => o.login.toLowerCase())
    const named = options.since
    const sources: ReadonlyMap<string, ArchiveSource> =
      named !== undefined
        ? new Map(logins.map((l) => [l, named]))
        : yield* baselinesFor(options.outDir, logins, options.shard).pipe(
            Effect.mapError((e) => ExportError.fileFailed(e.message))
          )
    const opened = new Map<string, PreviousArchive | undefined>()
    for (const source of sources.values()) {
      const key = sourceText(source)
      if (opened.has(key)) continue
      const previous = yield* loadPrevious(source, options.encryptTo, warn).pipe(
        Effect.catchTag("ArchiveError", (e) =>
          named !== undefined
            ? Effect.fail(new ExportError({ reason: { _tag: "PreviousUnreadable", detail: e.message } }))
            : warn(`not reusing ${key} for conditional requests: ${e.message}`).pipe(Effect.as(undefined))
        )
      )
      opened.set(key, previous)
    }
    // Repository ETags from every earlier archive: any one answers for its repository.
    const repositories: Record<string, RepositoryIndex[string]> = {}
    for (const previous of opened.values())
      for (const [id, entry] of Object.entries(previous?.repositories ?? {})) repositories[id] ??= entry
    return {
      previousFor: (owner: Owner) => {
        const source = sources.get(owner.login.toLowerCase())
        return source === undefined ? undefined : opened.get(sourceText(source))
      },
      repositories: repositories as RepositoryIndex
    }
  })

/**
 * Fails with ExportError, and leaves no archive, when the token is rejected, files cannot be written, the named
 * earlier archive cannot be read, or no owner could be read at all.
 */
export const exportSpaces = (
  options: ExportOptions & ExportHooks
): Effect.Effect<ExportSummary, ExportError | ArchiveStoreError, GitHubClient> =>
  Effect.scoped(
    Effect.gen(function* () {
      const started = yield* Clock.currentTimeMillis
      const client = yield* GitHubClient
      const warn = options.onWarning ?? (() => Effect.void)
      const out = locationOfSource(options.outDir)
      // A location that cannot be reached at all (no such bucket, access denied, unreachable) stays an
      // ArchiveStoreError `Unavailable`: a setting to fix (exit 2), not a failed run.
      const startFailed = (e: ArchiveStoreError) =>
        e.reason._tag === "Unavailable" ? e : ExportError.fileFailed(e.message)
      const archives = yield* ArchiveStore.forLocation(out).pipe(Effect.mapError(startFailed))
      // Made (or checked) before any request: a location that cannot be written is found before GitHub is asked.
      yield* archives.prepare.pipe(Effect.mapError(startFailed))

      const earlier = yield* earlierArchives(options, warn)
      const runId = options.runId ?? new Date(started).toISOString()
      // The first free name of this second: another export may finish into the same directory at the same time.
      const writer = yield* openArchiveWriter(
        { location: out, nameFor: (sequence) => archiveFileName(started, sequence, options.shard) },
        { encryption: options.encryptTo === undefined ? undefined : entryEncrypter(options.encryptTo) }
      ).pipe(Effect.mapError((e) => ExportError.fileFailed(e.message)))
      const result = yield* archiveOwners({
        owners: options.owners,
        concurrency: options.concurrency ?? DEFAULT_CONCURRENCY,
        previousFor: earlier.previousFor,
        earlierRepositories: earlier.repositories,
        onProgress: options.onProgress,
        onWarning: options.onWarning,
        sink: {
          addSpace: writer.addSpace,
          setRepositories: writer.setRepositories,
          copyEncrypted: writer.copyEncrypted,
          finish: (m) =>
            writer.finish({
              ...m,
              toolVersion: TOOL_VERSION,
              shard: options.shard,
              runId
            })
        }
      })
      const stats = yield* client.stats
      const finished = yield* Clock.currentTimeMillis
      return {
        archive: result.archive,
        partial: result.partial,
        owners: result.owners,
        requests: stats.sent,
        notModified: stats.notModified,
        rateLimitWaits: stats.rateLimitWaits,
        durationMs: finished - started,
        runId
      } satisfies ExportSummary
    })
  )
