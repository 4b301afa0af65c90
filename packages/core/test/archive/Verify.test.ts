// verify: trusts nothing it reads. What cannot be read at all fails with an ArchiveError (missing, not a zip,
// damaged table of contents, unsafe names, newer format); everything else is a problem in the report.
import { readFile } from "node:fs/promises"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { verifyArchive } from "../../src/archive/Verify.ts"
import {
  completeOwner,
  flipBytes,
  manifest,
  rawZip,
  readBytes,
  space,
  tmp,
  writeArchive,
  writeBytes,
  zipLayout
} from "./archives.ts"
import { writeOwnersArchive } from "../support/archives.ts"
import { encryptingTo, rewriteEntry, withKeys } from "../support/encrypted.ts"
import { newKey } from "../crypto/keys.ts"

const verifyError = (path: string) => Effect.flip(verifyArchive(path))
const notFound = { scope: "list", status: 404, message: "GET /orgs/octo-orgg/copilot-spaces was not found" }

describe("verify", () => {
  it.effect("reports a missing file and a file that is not a zip as unreadable", () =>
    Effect.gen(function* () {
      const dir = yield* tmp
      assert.strictEqual((yield* verifyError(join(dir, "nope.zip"))).reason, "NotFound")
      yield* writeBytes(join(dir, "text.zip"), "hello")
      const notZip = yield* verifyError(join(dir, "text.zip"))
      assert.strictEqual(notZip.reason, "Unreadable")
      assert.strictEqual(
        notZip.message,
        `archive ${join(dir, "text.zip")} is not a readable zip file: it does not begin like a zip file`
      )
      yield* writeBytes(join(dir, "empty.zip"), "")
      assert.strictEqual(
        (yield* verifyError(join(dir, "empty.zip"))).message,
        `archive ${join(dir, "empty.zip")} is not a readable zip file: the file is empty`
      )
    })
  )

  it.effect("calls a truncated archive damaged: its table of contents cannot be read", () =>
    Effect.gen(function* () {
      const dir = yield* tmp
      const path = yield* writeArchive(join(dir, "a.zip"))
      const bytes = yield* readBytes(path)
      for (const share of [0.3, 0.6, 0.99]) {
        const cut = join(dir, `cut-${share}.zip`)
        yield* writeBytes(cut, bytes.subarray(0, Math.floor(bytes.length * share)))
        const error = yield* verifyError(cut)
        assert.strictEqual(error.reason, "Damaged")
        assert.strictEqual(
          error.message,
          `archive ${cut} is damaged: its table of contents (zip central directory) cannot be read; use the previous archive instead`
        )
      }
    })
  )

  it.effect("calls an archive with flipped bytes in its central directory damaged, never 'strong encryption'", () =>
    Effect.gen(function* () {
      const dir = yield* tmp
      const path = yield* writeArchive(join(dir, "a.zip"))
      const { centralDirectory } = zipLayout(yield* readBytes(path))
      // The first record's signature, then its flags (bit 6 read as "strong encryption is not supported" before).
      for (const [name, offset] of [
        ["signature", centralDirectory],
        ["flags", centralDirectory + 8]
      ] as const) {
        const flipped = yield* flipBytes(path, join(dir, `${name}.zip`), [offset])
        const error = yield* verifyError(flipped)
        assert.strictEqual(error.reason, "Damaged")
        assert.strictEqual(
          error.message,
          `archive ${flipped} is damaged: its table of contents (zip central directory) cannot be read; use the previous archive instead`
        )
      }
    })
  )

  it.effect("lists an entry whose compressed data was changed as damaged, in words, and checks the others", () =>
    Effect.gen(function* () {
      const dir = yield* tmp
      const path = yield* writeArchive(join(dir, "a.zip"))
      const entry = zipLayout(yield* readBytes(path)).entries.find((e) => e.name === "spaces/octo-org/2.json")!
      const flipped = yield* flipBytes(path, join(dir, "flipped.zip"), [entry.data + 2, entry.data + 3])
      const report = yield* verifyArchive(flipped)
      assert.isFalse(report.ok)
      assert.deepStrictEqual(report.problems, [
        "entry spaces/octo-org/2.json is damaged: its compressed data is corrupt"
      ])
      assert.deepStrictEqual(report.counts, { entries: 4, spaces: 3, owners: 1 })
    })
  )

  it.effect("fails an archive with a flipped byte inside an entry", () =>
    Effect.gen(function* () {
      const dir = yield* tmp
      const path = yield* writeArchive(join(dir, "a.zip"), 1)
      const flipped = yield* flipBytes(path, join(dir, "flipped.zip"), [60]) // inside the first entry's compressed data
      // Either the zip layer (CRC, inflate) or the sha256 check must catch it; it must never pass.
      const report = yield* verifyArchive(flipped).pipe(
        Effect.catchTag("ArchiveError", (e) => Effect.succeed({ ok: false, problems: [e.message] }))
      )
      assert.isFalse(report.ok)
      assert.isAbove(report.problems.length, 0)
      assert.notMatch(report.problems.join("\n"), /invalid|literal|lengths set|CRC/)
    })
  )

  it.effect("finds sha256 mismatches, missing and extra entries, and invalid spaces", () =>
    Effect.gen(function* () {
      const dir = yield* tmp
      const good = JSON.stringify(space(1))
      const repos = "{}"
      const path = join(dir, "bad.zip")
      const listed = [
        { path: "spaces/octo-org/1.json", text: good },
        { path: "spaces/octo-org/2.json", text: JSON.stringify({ number: 2 }) },
        { path: "spaces/octo-org/3.json", text: good },
        { path: "repositories.json", text: repos }
      ]
      yield* rawZip(path, [
        ["manifest.json", manifest(listed)],
        ["spaces/octo-org/1.json", good.replace("be nice", "be mean")],
        ["spaces/octo-org/2.json", JSON.stringify({ number: 2 })],
        ["repositories.json", repos],
        ["extra.json", "{}"]
      ])
      const report = yield* verifyArchive(path)
      assert.isFalse(report.ok)
      assert.include(report.problems, "entry extra.json is not listed in the manifest")
      assert.isTrue(
        report.problems.some((p) => /spaces\/octo-org\/1.json (has \d+ bytes|does not match its sha256)/.test(p))
      )
      assert.isTrue(report.problems.some((p) => /spaces\/octo-org\/2.json does not match the format/.test(p)))
      assert.include(
        report.problems,
        "entry spaces/octo-org/3.json is listed in the manifest but missing from the archive"
      )
    })
  )

  it.effect("rejects path-traversal and absolute entry names", () =>
    Effect.gen(function* () {
      const dir = yield* tmp
      for (const name of ["../evil.json", "/abs.json", "spaces/..\\x.json"]) {
        // archiver normalizes names, so write a same-length placeholder and patch the bytes of both headers.
        const path = join(dir, "t.zip")
        const placeholder = "p".repeat(name.length)
        yield* rawZip(path, [
          ["manifest.json", manifest([])],
          [placeholder, "{}"]
        ])
        const bytes = yield* Effect.promise(() => readFile(path))
        yield* writeBytes(path, Buffer.from(bytes.toString("latin1").split(placeholder).join(name), "latin1"))
        const error = yield* verifyError(path)
        assert.strictEqual(error.reason, "Invalid")
        assert.match(error.message, /unsafe entry name|absolute path|'\.\.' segment|backslash/)
        assert.include(error.message, name.startsWith("/") ? "/abs.json" : "..")
      }
    })
  )

  it.effect("refuses a newer format version with a clear message", () =>
    Effect.gen(function* () {
      const path = join(yield* tmp, "v3.zip")
      yield* rawZip(path, [["manifest.json", JSON.stringify({ formatVersion: 3 })]])
      const error = yield* verifyError(path)
      assert.strictEqual(error.reason, "UnsupportedVersion")
      assert.match(error.message, /archive format 3, newer than this spaces-vault supports \(2\); upgrade spaces-vault/)
    })
  )

  it.effect("fails when the manifest's owner counts disagree with the entries", () =>
    Effect.gen(function* () {
      const path = yield* writeArchive(join(yield* tmp, "a.zip"), 2, [completeOwner("octo-org", 5)])
      const report = yield* verifyArchive(path)
      assert.deepStrictEqual(report.problems, ["owner octo-org: the manifest says 5 spaces, the archive holds 2"])
    })
  )
})

