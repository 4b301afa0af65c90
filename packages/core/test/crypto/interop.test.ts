// Interoperability with the real age tool (Debian package `age`; .ci/run installs it). These tests fail, never
// skip, when it is missing: an archive only `spaces-vault` could open would defeat the point of using age.
import { execFile } from "node:child_process"
import { createHash } from "node:crypto"
import { createWriteStream } from "node:fs"
import { readFile, writeFile } from "node:fs/promises"
import { join } from "node:path"
import { gunzipSync, gzipSync } from "node:zlib"
import { assert, describe, it } from "@effect/vitest"
import { ZipArchive } from "archiver"
import { Effect, Stream } from "effect"
import { storedOf } from "../../src/archive/ArchiveFormat.ts"
import { openArchive } from "../../src/archive/ArchiveReader.ts"
import { entryBytes, openArchiveWriter } from "../../src/archive/ArchiveWriter.ts"
import { ArchiveIdentities } from "../../src/crypto/ArchiveIdentities.ts"
import { entryDecrypter, entryEncrypter } from "../../src/crypto/EntryCipher.ts"
import { readIdentityFile } from "../../src/crypto/Identities.ts"
import { generateIdentityFile } from "../../src/crypto/Keygen.ts"
import { readRecipientsFile, recipientFingerprint, recipientSet } from "../../src/crypto/Recipients.ts"
import { archivedSpace } from "../support/archives.ts"
import { bytes, scratch } from "./keys.ts"

interface Ran {
  readonly code: number
  readonly stdout: Buffer
  readonly stderr: string
}

/** Runs an age program; a missing program fails the test with a sentence that says how to install it. */
const tool = (program: "age" | "age-keygen", args: ReadonlyArray<string>) =>
  Effect.callback<Ran, Error>((resume) => {
    execFile(program, args, { encoding: "buffer" }, (error, stdout, stderr) => {
      if (error && (error as NodeJS.ErrnoException).code === "ENOENT") {
        resume(Effect.fail(new Error(`${program} is not installed: apt-get install -y age (.ci/run does)`)))
        return
      }
      const code = error ? Number((error as { code?: unknown }).code ?? 1) : 0
      resume(Effect.succeed({ code, stdout, stderr: stderr.toString() }))
    })
  })

const ok = (program: "age" | "age-keygen", args: ReadonlyArray<string>) =>
  tool(program, args).pipe(
    Effect.tap((r) =>
      Effect.sync(() => assert.strictEqual(r.code, 0, `${program} ${args.join(" ")} failed: ${r.stderr}`))
    ),
    Effect.map((r) => r.stdout)
  )

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex")

/** A fresh age-keygen identity file in `dir` and its recipient. */
const ageKeygen = (dir: string, name: string) =>
  Effect.gen(function* () {
    const file = join(dir, name)
    yield* ok("age-keygen", ["-o", file])
    return { file, recipient: (yield* ok("age-keygen", ["-y", file])).toString().trim() }
  })

/** A space whose entry (`entryBytes`) is exactly `size` bytes, padded in its instructions. */
const spaceOfSize = (number: number, size: number) => {
  const base = archivedSpace("octo-org", number, { general_instructions: "" })
  const pad = size - entryBytes(base).length
  const padded = { ...base, general_instructions: "é".repeat(pad >> 1) + "x".repeat(pad & 1) }
  assert.strictEqual(entryBytes(padded).length, size)
  return padded
}

/** A zip as spaces-vault lays out format 2: a deflated manifest.json, and the given entries stored uncompressed. */
const format2Zip = (path: string, manifest: unknown, stored: ReadonlyArray<[name: string, bytes: Buffer]>) =>
  Effect.promise(
    () =>
      new Promise<void>((resolve, reject) => {
        const zip = new ZipArchive({})
        const out = createWriteStream(path)
        out.on("close", () => resolve())
        zip.on("error", reject)
        zip.pipe(out)
        for (const [name, b] of stored) zip.append(b, { name, store: true })
        zip.append(entryBytes(manifest), { name: "manifest.json" })
        void zip.finalize()
      })
  )

const plaintext = bytes(`${JSON.stringify({ owner: "octo-org", number: 7, instructions: "é ✓ ".repeat(30_000) })}\n`)

