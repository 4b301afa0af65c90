// Reads an archive without trusting it: entry names (safe, none twice) are checked before anything else, the
// manifest's version is checked before it is decoded, and entries are read one at a time (never the whole archive
// in memory). Every read of contents refuses an archive whose entries differ from its manifest: names and sizes
// are compared when it is opened, and each entry is hashed as it streams and compared with its row at its end.
import { Effect, Schema, Stream } from "effect"
import {
  ArchivedSpaceV1,
  CURRENT_FORMAT_VERSION,
  MANIFEST_PATH,
  ManifestV1,
  ManifestV2,
  ManifestVersionProbe,
  REPOSITORIES_PATH,
  RepositoryIndexV1,
  spaceEntryPath,
  storedOf,
  upgradeV1,
  upgradeV2,
  type ArchivedSpace,
  type Manifest,
  type ManifestEntry,
  type RepositoryIndex
} from "./ArchiveFormat.ts"
import { ArchiveError } from "./ArchiveError.ts"
import { checkListing } from "./EntryCheck.ts"
import { contentOpener } from "./EntryContent.ts"
import { type ArchiveSource, sourceText } from "./ArchiveLocation.ts"
import { listEntries, openZip, readEntry } from "./ZipAccess.ts"

export interface ZipEntryInfo {
  readonly name: string
  readonly size: number
  readonly crc32: number
}

export interface ArchiveHandle {
  /** How messages name the archive: the local path as given, or `s3://bucket/prefix/NAME`. */
  readonly path: string
  /** The manifest, upgraded: entries named by their plaintext paths (`storedOf` gives the zip's entry). */
  readonly manifest: Manifest
  /** The zip's entries by their stored names (`….json.gz.age` in an encrypted archive). */
  readonly entries: ReadonlyMap<string, ZipEntryInfo>
  /** Whether contents can be read: a plaintext archive, or an encrypted one with identities given. */
  readonly decryptable: boolean
  /**
   * The raw bytes of one zip entry by its stored name, CRC-checked only: not compared with the manifest. For verify,
   * which compares and reports every mismatch itself; everything below fails on an archive whose entries differ
   * from its manifest.
   */
  readonly readBytes: (name: string) => Effect.Effect<Buffer, ArchiveError>
  /**
   * The plaintext of an entry from its stored bytes: decrypted (and checked against the plaintext digest) for an
   * encrypted entry, the bytes themselves otherwise.
   */
  readonly plaintextOf: (entry: ManifestEntry, stored: Buffer) => Effect.Effect<Buffer, ArchiveError>
  /** An entry's stored bytes (encrypted ones as they are), checked against the manifest: for copying byte for byte. */
  readonly readStored: (entry: ManifestEntry) => Effect.Effect<Buffer, ArchiveError>
  /** One manifest-listed entry by its plaintext path, decrypted when need be, parsed; checked against the manifest. */
  readonly readJson: (name: string) => Effect.Effect<unknown, ArchiveError>
  readonly repositories: Effect.Effect<RepositoryIndex, ArchiveError>
  /** One space, decoded and raw, read by name. */
  readonly readSpace: (ownerLogin: string, number: number) => Effect.Effect<ArchivedSpaceEntry, ArchiveError>
  /** The space entry exactly as stored (unknown fields kept). */
  readonly readSpaceRaw: (ownerLogin: string, number: number) => Effect.Effect<Record<string, unknown>, ArchiveError>
  /** Every space, lazily, decoded (for logic) and raw (for faithful copies). */
  readonly spaces: Stream.Stream<ArchivedSpaceEntry, ArchiveError>
}

export interface ArchivedSpaceEntry {
  readonly ownerLogin: string
  readonly number: number
  readonly space: ArchivedSpace
  readonly raw: Record<string, unknown>
}

/** Why an entry name is unsafe to honour, or undefined when it is fine. */
export const unsafeEntryName = (name: string): string | undefined => {
  if (name.startsWith("/") || /^[A-Za-z]:/.test(name)) return "is an absolute path"
  if (name.includes("\\")) return "contains a backslash"
  if (name.split("/").some((s) => s === "..")) return "contains a '..' segment"
  if (name.includes("\0")) return "contains a NUL byte"
  return undefined
}

