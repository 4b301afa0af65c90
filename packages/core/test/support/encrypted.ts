// Encrypted archives (format 2) for reading tests: a writer option that encrypts to test keys, the identities that
// open them, and an archive rebuilt with one entry's stored bytes replaced (and the manifest made to agree).
import { createHash } from "node:crypto"
import { createWriteStream } from "node:fs"
import { ZipArchive } from "archiver"
import { Effect } from "effect"
import type { WriterOptions } from "../../src/archive/ArchiveWriter.ts"
import { openArchive } from "../../src/archive/ArchiveReader.ts"
import { ArchiveIdentities } from "../../src/crypto/ArchiveIdentities.ts"
import { entryEncrypter } from "../../src/crypto/EntryCipher.ts"
import { parseIdentitiesText } from "../../src/crypto/Identities.ts"
import { recipientSet } from "../../src/crypto/Recipients.ts"
import type { TestKey } from "../crypto/keys.ts"

/** Writer options that encrypt every content entry to `keys`. */
export const encryptingTo = (...keys: ReadonlyArray<TestKey>): Effect.Effect<WriterOptions> =>
  recipientSet(
    keys.map((k) => k.recipient),
    []
  ).pipe(
    Effect.map((set) => ({ encryption: entryEncrypter(set) })),
    Effect.orDie
  )

/** Runs `self` with `keys` as the identities every archive read is decrypted with. */
export const withKeys =
  (...keys: ReadonlyArray<TestKey>) =>
  <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.flatMap(Effect.orDie(Effect.forEach(keys, (k) => parseIdentitiesText(k.secret, "key.txt"))), (identities) =>
      Effect.provideService(self, ArchiveIdentities, identities.flat())
    )

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex")

/**
 * A copy of the encrypted archive at `path` written to `to` with the stored bytes of entry `name` (a `.age` name)
 * replaced by `change(bytes)`, and its manifest row's size and sha256 made to agree: damage that happened before the
 * entry was stored, which only decryption can find. `extra` entries are added as they are, listed nowhere.
 */
export const rewriteEntry = (
  path: string,
  to: string,
  name: string,
  change: (bytes: Buffer) => Buffer,
  extra: ReadonlyArray<readonly [name: string, text: string]> = []
) =>
  Effect.gen(function* () {
    const entries = yield* Effect.scoped(
      Effect.gen(function* () {
        const a = yield* openArchive(path)
        return yield* Effect.forEach([...a.entries.keys()], (n) => Effect.map(a.readBytes(n), (b) => [n, b] as const))
      })
    )
    const files = new Map(entries)
    const changed = change(files.get(name)!)
    files.set(name, changed)
    const manifest = JSON.parse(files.get("manifest.json")!.toString("utf8"))
    for (const row of manifest.entries)
      if (row.path === name) Object.assign(row, { size: changed.length, sha256: sha256(changed) })
    files.set("manifest.json", Buffer.from(JSON.stringify(manifest)))
    yield* Effect.promise(
      () =>
        new Promise<void>((resolve, reject) => {
          const zip = new ZipArchive({})
          const out = createWriteStream(to)
          out.on("close", () => resolve())
          zip.on("error", reject)
          zip.pipe(out)
          for (const [n, bytes] of files) zip.append(bytes, { name: n, store: n !== "manifest.json" })
          for (const [n, text] of extra) zip.append(text, { name: n })
          void zip.finalize()
        })
    )
    return to
  })