describe("interop with the age tool", () => {
  it.effect("age and age-keygen are installed", () =>
    Effect.gen(function* () {
      assert.match((yield* ok("age", ["--version"])).toString(), /^v?1\./)
      yield* ok("age-keygen", ["--version"])
    })
  )

  it.effect("age -d opens what we encrypted to two recipients, with either key (ours and age-keygen's)", () =>
    Effect.gen(function* () {
      const dir = yield* scratch
      const ours = yield* generateIdentityFile(join(dir, "ours.key"))
      yield* ok("age-keygen", ["-o", join(dir, "theirs.key")])
      const theirs = (yield* ok("age-keygen", ["-y", join(dir, "theirs.key")])).toString().trim()
      const recipients = join(dir, "recipients.txt")
      yield* Effect.promise(() => writeFile(recipients, `# online\n${ours.recipient}\n\n# offline\n${theirs}\n`))
      const sealed = yield* entryEncrypter(yield* recipientSet([], [recipients])).encrypt(plaintext)
      yield* Effect.promise(() => writeFile(join(dir, "7.json.gz.age"), sealed))
      for (const key of ["ours.key", "theirs.key"]) {
        const out = yield* ok("age", ["-d", "-i", join(dir, key), join(dir, "7.json.gz.age")])
        assert.isTrue(out.equals(Buffer.from(plaintext)), `age -d -i ${key} gave other bytes`)
      }
    })
  )

  it.effect("we open what age -r and age -a -r encrypted, with an age-keygen identity file", () =>
    Effect.gen(function* () {
      const dir = yield* scratch
      yield* ok("age-keygen", ["-o", join(dir, "k.key")])
      const recipient = (yield* ok("age-keygen", ["-y", join(dir, "k.key")])).toString().trim()
      yield* Effect.promise(() => writeFile(join(dir, "plain.json"), plaintext))
      yield* ok("age", ["-r", recipient, "-o", join(dir, "bin.age"), join(dir, "plain.json")])
      yield* ok("age", ["-a", "-r", recipient, "-o", join(dir, "armored.age"), join(dir, "plain.json")])
      const identities = yield* readIdentityFile(join(dir, "k.key"))
      assert.strictEqual(identities[0]?.recipient, recipient)
      const dec = entryDecrypter(identities)
      for (const name of ["bin.age", "armored.age"]) {
        const sealed = yield* Effect.promise(() => readFile(join(dir, name)))
        assert.deepStrictEqual(yield* dec.decrypt(name, new Uint8Array(sealed)), plaintext)
      }
    })
  )

  it.effect("a recipients file age -R accepts is read by us, and age -R refuses what we refuse", () =>
    Effect.gen(function* () {
      const dir = yield* scratch
      yield* ok("age-keygen", ["-o", join(dir, "k.key")])
      const recipient = (yield* ok("age-keygen", ["-y", join(dir, "k.key")])).toString().trim()
      yield* Effect.promise(() => writeFile(join(dir, "good.txt"), `# team\n\n${recipient}\n`))
      yield* Effect.promise(() => writeFile(join(dir, "bad.txt"), `# team\n${recipient}\nage1typo\n`))
      yield* Effect.promise(() => writeFile(join(dir, "p"), "x"))
      yield* ok("age", ["-R", join(dir, "good.txt"), "-o", join(dir, "x.age"), join(dir, "p")])
      assert.deepStrictEqual(yield* readRecipientsFile(join(dir, "good.txt")), [recipient])
      const theirs = yield* tool("age", ["-R", join(dir, "bad.txt"), "-o", join(dir, "y.age"), join(dir, "p")])
      assert.notStrictEqual(theirs.code, 0)
      assert.match(theirs.stderr, /line 3/)
      const ours = yield* Effect.flip(readRecipientsFile(join(dir, "bad.txt")))
      assert.strictEqual(ours.line, 3)
    })
  )

  it.effect("our keygen's file: age-keygen -y prints its recipient and age -d -i opens what age -r sealed to it", () =>
    Effect.gen(function* () {
      const dir = yield* scratch
      const made = yield* generateIdentityFile(join(dir, "vault.key"))
      const derived = (yield* ok("age-keygen", ["-y", join(dir, "vault.key")])).toString().trim()
      assert.strictEqual(derived, made.recipient)
      yield* Effect.promise(() => writeFile(join(dir, "plain.json"), plaintext))
      yield* ok("age", ["-r", made.recipient, "-o", join(dir, "x.age"), join(dir, "plain.json")])
      const out = yield* ok("age", ["-d", "-i", join(dir, "vault.key"), join(dir, "x.age")])
      assert.isTrue(out.equals(Buffer.from(plaintext)))
    })
  )

  it.effect("age -d opens entries of every size at and around the 64 KiB chunk boundaries, to the same bytes", () =>
    Effect.gen(function* () {
      const dir = yield* scratch
      const key = yield* ageKeygen(dir, "k.key")
      const encrypter = entryEncrypter(yield* recipientSet([key.recipient], []))
      for (const size of [0, 1, 65_535, 65_536, 65_537, 131_072, 200_000]) {
        const plain = bytes("0123456789abcdef".repeat(Math.ceil(size / 16)).slice(0, size))
        const file = join(dir, `${size}.age`)
        const sealed = yield* encrypter.encrypt(plain)
        yield* Effect.promise(() => writeFile(file, sealed))
        const out = yield* ok("age", ["-d", "-i", key.file, file])
        assert.strictEqual(out.length, size)
        assert.isTrue(out.equals(Buffer.from(plain)), `age -d gave other bytes for ${size} bytes`)
      }
    })
  )
})