describe("verify of a partial export", () => {
  it.effect("a complete, intact archive is ok", () =>
    Effect.gen(function* () {
      const path = join(yield* tmp, "a.zip")
      yield* writeOwnersArchive(path, "2026-11-25T02:30:00Z", [{ login: "octo-org", spaces: [1, 2] }])
      const report = yield* verifyArchive(path)
      assert.deepStrictEqual(
        [report.ok, report.intact, report.complete, report.failedOwners, report.problems],
        [true, true, true, [], []]
      )
    })
  )

  it.effect("an empty partial archive is intact but not ok, and names the owner that failed and why", () =>
    Effect.gen(function* () {
      const path = join(yield* tmp, "a.zip")
      yield* writeOwnersArchive(path, "2026-11-25T02:30:00Z", [
        { login: "octo-orgg", spaces: [], failures: [notFound] }
      ])
      const report = yield* verifyArchive(path)
      assert.deepStrictEqual([report.ok, report.intact, report.complete], [false, true, false])
      assert.deepStrictEqual(report.failedOwners, [
        { login: "octo-orgg", kind: "org", failures: [`list: ${notFound.message}`] }
      ])
      assert.deepStrictEqual(report.problems, [])
    })
  )

  it.effect("a partial archive lists only the owners that failed", () =>
    Effect.gen(function* () {
      const path = join(yield* tmp, "a.zip")
      yield* writeOwnersArchive(path, "2026-11-25T02:30:00Z", [
        { login: "octo-org", spaces: [1] },
        { login: "mona", kind: "user", spaces: [3], failures: [{ scope: "space 4", status: 500, message: "boom" }] }
      ])
      const report = yield* verifyArchive(path)
      assert.isFalse(report.ok)
      assert.deepStrictEqual(
        report.failedOwners.map((o) => [o.login, o.kind, o.failures]),
        [["mona", "user", ["space 4: boom"]]]
      )
    })
  )
})

