// What an archive's stored entries hold: the bytes themselves in format 1; in format 2 the entry decrypted with the
// identities the program was given (ArchiveIdentities), gunzipped and checked against the manifest's plaintext digest, each
// failure in one sentence (no identity given, none is a recipient, damaged, or not what the manifest says).
import { gunzipSync } from "node:zlib"
import { Effect } from "effect"
import { ArchiveIdentities } from "../crypto/ArchiveIdentities.ts"
import { entryDecrypter } from "../crypto/EntryCipher.ts"
import { ArchiveError, DAMAGED_ENCRYPTION, NO_IDENTITY } from "./ArchiveError.ts"
import type { Manifest, ManifestEntry } from "./ArchiveFormat.ts"
import { entryChecker } from "./EntryCheck.ts"

/**
 * How an archive's stored entries become plaintext: as they are in format 1; decrypted with the identities the
 * program was given (ArchiveIdentities) in format 2, then gunzipped and checked against the manifest's plaintext digest.
 */
/**
 * The JSON inside a decrypted entry. Bounded by the size the manifest records (one byte more, to tell "larger" from
 * "equal"): a forged entry cannot make the reader inflate gigabytes.
 */
const gunzipped = (path: string, storedName: string, gzipped: Uint8Array, size: number) =>
  Effect.try({
    try: () => gunzipSync(gzipped, { maxOutputLength: size + 1 }),
    catch: () =>
      new ArchiveError({
        reason: "Invalid",
        path,
        detail: `entry ${storedName} decrypts to something that does not gunzip to its ${size} bytes`
      })
  })

export const contentOpener = (path: string, manifest: Manifest) =>
  Effect.gen(function* () {
    const identities = yield* ArchiveIdentities
    const decryptable = manifest.encryption === undefined || identities.length > 0
    const decrypter =
      manifest.encryption === undefined || identities.length === 0 ? undefined : entryDecrypter(identities)
    const plaintextOf = (entry: ManifestEntry, stored: Buffer): Effect.Effect<Buffer, ArchiveError> => {
      if (entry.stored === undefined) return Effect.succeed(stored)
      if (decrypter === undefined)
        return Effect.fail(new ArchiveError({ reason: "Encrypted", path, detail: NO_IDENTITY }))
      const storedName = entry.stored.path
      return decrypter.decrypt(storedName, stored).pipe(
        Effect.mapError((e) =>
          e.reason._tag === "NoMatchingIdentity"
            ? new ArchiveError({
                reason: "Undecryptable",
                path,
                detail: `none of them is a recipient of entry ${storedName}`
              })
            : new ArchiveError({ reason: "Damaged", path, entry: storedName, detail: DAMAGED_ENCRYPTION })
        ),
        Effect.flatMap((gzipped) => gunzipped(path, storedName, gzipped, entry.size)),
        Effect.flatMap((bytes) => {
          const check = entryChecker(entry)
          check.update(bytes)
          const problem = check.problem()
          return problem === undefined
            ? Effect.succeed(bytes)
            : Effect.fail(new ArchiveError({ reason: "Invalid", path, detail: `decrypted ${problem}` }))
        })
      )
    }
    return { decryptable, plaintextOf }
  })
