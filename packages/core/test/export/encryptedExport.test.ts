// Encrypted exports (archive format 2) against fakehub: what is stored and what stays readable without the key,
// conditional requests with only the public keys (304s copy encrypted entries byte for byte), a change of
// recipients forcing one full fetch, and the real `age` tool opening the entries spaces-vault wrote.
import { execFile } from "node:child_process"
import { mkdtemp, readFile, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { gunzipSync } from "node:zlib"
import { startFakeHub, type FakeHub } from "@spaces-vault/fixtures"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Stream } from "effect"
import { checkAndClose } from "../support/hub.ts"
import { newKey, type TestKey } from "../crypto/keys.ts"
import { openArchive } from "../../src/archive/ArchiveReader.ts"
import { ArchiveIdentities } from "../../src/crypto/ArchiveIdentities.ts"
import { parseIdentitiesText } from "../../src/crypto/Identities.ts"
import { recipientSet } from "../../src/crypto/Recipients.ts"
import { org, user, type Owner } from "../../src/domain/Owner.ts"
import { exportSpaces } from "../../src/export/ExportSpaces.ts"
import { GitHubClient } from "../../src/github/GitHubClient.ts"
import { testClientOptions } from "../github/testClientOptions.ts"

const demoHub = Effect.acquireRelease(
  Effect.promise(() => startFakeHub({ seed: "demo" })),
  (h) => Effect.promise(() => checkAndClose(h))
)
const tmpDir = Effect.promise(() => mkdtemp(join(tmpdir(), "sv-encrypted-")))
const owners: ReadonlyArray<Owner> = [org("octo-org"), org("octo-archive"), user("mona")]

const runExport = (h: FakeHub, outDir: string, to: ReadonlyArray<TestKey> | undefined, warnings: Array<string> = []) =>
  Effect.gen(function* () {
    const encryptTo =
      to === undefined
        ? undefined
        : yield* recipientSet(
            to.map((k) => k.recipient),
            []
          )
    return yield* exportSpaces({
      owners,
      outDir,
      concurrency: 8,
      encryptTo,
      onWarning: (w) => Effect.sync(() => void warnings.push(w))
    })
  }).pipe(
    Effect.provide(GitHubClient.layer(testClientOptions({ hub: { url: h.url, token: h.token }, concurrency: 8 })))
  )

/** Every space and the repository index, read with the given keys (none: as a reader without identity). */
const readAll = (path: string, keys: ReadonlyArray<TestKey>) =>
  Effect.gen(function* () {
    const identities = (yield* Effect.forEach(keys, (k) => parseIdentitiesText(k.secret, "key.txt"))).flat()
    return yield* Effect.scoped(
      Effect.gen(function* () {
        const a = yield* openArchive(path)
        const spaces = Array.from(yield* Stream.runCollect(a.spaces)).map((s) => s.raw)
        return { manifest: a.manifest, spaces, repositories: yield* a.repositories }
      })
    ).pipe(Effect.provideService(ArchiveIdentities, identities))
  })

const storedEntries = (path: string) =>
  Effect.scoped(
    Effect.gen(function* () {
      const a = yield* openArchive(path)
      const out = new Map<string, Buffer>()
      for (const e of a.manifest.entries) out.set(e.path, yield* a.readStored(e))
      return { manifest: a.manifest, stored: out, zipNames: [...a.entries.keys()] }
    })
  )

const age = (args: ReadonlyArray<string>, input?: Buffer) =>
  Effect.callback<Buffer, Error>((resume) => {
    const child = execFile("age", args, { encoding: "buffer" }, (error, stdout, stderr) => {
      if (error && (error as NodeJS.ErrnoException).code === "ENOENT")
        resume(Effect.fail(new Error("age is not installed: apt-get install -y age (.ci/run does)")))
      else if (error) resume(Effect.fail(new Error(`age ${args.join(" ")} failed: ${stderr.toString()}`)))
      else resume(Effect.succeed(stdout))
    })
    child.stdin?.end(input)
  })

