// The earlier archives an export asks against: each owner's baseline (or the one archive named), opened once, of
// which only the ETags stay in memory; contents are read back on 304. A plaintext archive gives its spaces back, an
// encrypted one of the same recipients its stored entries, which are copied without any key.
import { Effect, type Scope } from "effect"
import { baselinesFor } from "../archive/ArchiveDirectory.ts"
import type { ArchiveError } from "../archive/ArchiveError.ts"
import type { ManifestEntry, RepositoryIndex, SpaceEtags } from "../archive/ArchiveFormat.ts"
import { type ArchiveSource, sourceText } from "../archive/ArchiveLocation.ts"
import { type ArchiveHandle, openArchive, parseSpacePath } from "../archive/ArchiveReader.ts"
import type { RecipientSet } from "../crypto/Recipients.ts"
import type { Owner } from "../domain/Owner.ts"
import { ExportError } from "./ExportError.ts"
import type { ExportOptions } from "./ExportTypes.ts"

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
      readonly readSpace: (ownerLogin: string, number: number) => Effect.Effect<Record<string, unknown>, ArchiveError>
      readonly repositories: RepositoryIndex
    }
  | {
      readonly _tag: "Encrypted"
      readonly path: string
      readonly etags: (ownerLogin: string, number: number) => SpaceEtags | undefined
      readonly readEncrypted: (ownerLogin: string, number: number) => Effect.Effect<EncryptedCopy, ArchiveError>
      readonly repositories: RepositoryIndex
    }

/** An encrypted space entry of an earlier archive: its manifest row and its stored bytes, checked against it. */
export interface EncryptedCopy {
  readonly entry: ManifestEntry
  readonly stored: Buffer
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
export const earlierArchives = (options: ExportOptions, warn: (message: string) => Effect.Effect<void>) =>
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
