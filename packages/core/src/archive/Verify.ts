// `verify`: trusts nothing it reads. Zip structure and CRCs, every manifest entry's size and sha256, no entry
// outside the manifest, safe entry names, the schema of every file, and counts that agree with the manifest. An
// intact archive of a partial export is not "ok" either: the report says which owners failed. An encrypted archive
// (format 2) has every stored entry checked against its manifest row without a key; with identities, every entry is
// also decrypted and its plaintext checked like a format-1 entry's. Without them, the report says it did not decrypt.
import { createHash } from "node:crypto"
import { Cause, Effect, Result, Schema } from "effect"
import {
  ArchivedSpaceV1,
  describeFailure,
  ENCRYPTED_SUFFIX,
  MANIFEST_PATH,
  type Manifest,
  type ManifestEntry,
  REPOSITORIES_PATH,
  RepositoryIndexV1,
  storedOf
} from "./ArchiveFormat.ts"
import type { ArchiveError } from "./ArchiveError.ts"
import { type ArchiveHandle, firstLine, openArchive, parseSpacePath } from "./ArchiveReader.ts"
import type { ArchiveSource } from "./ArchiveLocation.ts"

/** An owner the export could not read completely, as the manifest records it. */
export interface FailedOwner {
  readonly login: string
  readonly kind: string
  /** "scope: message", one per failure. */
  readonly failures: ReadonlyArray<string>
}

export interface VerifyReport {
  readonly archive: string
  /** Intact and complete: the archive is what its manifest says, and the export it records read everything. */
  readonly ok: boolean
  /** The archive is what its manifest says (no problems). */
  readonly intact: boolean
  /** The export it records was complete; false for a partial archive, whatever its integrity. */
  readonly complete: boolean
  /** Owners whose listing or spaces failed; empty for a complete archive. */
  readonly failedOwners: ReadonlyArray<FailedOwner>
  readonly formatVersion: number
  /** The content entries are encrypted (archive format 2). */
  readonly encrypted: boolean
  /**
   * Every entry's contents were read as plaintext and checked (digest, JSON, schema): always for a plaintext archive;
   * for an encrypted one only with an identity that opens it. False: only the stored (encrypted) bytes were checked.
   */
  readonly decrypted: boolean
  readonly problems: ReadonlyArray<string>
  readonly counts: { readonly entries: number; readonly spaces: number; readonly owners: number }
}

const parseJson = (bytes: Buffer): Result.Result<unknown, unknown> =>
  Result.try(() => JSON.parse(bytes.toString("utf8")) as unknown)

const why = (cause: Cause.Cause<{ readonly message: string }>) =>
  firstLine(String((Cause.squash(cause) as { message?: unknown }).message ?? cause))

/** What is wrong with an entry's plaintext (JSON, schema, the number its path promises), or undefined. */
const contentProblem = (entry: ManifestEntry, bytes: Buffer, formatVersion: number): string | undefined => {
  const parsed = parseJson(bytes)
  if (Result.isFailure(parsed)) return `entry ${entry.path} is not valid JSON`
  const space = parseSpacePath(entry.path)
  if (entry.path === REPOSITORIES_PATH) {
    const r = Schema.decodeUnknownExit(RepositoryIndexV1)(parsed.success)
    return r._tag === "Failure" ? `repositories.json does not match the format: ${why(r.cause)}` : undefined
  }
  if (space === undefined) return `entry ${entry.path} is not part of archive format ${formatVersion}`
  const r = Schema.decodeUnknownExit(ArchivedSpaceV1)(parsed.success)
  if (r._tag === "Failure") return `${entry.path} does not match the format: ${why(r.cause)}`
  return r.value.number !== space.number ? `${entry.path} holds space number ${r.value.number}` : undefined
}

/** Zip entries the manifest does not list; in an encrypted archive, one stored unencrypted is said so. */
const unlistedProblems = (archive: ArchiveHandle): ReadonlyArray<string> => {
  const listed = new Set(archive.manifest.entries.map((e) => storedOf(e).path))
  const encrypted = archive.manifest.encryption !== undefined
  return [...archive.entries.keys()]
    .filter((name) => name !== MANIFEST_PATH && !listed.has(name))
    .map(
      (name) =>
        `entry ${name} is not listed in the manifest${encrypted && !name.endsWith(ENCRYPTED_SUFFIX) ? ", and is not encrypted" : ""}`
    )
}