describe("encrypted export (archive format 2)", () => {
  it.live("stores each content entry as an age file and keeps the manifest free of content", () =>
    Effect.gen(function* () {
      const hub = yield* demoHub
      const [key, offline] = [yield* newKey, yield* newKey]
      const plainDir = yield* tmpDir
      const dir = yield* tmpDir
      const plain = yield* runExport(hub, plainDir, undefined)
      const result = yield* runExport(hub, dir, [key, offline])
      const { manifest, stored, zipNames } = yield* storedEntries(result.archive)
      assert.strictEqual(manifest.formatVersion, 2)
      assert.strictEqual(
        manifest.encryption?.recipients,
        (yield* recipientSet([key.recipient, offline.recipient], [])).fingerprint
      )
      // Every entry but the manifest is stored gzipped and encrypted under its name + .gz.age.
      assert.deepStrictEqual(
        zipNames.filter((n) => n !== "manifest.json").sort(),
        manifest.entries.map((e) => `${e.path}.gz.age`).sort()
      )
      for (const e of manifest.entries) assert.strictEqual(e.stored?.path, `${e.path}.gz.age`)
      // The manifest names no space, instruction or repository: only paths, sizes, digests, ETags and ids.
      const manifestText = yield* Effect.scoped(
        Effect.flatMap(openArchive(result.archive), (a) => a.readBytes("manifest.json"))
      ).pipe(Effect.map((b) => b.toString("utf8")))
      const plainArchive = yield* readAll(plain.archive, [])
      for (const space of plainArchive.spaces) {
        assert.notInclude(manifestText, JSON.stringify(space.name))
        assert.notInclude(manifestText, JSON.stringify(space.general_instructions))
      }
      for (const r of Object.values(plainArchive.repositories))
        if (r.full_name !== null) assert.notInclude(manifestText, r.full_name)
      // The plaintext digests are those of the plaintext archive's identical entries: changes show without a key.
      const plainDigests = new Map(plainArchive.manifest.entries.map((e) => [e.path, e.sha256]))
      for (const e of manifest.entries) assert.strictEqual(e.sha256, plainDigests.get(e.path), e.path)
      // Either key opens everything, and what it opens is the plaintext export's content.
      for (const k of [key, offline]) {
        const opened = yield* readAll(result.archive, [k])
        assert.deepStrictEqual(opened.spaces, plainArchive.spaces)
        assert.deepStrictEqual(opened.repositories, plainArchive.repositories)
      }
      // The real age tool opens an entry spaces-vault wrote.
      const keyFile = join(dir, "key.txt")
      yield* Effect.promise(() => writeFile(keyFile, `${key.secret}\n`, { mode: 0o600 }))
      const entry = manifest.entries.find((e) => e.path.startsWith("spaces/"))!
      const decrypted = gunzipSync(yield* age(["-d", "-i", keyFile], stored.get(entry.path)))
      assert.deepStrictEqual(JSON.parse(decrypted.toString("utf8")), plainArchive.spaces[0])
    }).pipe(Effect.scoped)
  )

  it.live("refuses to read contents without an identity, or with one that is not a recipient", () =>
    Effect.gen(function* () {
      const hub = yield* demoHub
      const [key, stranger] = [yield* newKey, yield* newKey]
      const result = yield* runExport(hub, yield* tmpDir, [key])
      const without = yield* Effect.flip(readAll(result.archive, []))
      assert.strictEqual(without.reason, "Encrypted")
      assert.include(without.message, "is encrypted and no identity was given")
      const wrong = yield* Effect.flip(readAll(result.archive, [stranger]))
      assert.strictEqual(wrong.reason, "Undecryptable")
      assert.match(wrong.message, /none of them is a recipient of entry \S+\.age/)
      assert.notInclude(wrong.message, stranger.secret)
    }).pipe(Effect.scoped)
  )

  it.live("copies unchanged spaces' encrypted entries byte for byte and fetches a half-changed space again", () =>
    Effect.gen(function* () {
      const hub = yield* demoHub
      const key = yield* newKey
      const dir = yield* tmpDir
      const first = yield* runExport(hub, dir, [key])
      hub.state.updateSpace("octo-org", 7, { name: "changed overnight" })
      // Only the collaborator list of octo-org/3 changes: its GET still answers 304, so it is fetched again in full.
      const collaborator = hub.state.requireSpace("octo-org", 3).collaborators[0]!
      const oldRole = collaborator.role
      collaborator.role = oldRole === "admin" ? "reader" : "admin"
      const second = yield* runExport(hub, dir, [key])
      assert.notStrictEqual(second.archive, first.archive)
      const a = yield* storedEntries(first.archive)
      const b = yield* storedEntries(second.archive)
      const changed = new Set(["spaces/octo-org/7.json", "spaces/octo-org/3.json", "repositories.json"])
      for (const [path, bytes] of b.stored) {
        if (changed.has(path)) continue
        assert.isTrue(bytes.equals(a.stored.get(path)!), `${path} was copied byte for byte`)
      }
      // repositories.json is encrypted anew (fresh file key) but holds the same index; each repository was looked
      // up again, since its name in the earlier archive is encrypted.
      const opened = yield* readAll(second.archive, [key])
      const earlier = yield* readAll(first.archive, [key])
      assert.deepStrictEqual(opened.repositories, earlier.repositories)
      const space7 = opened.spaces.find((s) => s.number === 7 && (s.owner as { login: string }).login === "octo-org")!
      assert.strictEqual(space7.name, "changed overnight")
      const space3 = opened.spaces.find((s) => s.number === 3 && (s.owner as { login: string }).login === "octo-org")!
      assert.strictEqual((space3.collaborators as Array<{ role: string }>)[0]!.role, collaborator.role)
      // Per space two conditional requests, 304 for both halves of the unchanged ones; each half-changed space asks
      // its unchanged half again without an ETag; every repository is looked up again (unconditionally).
      const spaces = b.manifest.entries.filter((e) => e.path.startsWith("spaces/")).length
      const repositories = Object.keys(opened.repositories).length
      const listPages = 3 + 1 + 1
      assert.strictEqual(second.requests, listPages + 2 * spaces + 2 + repositories)
      assert.strictEqual(second.notModified, 2 * spaces - 2)
    }).pipe(Effect.scoped)
  )

  it.live("fetches every space in full once when the recipient set changes, and says why", () =>
    Effect.gen(function* () {
      const hub = yield* demoHub
      const [key, added] = [yield* newKey, yield* newKey]
      const dir = yield* tmpDir
      yield* runExport(hub, dir, [key])
      const warnings: Array<string> = []
      const rotated = yield* runExport(hub, dir, [key, added], warnings)
      assert.strictEqual(rotated.notModified, 0)
      assert.isTrue(warnings.some((w) => w.includes("encrypted to another recipient set")))
      // The new archive opens with the added key alone: nothing in it was copied from the old set's entries.
      const opened = yield* readAll(rotated.archive, [added])
      assert.isAbove(opened.spaces.length, 0)
      // Back to plaintext: the encrypted archive cannot give its contents, so every space is fetched again too.
      const plainWarnings: Array<string> = []
      const plain = yield* runExport(hub, dir, undefined, plainWarnings)
      assert.strictEqual(plain.notModified, 0)
      assert.isTrue(plainWarnings.some((w) => w.includes("it is encrypted and this export is not")))
    }).pipe(Effect.scoped)
  )

  it.live("an archive whose encrypted entry was altered is refused by its stored sha256", () =>
    Effect.gen(function* () {
      const hub = yield* demoHub
      const key = yield* newKey
      const result = yield* runExport(hub, yield* tmpDir, [key])
      const bytes = yield* Effect.promise(() => readFile(result.archive))
      const { manifest, stored } = yield* storedEntries(result.archive)
      const entry = manifest.entries.find((e) => e.path.startsWith("spaces/"))!
      // Entries are stored, not deflated: flip one byte inside the ciphertext's payload.
      const at = bytes.indexOf(stored.get(entry.path)!)
      assert.isAtLeast(at, 0)
      bytes[at + stored.get(entry.path)!.length - 5]! ^= 0xff
      yield* Effect.promise(() => writeFile(result.archive, bytes))
      const error = yield* Effect.flip(readAll(result.archive, [key]))
      assert.include(error.message, entry.path)
    }).pipe(Effect.scoped)
  )
})