describe("verify, encrypted archives (format 2)", () => {
  const encrypted = Effect.gen(function* () {
    const [key, stranger] = [yield* newKey, yield* newKey]
    const dir = yield* tmp
    const path = yield* writeArchive(join(dir, "a.zip"), 3, undefined, undefined, yield* encryptingTo(key))
    return { key, stranger, dir, path }
  })
  const SPACE = "spaces/octo-org/2.json.gz.age"

  it.effect("without an identity: checks every stored entry, and says it did not decrypt", () =>
    Effect.gen(function* () {
      const { path } = yield* encrypted
      const report = yield* verifyArchive(path)
      assert.deepStrictEqual(report.problems, [])
      assert.isTrue(report.ok)
      assert.strictEqual(report.formatVersion, 2)
      assert.isTrue(report.encrypted)
      assert.isFalse(report.decrypted)
      assert.deepStrictEqual(report.counts, { entries: 4, spaces: 3, owners: 1 })
    })
  )

  it.effect("with an identity: decrypts and checks every entry; a plaintext archive counts as decrypted", () =>
    Effect.gen(function* () {
      const { key, path, dir } = yield* encrypted
      const report = yield* withKeys(key)(verifyArchive(path))
      assert.isTrue(report.ok)
      assert.isTrue(report.decrypted)
      const plain = yield* verifyArchive(yield* writeArchive(join(dir, "plain.zip")))
      assert.deepStrictEqual([plain.encrypted, plain.decrypted, plain.formatVersion], [false, true, 1])
    })
  )

  it.effect("a wrong identity is one problem, not one per entry", () =>
    Effect.gen(function* () {
      const { stranger, path } = yield* encrypted
      const report = yield* withKeys(stranger)(verifyArchive(path))
      assert.isFalse(report.ok)
      assert.isFalse(report.decrypted)
      assert.deepStrictEqual(report.problems, [
        "none of the given identities is a recipient of this archive: its contents were not decrypted"
      ])
    })
  )

  it.effect("a stored entry changed on disk is one problem, with or without an identity", () =>
    Effect.gen(function* () {
      const { key, dir, path } = yield* encrypted
      const bytes = yield* readBytes(path)
      const entry = zipLayout(bytes).entries.find((e) => e.name === SPACE)!
      const flipped = yield* flipBytes(path, join(dir, "flipped.zip"), [entry.data + entry.compressedSize - 3])
      const damaged = [`entry ${SPACE} is damaged: its compressed data is corrupt`]
      assert.deepStrictEqual((yield* verifyArchive(flipped)).problems, damaged)
      assert.deepStrictEqual((yield* withKeys(key)(verifyArchive(flipped))).problems, damaged)
    })
  )

  it.effect("an entry truncated or altered before it was stored: only decryption finds it, one sentence", () =>
    Effect.gen(function* () {
      const { key, dir, path } = yield* encrypted
      const cut = yield* rewriteEntry(path, join(dir, "cut.zip"), SPACE, (b) => b.subarray(0, b.length - 20))
      const altered = yield* rewriteEntry(path, join(dir, "altered.zip"), SPACE, (b) => {
        const c = Buffer.from(b)
        c[c.length - 5] = c[c.length - 5]! ^ 1
        return c
      })
      for (const archive of [cut, altered]) {
        // Its stored bytes match the manifest: without the key it looks whole.
        assert.isTrue((yield* verifyArchive(archive)).ok)
        const report = yield* withKeys(key)(verifyArchive(archive))
        assert.isFalse(report.ok)
        assert.deepStrictEqual(report.problems, [
          `entry ${SPACE} is damaged: its encryption does not authenticate (it was truncated or altered when it was written)`
        ])
      }
    })
  )

  it.effect("an unlisted entry stored unencrypted beside the encrypted ones is said to be unencrypted", () =>
    Effect.gen(function* () {
      const { dir, path } = yield* encrypted
      const withPlain = yield* rewriteEntry(path, join(dir, "with-plain.zip"), SPACE, (b) => b, [
        ["spaces/octo-org/9.json", "{}"]
      ])
      const report = yield* verifyArchive(withPlain)
      assert.deepStrictEqual(report.problems, [
        "entry spaces/octo-org/9.json is not listed in the manifest, and is not encrypted"
      ])
    })
  )
})