/** Said once, instead of once per entry, when identities were given but none opens the archive. */
const NOT_A_RECIPIENT = "none of the given identities is a recipient of this archive: its contents were not decrypted"

/**
 * Checks every manifest entry: its stored bytes (size, sha256), then, when they can be read as plaintext, its
 * contents. An entry whose stored bytes are wrong is one problem, never also a failed decryption.
 */
const checkEntries = (archive: ArchiveHandle, problems: Array<string>) =>
  Effect.gen(function* () {
    const spacesPerOwner = new Map<string, number>()
    let undecryptable = false
    for (const entry of archive.manifest.entries) {
      const stored = storedOf(entry)
      if (!archive.entries.has(stored.path)) {
        problems.push(`entry ${stored.path} is listed in the manifest but missing from the archive`)
        continue
      }
      const space = parseSpacePath(entry.path)
      // Counted before it is read: a damaged or malformed entry is one problem, not also a short count.
      if (space !== undefined) spacesPerOwner.set(space.ownerLogin, (spacesPerOwner.get(space.ownerLogin) ?? 0) + 1)
      const bytes = yield* archive
        .readBytes(stored.path)
        .pipe(Effect.catchTag("ArchiveError", (e) => Effect.sync(() => void problems.push(e.problem))))
      if (bytes === undefined) continue
      if (bytes.length !== stored.size)
        problems.push(`entry ${stored.path} has ${bytes.length} bytes, the manifest says ${stored.size}`)
      else if (createHash("sha256").update(bytes).digest("hex") !== stored.sha256)
        problems.push(`entry ${stored.path} does not match its sha256 in the manifest`)
      else if (archive.decryptable && !undecryptable) {
        const plain = yield* archive.plaintextOf(entry, bytes).pipe(
          Effect.catchTag("ArchiveError", (e) =>
            Effect.sync(() => {
              if (e.reason === "Undecryptable") undecryptable = true
              else problems.push(e.problem)
            })
          )
        )
        const problem = plain === undefined ? undefined : contentProblem(entry, plain, archive.manifest.formatVersion)
        if (problem !== undefined) problems.push(problem)
      }
    }
    if (undecryptable) problems.push(NOT_A_RECIPIENT)
    return { spacesPerOwner, decrypted: archive.decryptable && !undecryptable }
  })

/** Fails with ArchiveError only when the archive cannot be read at all; everything else is a problem in the report. */
export const verifyArchive = (path: ArchiveSource): Effect.Effect<VerifyReport, ArchiveError> =>
  Effect.scoped(
    Effect.gen(function* () {
      const archive = yield* openArchive(path)
      const problems: Array<string> = [...unlistedProblems(archive)]
      const { spacesPerOwner, decrypted } = yield* checkEntries(archive, problems)
      if (!archive.manifest.entries.some((e) => e.path === REPOSITORIES_PATH))
        problems.push("repositories.json is missing")
      for (const owner of archive.manifest.owners) {
        const found = spacesPerOwner.get(owner.login.toLowerCase()) ?? 0
        if (found !== owner.spaces)
          problems.push(`owner ${owner.login}: the manifest says ${owner.spaces} spaces, the archive holds ${found}`)
        spacesPerOwner.delete(owner.login.toLowerCase())
      }
      for (const [login, n] of spacesPerOwner)
        problems.push(`${n} spaces of ${login} belong to no owner in the manifest`)
      const intact = problems.length === 0
      const complete = !archive.manifest.partial
      return {
        archive: archive.path,
        ok: intact && complete,
        intact,
        complete,
        failedOwners: failedOwnersOf(archive.manifest),
        formatVersion: archive.manifest.formatVersion,
        encrypted: archive.manifest.encryption !== undefined,
        decrypted,
        problems,
        counts: {
          entries: archive.manifest.entries.length,
          spaces: archive.manifest.entries.filter((e) => parseSpacePath(e.path) !== undefined).length,
          owners: archive.manifest.owners.length
        }
      }
    })
  )

const failedOwnersOf = (manifest: Manifest): ReadonlyArray<FailedOwner> =>
  manifest.owners
    .filter((o) => o.status === "partial" || o.failures.length > 0)
    .map((o) => ({ login: o.login, kind: o.kind, failures: o.failures.map(describeFailure) }))