describe("archive entries and the age tool", () => {
  it.effect(
    "every content entry of an archive we wrote opens with age -d -i to exactly the plaintext the manifest records",
    () =>
      Effect.gen(function* () {
        const dir = yield* scratch
        const theirs = yield* ageKeygen(dir, "theirs.key")
        const ours = yield* generateIdentityFile(join(dir, "ours.key"))
        const set = yield* recipientSet([theirs.recipient, ours.recipient], [])
        const path = join(dir, "archive.zip")
        const spaces = [
          archivedSpace("octo-org", 1, { name: "Runbooks ✓" }),
          spaceOfSize(2, 2 * 65_536),
          spaceOfSize(3, 200_001)
        ]
        yield* Effect.scoped(
          Effect.gen(function* () {
            const w = yield* openArchiveWriter(path, { encryption: entryEncrypter(set) })
            for (const s of spaces) yield* w.addSpace("octo-org", s.number, s)
            yield* w.setRepositories({ "42": { full_name: "octo-org/api", etag: `"r"` } })
            return yield* w.finish({
              toolVersion: "test",
              createdAt: "2026-12-08T02:00:00Z",
              sourceApiUrl: "https://api.github.com",
              partial: false,
              owners: [{ login: "octo-org", kind: "org", status: "complete", spaces: 3, failures: [], vanished: [] }]
            })
          })
        )
        // Read as someone without the key would: raw zip entries, and the manifest's rows.
        const { manifest, stored } = yield* Effect.scoped(
          Effect.gen(function* () {
            const a = yield* openArchive(path)
            const stored = new Map<string, Buffer>()
            for (const e of a.manifest.entries) stored.set(e.path, yield* a.readBytes(storedOf(e).path))
            return { manifest: a.manifest, stored }
          })
        )
        assert.deepStrictEqual(manifest.entries.map((e) => storedOf(e).path).sort(), [
          "repositories.json.gz.age",
          "spaces/octo-org/1.json.gz.age",
          "spaces/octo-org/2.json.gz.age",
          "spaces/octo-org/3.json.gz.age"
        ])
        for (const e of manifest.entries) {
          const sealed = stored.get(e.path)!
          assert.strictEqual(sha256(sealed), storedOf(e).sha256, `${e.path}: stored sha256`)
          const file = join(dir, e.path.replaceAll("/", "_"))
          yield* Effect.promise(() => writeFile(file, sealed))
          for (const key of [theirs.file, ours.file]) {
            // age -d gives the gzipped JSON: `age -d -i KEY NAME.gz.age | gunzip`.
            const out = gunzipSync(yield* ok("age", ["-d", "-i", key, file]))
            assert.strictEqual(out.length, e.size, `${e.path}: plaintext size`)
            assert.strictEqual(sha256(out), e.sha256, `${e.path}: plaintext sha256`)
          }
        }
        // And the plaintext is the format-1 entry's bytes: the JSON written, ETags included.
        const one = gunzipSync(yield* ok("age", ["-d", "-i", theirs.file, join(dir, "spaces_octo-org_1.json")]))
        assert.isTrue(one.equals(entryBytes(spaces[0])))
      })
  )

  it.effect("an entry age -r encrypted, placed in a format-2 archive, is read by spaces-vault with the identity", () =>
    Effect.gen(function* () {
      const dir = yield* scratch
      const key = yield* ageKeygen(dir, "k.key")
      const space = archivedSpace("octo-org", 7, {
        name: "Sealed by age",
        resources_attributes: [
          { id: 9, resource_type: "repository", metadata: { repository_id: 42 }, copilot_chat_attachment_id: null }
        ]
      })
      const repositories = { "42": { full_name: "octo-org/api", etag: `"r"` } }
      const entries: Array<[name: string, plain: Buffer, extra: Record<string, unknown>]> = [
        ["spaces/octo-org/7.json", entryBytes(space), { etags: space.etags, repositoryIds: [42] }],
        ["repositories.json", entryBytes(repositories), {}]
      ]
      const rows: Array<Record<string, unknown>> = []
      const stored: Array<[string, Buffer]> = []
      for (const [name, plain, extra] of entries) {
        const plainFile = join(dir, "plain")
        // As format 2 has it: the JSON gzipped, then sealed by age (here the real tool).
        yield* Effect.promise(() => writeFile(plainFile, gzipSync(plain)))
        yield* ok("age", ["-r", key.recipient, "-o", join(dir, "sealed.age"), plainFile])
        const sealed = yield* Effect.promise(() => readFile(join(dir, "sealed.age")))
        stored.push([`${name}.gz.age`, sealed])
        rows.push({
          path: `${name}.gz.age`,
          size: sealed.length,
          sha256: sha256(sealed),
          plaintext: { size: plain.length, sha256: sha256(plain) },
          ...extra
        })
      }
      const manifest = {
        formatVersion: 2,
        tool: { name: "spaces-vault", version: "test" },
        createdAt: "2026-12-08T02:00:00Z",
        sourceApiUrl: "https://api.github.com",
        partial: false,
        owners: [{ login: "octo-org", kind: "org", status: "complete", spaces: 1, failures: [], vanished: [] }],
        encryption: { scheme: "age-x25519", recipients: recipientFingerprint([key.recipient]) },
        entries: rows
      }
      const path = join(dir, "from-age.zip")
      yield* format2Zip(path, manifest, stored)
      const identities = yield* readIdentityFile(key.file)
      const read = yield* Effect.scoped(
        Effect.gen(function* () {
          const a = yield* openArchive(path)
          return {
            decryptable: a.decryptable,
            json: yield* a.readJson("spaces/octo-org/7.json"),
            spaces: Array.from(yield* Stream.runCollect(a.spaces)),
            repositories: yield* a.repositories
          }
        })
      ).pipe(Effect.provideService(ArchiveIdentities, identities))
      assert.isTrue(read.decryptable)
      assert.deepStrictEqual(read.json, space)
      assert.deepStrictEqual(
        read.spaces.map((s) => [s.ownerLogin, s.number, s.space.name]),
        [["octo-org", 7, "Sealed by age"]]
      )
      assert.deepStrictEqual(read.spaces[0]!.raw, space)
      assert.deepStrictEqual(read.repositories, repositories)
      // Without the identity the same archive lists its rows but refuses contents.
      const refused = yield* Effect.flip(
        Effect.scoped(Effect.flatMap(openArchive(path), (a) => a.readJson("spaces/octo-org/7.json")))
      )
      assert.strictEqual(refused.reason, "Encrypted")
    })
  )

  it.effect("a recipients file with CRLF lines and comments: age -R and spaces-vault encrypt to the same keys", () =>
    Effect.gen(function* () {
      const dir = yield* scratch
      const [a, b] = [yield* ageKeygen(dir, "a.key"), yield* ageKeygen(dir, "b.key")]
      const file = join(dir, "recipients.txt")
      yield* Effect.promise(() => writeFile(file, `# online\r\n${a.recipient}\r\n\r\n# offline\r\n${b.recipient}\r\n`))
      yield* Effect.promise(() => writeFile(join(dir, "p"), plaintext))
      yield* ok("age", ["-R", file, "-o", join(dir, "theirs.age"), join(dir, "p")])
      const set = yield* recipientSet([], [file])
      assert.deepStrictEqual(set.recipients, [a.recipient, b.recipient])
      const sealed = yield* entryEncrypter(set).encrypt(plaintext)
      yield* Effect.promise(() => writeFile(join(dir, "ours.age"), sealed))
      for (const key of [a, b]) {
        const identities = yield* readIdentityFile(key.file)
        const theirs = yield* Effect.promise(() => readFile(join(dir, "theirs.age")))
        assert.deepStrictEqual(
          yield* entryDecrypter(identities).decrypt("theirs.age", new Uint8Array(theirs)),
          plaintext
        )
        const out = yield* ok("age", ["-d", "-i", key.file, join(dir, "ours.age")])
        assert.isTrue(out.equals(Buffer.from(plaintext)))
      }
    })
  )
})
