// decryptArchive: an encrypted archive (format 2) written back as a plaintext one (format 1) with the same manifest
// fields and every entry's plaintext byte for byte (its sha256 the encrypted manifest's plaintext digest), or, on a
// plaintext input, a missing or wrong identity, a tampered entry or a taken path, no file at all.
import { readdir, readFile, writeFile } from "node:fs/promises"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Stream } from "effect"
import { openArchive } from "../../src/archive/ArchiveReader.ts"
import { openArchiveWriter } from "../../src/archive/ArchiveWriter.ts"
import { decryptArchive } from "../../src/archive/Decrypt.ts"
import { verifyArchive } from "../../src/archive/Verify.ts"
import { ArchiveIdentities } from "../../src/crypto/ArchiveIdentities.ts"
import { entryEncrypter } from "../../src/crypto/EntryCipher.ts"
import { parseIdentitiesText } from "../../src/crypto/Identities.ts"
import { recipientSet } from "../../src/crypto/Recipients.ts"
import { newKey, type TestKey } from "../crypto/keys.ts"
import { completeOwner, flipBytes, space, tmp, writeArchive, zipLayout } from "./archives.ts"

/** An encrypted archive of three octo-org spaces (one partial owner beside), of shard 1 of 2, run "night-3". */
const writeEncrypted = (path: string, key: TestKey) =>
  Effect.scoped(
    Effect.gen(function* () {
      const w = yield* openArchiveWriter(path, { encryption: entryEncrypter(yield* recipientSet([key.recipient], [])) })
      for (const n of [1, 2, 3]) yield* w.addSpace("octo-org", n, space(n))
      yield* w.setRepositories({ "42": { full_name: "octo-org/api", etag: `"r"` } })
      return yield* w.finish({
        toolVersion: "0.9.0",
        createdAt: "2026-11-25T02:30:00.000Z",
        sourceApiUrl: "https://api.acme.ghe.com",
        partial: true,
        owners: [
          completeOwner("octo-org", 3),
          {
            login: "mona",
            kind: "user",
            status: "partial",
            spaces: 0,
            failures: [{ scope: "list", status: 403, message: "forbidden" }],
            vanished: []
          }
        ],
        shard: { index: 1, count: 2 },
        runId: "night-3"
      })
    })
  )

const identitiesOf = (key: TestKey) => parseIdentitiesText(key.secret, "key.txt")
const withKey =
  (key: TestKey) =>
  <A, E, R>(self: Effect.Effect<A, E, R>) =>
    Effect.flatMap(identitiesOf(key), (ids) => Effect.provideService(self, ArchiveIdentities, ids))

const manifestOf = (path: string, key?: TestKey) =>
  Effect.scoped(Effect.map(openArchive(path), (a) => a.manifest)).pipe(key === undefined ? (e) => e : withKey(key))

const ls = (dir: string) => Effect.promise(() => readdir(dir))

describe("decryptArchive", () => {
  it.effect("writes format 1 with the same manifest fields and each entry's plaintext, and it verifies", () =>
    Effect.gen(function* () {
      const dir = yield* tmp
      const key = yield* newKey
      const encrypted = yield* writeEncrypted(join(dir, "encrypted.zip"), key)
      const out = join(dir, "plain.zip")
      const summary = yield* decryptArchive(encrypted, out).pipe(withKey(key))
      assert.deepStrictEqual(summary, { archive: encrypted, out, spaces: 3, entries: 4, toolVersion: "0.9.0" })

      const before = yield* manifestOf(encrypted)
      const after = yield* manifestOf(out)
      assert.strictEqual(after.formatVersion, 1)
      assert.isUndefined(after.encryption)
      const { formatVersion: _v1, encryption: _e, entries: beforeEntries, ...beforeFields } = before
      const { formatVersion: _v2, entries: afterEntries, ...afterFields } = after
      assert.deepStrictEqual(afterFields, beforeFields)
      assert.deepStrictEqual(
        afterEntries,
        beforeEntries.map((e) => ({ path: e.path, size: e.size, sha256: e.sha256 }))
      )
      const report = yield* verifyArchive(out)
      assert.isTrue(report.intact, report.problems.join("; "))
      // Fields newer than the format survive, as they do in a plaintext export.
      const spaces = yield* Effect.scoped(Effect.flatMap(openArchive(out), (a) => Stream.runCollect(a.spaces))).pipe(
        Effect.map((s) => Array.from(s))
      )
      assert.deepStrictEqual(
        spaces.map((s) => s.raw),
        [1, 2, 3].map((n) => space(n))
      )
    })
  )

  it.effect("refuses a plaintext archive, and an encrypted one without identity, before writing anything", () =>
    Effect.gen(function* () {
      const dir = yield* tmp
      const key = yield* newKey
      const plain = yield* writeArchive(join(dir, "plain.zip"))
      const notEncrypted = yield* Effect.flip(decryptArchive(plain, join(dir, "a.zip")).pipe(withKey(key)))
      assert.strictEqual(notEncrypted._tag, "NotEncryptedError")
      assert.strictEqual(
        notEncrypted.message,
        `archive ${plain} is not encrypted: it is archive format 1, already plaintext`
      )
      const encrypted = yield* writeEncrypted(join(dir, "encrypted.zip"), key)
      const noIdentity = yield* Effect.flip(decryptArchive(encrypted, join(dir, "b.zip")))
      assert.strictEqual(noIdentity._tag === "ArchiveError" && noIdentity.reason, "Encrypted")
      assert.deepStrictEqual((yield* ls(dir)).sort(), ["encrypted.zip", "plain.zip"])
    })
  )

  it.effect("a wrong identity, a tampered entry or a taken path fails and leaves no new file", () =>
    Effect.gen(function* () {
      const dir = yield* tmp
      const [key, other] = [yield* newKey, yield* newKey]
      const encrypted = yield* writeEncrypted(join(dir, "encrypted.zip"), key)
      const wrong = yield* Effect.flip(decryptArchive(encrypted, join(dir, "w.zip")).pipe(withKey(other)))
      assert.strictEqual(wrong._tag === "ArchiveError" && wrong.reason, "Undecryptable")

      // The last space's ciphertext, one byte in its payload (past the age header) inverted.
      const layout = zipLayout(yield* Effect.promise(() => readFile(encrypted)))
      const entry = layout.entries.find((e) => e.name === "spaces/octo-org/3.json.gz.age")!
      const tampered = yield* flipBytes(encrypted, join(dir, "tampered.zip"), [entry.data + entry.compressedSize - 20])
      const damaged = yield* Effect.flip(decryptArchive(tampered, join(dir, "t.zip")).pipe(withKey(key)))
      assert.strictEqual(damaged._tag === "ArchiveError" && damaged.reason, "Damaged")

      const taken = join(dir, "taken.zip")
      yield* Effect.promise(() => writeFile(taken, "mine"))
      const refused = yield* Effect.flip(decryptArchive(encrypted, taken).pipe(withKey(key)))
      assert.strictEqual(refused._tag === "ArchiveError" && refused.reason, "WriteFailed")
      assert.strictEqual(yield* Effect.promise(() => readFile(taken, "utf8")), "mine")
      // Nothing besides the inputs, not even a temporary file.
      assert.deepStrictEqual((yield* ls(dir)).sort(), ["encrypted.zip", "taken.zip", "tampered.zip"])
    })
  )
})
