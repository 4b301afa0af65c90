// Turns an encrypted archive (format 2) back into a plaintext one (format 1), so nobody is locked in: the same
// manifest fields, every entry's plaintext exactly as the encrypted archive's digests name it, written atomically
// (0600) at a path that must not exist. A wrong identity or a damaged entry fails, and the scope removes the file.
import { createHash } from "node:crypto"
import { Effect, Schema } from "effect"
import { REPOSITORIES_PATH, type ManifestEntry, type RepositoryIndex } from "./ArchiveFormat.ts"
import { ArchiveError, NO_IDENTITY } from "./ArchiveError.ts"
import { type ArchiveSource, sourceText } from "./ArchiveLocation.ts"
import { type ArchiveHandle, openArchive, parseSpacePath } from "./ArchiveReader.ts"
import { entryBytes, openArchiveWriter } from "./ArchiveWriter.ts"

/** The archive given is already plaintext (format 1): there is nothing to decrypt. */
export class NotEncryptedError extends Schema.TaggedError<NotEncryptedError>()("NotEncryptedError", {
  path: Schema.String
}) {
  override get message(): string {
    return `archive ${this.path} is not encrypted: it is archive format 1, already plaintext`
  }
}

export interface DecryptSummary {
  /** The encrypted archive, as messages name it. */
  readonly archive: string
  /** The plaintext archive written. */
  readonly out: string
  readonly spaces: number
  /** Entries written besides the manifest: the spaces and repositories.json (always written, as export does). */
  readonly entries: number
  /** The version of spaces-vault that wrote the encrypted archive, kept in the plaintext one's manifest. */
  readonly toolVersion: string
}

const sha256Hex = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex")

/**
 * The value of one entry, decrypted and checked by the reader, and checked once more to serialize back to the very
 * bytes the manifest's plaintext digest names: the plaintext archive must hold what the encrypted one did.
 */
const plaintextValue = (archive: ArchiveHandle, entry: ManifestEntry) =>
  Effect.gen(function* () {
    const space = parseSpacePath(entry.path)
    const value: unknown =
      space !== undefined
        ? (yield* archive.readSpace(space.ownerLogin, space.number)).raw
        : entry.path === REPOSITORIES_PATH
          ? yield* archive.readJson(entry.path)
          : yield* new ArchiveError({
              reason: "Invalid",
              path: archive.path,
              detail: `entry ${entry.path} is not part of the archive format`
            })
    if (sha256Hex(entryBytes(value)) !== entry.sha256)
      return yield* new ArchiveError({
        reason: "Invalid",
        path: archive.path,
        detail: `entry ${entry.path} does not serialize back to the bytes its plaintext sha256 names`
      })
    return { space, value }
  })

/**
 * Writes the plaintext (format 1) archive of the encrypted archive `source` at `outPath`, with the identities of
 * ArchiveIdentities. Entries are read, decrypted and written one at a time (never the whole archive in memory).
 */
export const decryptArchive = (source: ArchiveSource, outPath: string) =>
  Effect.scoped(
    Effect.gen(function* () {
      const archive = yield* openArchive(source)
      const manifest = archive.manifest
      if (manifest.encryption === undefined) return yield* new NotEncryptedError({ path: sourceText(source) })
      // Refused before a file is begun, in the words of any read of its contents.
      if (!archive.decryptable)
        return yield* new ArchiveError({ reason: "Encrypted", path: archive.path, detail: NO_IDENTITY })
      const writer = yield* openArchiveWriter(outPath)
      let spaces = 0
      for (const entry of manifest.entries) {
        const { space, value } = yield* plaintextValue(archive, entry)
        if (space !== undefined) {
          yield* writer.addSpace(space.ownerLogin, space.number, value as Record<string, unknown>)
          spaces++
        } else yield* writer.setRepositories(value as RepositoryIndex)
      }
      const out = yield* writer.finish({
        toolVersion: manifest.tool.version,
        createdAt: manifest.createdAt,
        sourceApiUrl: manifest.sourceApiUrl,
        partial: manifest.partial,
        owners: manifest.owners,
        shard: manifest.shard,
        runId: manifest.runId
      })
      return {
        archive: archive.path,
        out,
        spaces,
        entries: spaces + 1,
        toolVersion: manifest.tool.version
      } satisfies DecryptSummary
    })
  )