const SPACE_PATH = /^spaces\/([^/]+)\/(\d+)\.json$/
/** A space's plaintext path (`spaces/<owner>/<number>.json`), also for an encrypted archive's manifest entries. */
export const parseSpacePath = (name: string): { ownerLogin: string; number: number } | undefined => {
  const m = SPACE_PATH.exec(name)
  return m === null ? undefined : { ownerLogin: m[1]!, number: Number(m[2]) }
}

/** Decodes a manifest of any supported version and upgrades it to the in-memory shape everything downstream sees. */
export const decodeManifest = (path: string, json: unknown): Effect.Effect<Manifest, ArchiveError> =>
  Effect.gen(function* () {
    const probe = yield* Schema.decodeUnknownEffect(ManifestVersionProbe)(json).pipe(
      Effect.mapError(() => new ArchiveError({ reason: "Invalid", path, detail: "manifest.json has no formatVersion" }))
    )
    if (probe.formatVersion > CURRENT_FORMAT_VERSION) {
      return yield* new ArchiveError({
        reason: "UnsupportedVersion",
        path,
        detail: `uses archive format ${probe.formatVersion}, newer than this spaces-vault supports (${CURRENT_FORMAT_VERSION}); upgrade spaces-vault`
      })
    }
    const invalid = (e: { readonly message: string }) =>
      new ArchiveError({ reason: "Invalid", path, detail: `manifest.json: ${firstLine(e.message)}` })
    switch (probe.formatVersion) {
      case 1:
        return yield* Schema.decodeUnknownEffect(ManifestV1)(json).pipe(Effect.mapError(invalid), Effect.map(upgradeV1))
      case 2:
        return yield* Schema.decodeUnknownEffect(ManifestV2)(json).pipe(Effect.mapError(invalid), Effect.map(upgradeV2))
      default:
        return yield* new ArchiveError({
          reason: "Invalid",
          path,
          detail: `unknown archive format ${probe.formatVersion}`
        })
    }
  })

/** A Schema error's first two lines, at most 300 characters: the path and the expectation, enough for one sentence. */
export const firstLine = (s: string): string => s.split("\n").slice(0, 2).join(" ").slice(0, 300)

/** A JSON entry as an object, or an Invalid archive. */
const objectOf = (path: string) => (name: string, json: unknown) =>
  typeof json === "object" && json !== null && !Array.isArray(json)
    ? Effect.succeed(json as Record<string, unknown>)
    : Effect.fail(new ArchiveError({ reason: "Invalid", path, detail: `${name} is not a JSON object` }))

/** Reads one space entry by name: decoded (for logic) and raw (for faithful copies), its number checked. */
const spaceReader = (path: string, readJson: (name: string) => Effect.Effect<unknown, ArchiveError>) => {
  const asObject = objectOf(path)
  const spaceOf = (name: string) =>
    Effect.gen(function* () {
      const json = yield* readJson(name)
      const raw = yield* asObject(name, json)
      const space = yield* Schema.decodeUnknownEffect(ArchivedSpaceV1)(json).pipe(
        Effect.mapError(
          (e) => new ArchiveError({ reason: "Invalid", path, detail: `${name}: ${firstLine(e.message)}` })
        )
      )
      const { ownerLogin, number } = parseSpacePath(name) ?? { ownerLogin: "", number: Number.NaN }
      // Diff matches spaces by this number: one that disagrees with its path would read as another space.
      if (space.number !== number)
        return yield* new ArchiveError({
          reason: "Invalid",
          path,
          detail: `${name} holds space number ${space.number}`
        })
      return { ownerLogin, number, space, raw } satisfies ArchivedSpaceEntry
    })
  return { spaceOf, asObject }
}

/**
 * Opens an archive for reading inside a scope, through the ArchiveStore (random access: the central directory and
 * single entries, never the whole archive). A string is a local path. Fails on unsafe entry names and unsupported
 * versions.
 */
export const openArchive = (source: ArchiveSource) =>
  Effect.gen(function* () {
    const path = sourceText(source)
    const zip = yield* openZip(path, source)
    const raw = yield* listEntries(path, zip)
    for (const name of raw.keys()) {
      const why = unsafeEntryName(name)
      if (why !== undefined)
        return yield* new ArchiveError({ reason: "Invalid", path, detail: `entry "${name}" ${why}` })
    }
    const entries = new Map<string, ZipEntryInfo>(
      [...raw.values()].map((e) => [e.fileName, { name: e.fileName, size: e.uncompressedSize, crc32: e.crc32 }])
    )
    const missing = (name: string) => new ArchiveError({ reason: "Invalid", path, detail: `entry ${name} is missing` })
    const readBytes = (name: string) => {
      const e = raw.get(name)
      return e === undefined ? Effect.fail(missing(name)) : readEntry(path, zip, e)
    }
    const parseJson = (name: string) => (bytes: Buffer) =>
      Effect.try({
        try: () => JSON.parse(bytes.toString("utf8")) as unknown,
        catch: () => new ArchiveError({ reason: "Invalid", path, detail: `${name} is not valid JSON` })
      })
    if (!raw.has(MANIFEST_PATH))
      return yield* new ArchiveError({ reason: "Invalid", path, detail: "manifest.json is missing" })
    const manifest = yield* readBytes(MANIFEST_PATH).pipe(
      Effect.flatMap(parseJson(MANIFEST_PATH)),
      Effect.flatMap((json) => decodeManifest(path, json))
    )

    // Names and sizes are compared now, from the central directory; the failure is raised by the first read of
    // contents, so that verify (which reads only raw bytes) can still report every problem instead of the first.
    const listing = checkListing(manifest.entries.map(storedOf), entries)
    const listingOk: Effect.Effect<void, ArchiveError> =
      listing.problem === undefined
        ? Effect.void
        : Effect.fail(new ArchiveError({ reason: "Invalid", path, detail: listing.problem }))
    const byPath = new Map(manifest.entries.map((e) => [e.path, e]))
    const opener = yield* contentOpener(path, manifest)
    const readStored = (entry: ManifestEntry) =>
      Effect.andThen(
        listingOk,
        Effect.suspend(() => {
          const stored = storedOf(entry)
          const e = raw.get(stored.path)
          return e === undefined ? Effect.fail(missing(stored.path)) : readEntry(path, zip, e, stored)
        })
      )
    const readJson = (name: string) =>
      Effect.suspend(() => {
        const entry = byPath.get(name)
        return entry === undefined
          ? Effect.fail(missing(name))
          : readStored(entry).pipe(Effect.flatMap((stored) => opener.plaintextOf(entry, stored)))
      }).pipe(Effect.flatMap(parseJson(name)))

    const spaceNames = manifest.entries.map((e) => e.path).filter((n) => parseSpacePath(n) !== undefined)
    const { spaceOf, asObject } = spaceReader(path, readJson)
    const handle: ArchiveHandle = {
      path,
      manifest,
      entries,
      decryptable: opener.decryptable,
      readBytes,
      plaintextOf: opener.plaintextOf,
      readStored,
      readJson,
      repositories: readJson(REPOSITORIES_PATH).pipe(
        Effect.flatMap((json) => Schema.decodeUnknownEffect(RepositoryIndexV1)(json)),
        Effect.mapError((e) =>
          e._tag === "ArchiveError"
            ? e
            : new ArchiveError({ reason: "Invalid", path, detail: `repositories.json: ${firstLine(e.message)}` })
        )
      ),
      readSpace: (ownerLogin, number) => spaceOf(spaceEntryPath(ownerLogin, number)),
      readSpaceRaw: (ownerLogin, number) => {
        const name = spaceEntryPath(ownerLogin, number)
        return readJson(name).pipe(Effect.flatMap((json) => asObject(name, json)))
      },
      // Checked before the first space, so that an archive listing no spaces is refused all the same.
      spaces: Stream.unwrap(Effect.as(listingOk, Stream.fromIterable(spaceNames).pipe(Stream.mapEffect(spaceOf))))
    }
    return handle
  })
