// Encryption on the command line, in-process against fakehub: export --encrypt-to/--encrypt-to-file writes format 2
// and refuses a bad recipient before any request (never echoing it); replay, restore and history read an encrypted
// archive with --identity, refuse without one (exit 2) and replay nothing with a wrong one (exit 1); decrypt writes a
// plaintext archive of format 1 holding the very plaintext the encrypted one's digests name, or nothing at all.
import { mkdir, readdir, readFile, stat, writeFile } from "node:fs/promises"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { openArchive } from "@spaces-vault/core/archive/ArchiveReader"
import { startFakeHub, type FakeHub } from "@spaces-vault/fixtures"
import { Effect } from "effect"
import { cli, tmp } from "../harness.ts"

interface Key {
  readonly file: string
  readonly recipient: string
}

interface Ctx {
  readonly hub: FakeHub
  readonly env: Record<string, string>
  readonly dir: string
  /** Two identities: the archive is encrypted to `a` only. */
  readonly a: Key
  readonly b: Key
  /** One night of octo-archive, encrypted to `a`. */
  readonly archive: string
  readonly out: string
}

const keygen = (env: Record<string, string>, file: string) =>
  Effect.map(cli(["keygen", "--out", file, "--json"], env), (r): Key => {
    assert.strictEqual(r.code, 0, r.stderr.join("\n"))
    return { file, recipient: r.json().recipient }
  })

/** A demo hub, two keys, and one encrypted export of octo-archive; the hub is closed after the test. */
const withEncryptedArchive = <A>(body: (ctx: Ctx) => Effect.Effect<A>) =>
  Effect.gen(function* () {
    const hub = yield* Effect.acquireRelease(
      Effect.promise(() => startFakeHub({ seed: "demo" })),
      (h) =>
        Effect.promise(async () => {
          assert.deepStrictEqual(h.counters.contractViolations, [])
          await h.close()
        })
    )
    const dir = yield* tmp
    const env = { GH_TOKEN: hub.token, GITHUB_API_URL: hub.url, SPACES_VAULT_STATE_DIR: join(dir, "state") }
    const a = yield* keygen(env, join(dir, "a.key"))
    const b = yield* keygen(env, join(dir, "b.key"))
    const out = join(dir, "out")
    const r = yield* cli(["export", "--org", "octo-archive", "--out", out, "--encrypt-to", a.recipient, "--json"], env)
    assert.strictEqual(r.code, 0, r.stderr.join("\n"))
    return yield* body({ hub, env, dir, a, b, archive: r.json().archive, out })
  }).pipe(Effect.scoped)

/** The manifest and the zip's entry names, read without any identity. */
const contentsOf = (path: string) =>
  Effect.scoped(
    Effect.map(openArchive(path), (a) => ({ manifest: a.manifest, names: [...a.entries.keys()].sort() }))
  ).pipe(Effect.orDie)

const filesIn = (dir: string) => Effect.promise(() => readdir(dir))

describe("export --encrypt-to", () => {
  it.live("writes archive format 2, every content entry an age file, and says so in --json and text", () =>
    withEncryptedArchive(({ archive, a, b, env, dir }) =>
      Effect.gen(function* () {
        const { manifest, names } = yield* contentsOf(archive)
        assert.strictEqual(manifest.formatVersion, 2)
        assert.strictEqual(manifest.encryption?.scheme, "age-x25519")
        assert.isAbove(names.length, 2)
        for (const n of names) assert.isTrue(n === "manifest.json" || n.endsWith(".json.gz.age"), n)

        // A recipients file (comments, blank lines) and a recipient given on its own make one set of two.
        const recipients = join(dir, "recipients.txt")
        yield* Effect.promise(() => writeFile(recipients, `# restore key\n${b.recipient}\n\n`))
        const out = join(dir, "two")
        const r = yield* cli(
          [
            "export",
            "--org",
            "octo-archive",
            "--out",
            out,
            "--encrypt-to",
            a.recipient,
            "--encrypt-to-file",
            recipients
          ],
          env
        )
        assert.strictEqual(r.code, 0, r.stderr.join("\n"))
        const fingerprint = (yield* contentsOf(join(out, (yield* filesIn(out)).find((n) => n.endsWith(".zip"))!)))
          .manifest.encryption?.recipients
        assert.match(r.stdout[0]!, new RegExp(`\\nencrypted to 2 recipients \\(${fingerprint}\\)`))
        const json = yield* cli(
          ["export", "--org", "octo-archive", "--out", out, "--encrypt-to-file", recipients, "--json"],
          env
        )
        assert.deepStrictEqual(json.json().encrypted, {
          recipients: (yield* contentsOf(json.json().archive)).manifest.encryption?.recipients,
          recipientCount: 1
        })
      })
    )
  )

  it.live("refuses a bad recipient with one sentence and exit 2, before any request or archive", () =>
    withEncryptedArchive(({ hub, env, dir, a }) =>
      Effect.gen(function* () {
        const secret = (yield* Effect.promise(() => readFile(a.file, "utf8")))
          .split("\n")
          .find((l) => l.startsWith("AGE-SECRET-KEY-"))!
        const badFile = join(dir, "bad-recipients.txt")
        yield* Effect.promise(() => writeFile(badFile, `# keys\n${a.recipient}\n${secret}\n`))
        const out = join(dir, "refused")
        const sent = hub.counters.requests
        for (const [args, message] of [
          [["--encrypt-to", "age1notakey"], /^error: --encrypt-to: recipient 1 is not an age X25519 recipient/],
          [
            ["--encrypt-to", a.recipient, "--encrypt-to", secret],
            /^error: --encrypt-to: recipient 2 is a secret key, not a recipient: give its public key instead/
          ],
          [["--encrypt-to-file", badFile], new RegExp(`^error: --encrypt-to-file: ${badFile} line 3 is a secret key`)],
          [["--encrypt-to-file", join(dir, "missing.txt")], /^error: --encrypt-to-file: .*missing\.txt cannot be read/]
        ] as const) {
          const r = yield* cli(["export", "--org", "octo-archive", "--out", out, ...args, "--json"], env)
          assert.strictEqual(r.code, 2, args.join(" "))
          assert.deepStrictEqual(r.stdout, [])
          assert.strictEqual(r.stderr.length, 1)
          assert.match(r.stderr[0]!, message)
          // A secret key in the wrong place never reaches a log.
          assert.notInclude(r.stderr[0]!, secret)
        }
        assert.strictEqual(hub.counters.requests, sent)
        assert.isFalse(
          yield* Effect.promise(() =>
            stat(out).then(
              () => true,
              () => false
            )
          )
        )
      })
    )
  )
})

describe("--identity on replay, restore and history", () => {
  it.live("replays a deleted space from an encrypted archive with the identity, by flag or variable", () =>
    withEncryptedArchive(({ hub, env, archive, a }) =>
      Effect.gen(function* () {
        hub.state.deleteSpace("octo-archive", 7)
        const r = yield* cli(["replay", archive, "--space", "octo-archive/7", "--identity", a.file, "--json"], env)
        assert.strictEqual(r.code, 0, r.stderr.join("\n"))
        assert.strictEqual(r.json().created.length, 1)
        assert.strictEqual(r.json().created[0].source.number, 7)
        // SPACES_VAULT_IDENTITY_FILE instead of the flag: the space is there now, so it is skipped.
        const again = yield* cli(["replay", archive, "--space", "octo-archive/7", "--json"], {
          ...env,
          SPACES_VAULT_IDENTITY_FILE: a.file
        })
        assert.strictEqual(again.code, 0, again.stderr.join("\n"))
        assert.deepStrictEqual(again.json().created, [])
        assert.strictEqual(again.json().skipped.length, 1)
      })
    )
  )

  it.live("without an identity exits 2 in one sentence; with a wrong one exits 1 and replays nothing", () =>
    withEncryptedArchive(({ hub, env, archive, b, out }) =>
      Effect.gen(function* () {
        hub.state.deleteSpace("octo-archive", 7)
        const spaces = hub.state.listSpaces("octo-archive").length
        const none = yield* cli(["replay", archive, "--space", "octo-archive/7"], env)
        assert.strictEqual(none.code, 2)
        assert.deepStrictEqual(none.stdout, [])
        assert.deepStrictEqual(none.stderr, [
          `error: archive ${archive} is encrypted and no identity was given to decrypt it: give the identity file age-keygen wrote (--identity FILE, or SPACES_VAULT_IDENTITY_FILE)`
        ])
        const restore = yield* cli(["restore", "--from", out, "--space", "octo-archive/7"], env)
        assert.strictEqual(restore.code, 2)
        assert.strictEqual(restore.stderr.length, 1)
        assert.match(restore.stderr[0]!, /is encrypted and no identity was given/)

        for (const args of [
          ["replay", archive, "--space", "octo-archive/7"],
          ["restore", "--from", out, "--space", "octo-archive/7"]
        ]) {
          const wrong = yield* cli([...args, "--identity", b.file], env)
          assert.strictEqual(wrong.code, 1, args[0])
          assert.strictEqual(wrong.stderr.length, 1, wrong.stderr.join("\n"))
          assert.match(wrong.stderr[0]!, /cannot be decrypted with the given identities|none of/)
        }
        assert.strictEqual(hub.state.listSpaces("octo-archive").length, spaces)

        // An identity file that holds no key is a usage error before anything is read.
        const notKey = join(out, "..", "not-a-key.txt")
        yield* Effect.promise(() => writeFile(notKey, "hello\n"))
        const bad = yield* cli(["replay", archive, "--identity", notKey], env)
        assert.strictEqual(bad.code, 2)
        assert.strictEqual(bad.stderr.length, 1)
      })
    )
  )

  it.live("restore and history read the encrypted archives of a location with the identity", () =>
    withEncryptedArchive(({ hub, env, out, a }) =>
      Effect.gen(function* () {
        const name = hub.state.requireSpace("octo-archive", 7).name
        hub.state.deleteSpace("octo-archive", 7)
        const r = yield* cli(
          ["restore", "--from", out, "--space", "octo-archive/7", "--identity", a.file, "--json"],
          env
        )
        assert.strictEqual(r.code, 0, r.stderr.join("\n"))
        assert.strictEqual(r.json().created.length, 1)
        const h = yield* cli(
          ["history", "--from", out, "--space", "octo-archive/7", "--identity", a.file, "--json"],
          env
        )
        assert.strictEqual(h.code, 0, h.stderr.join("\n"))
        assert.deepStrictEqual(
          h.json().events.map((e: { kind: string; name: string | null }) => [e.kind, e.name]),
          [["appeared", name]]
        )
        assert.deepStrictEqual(h.json().unreadable, [])
      })
    )
  )
})

describe("spaces-vault decrypt", () => {
  it.live("writes a plaintext archive of format 1 that verifies, its entries the encrypted one's plaintext", () =>
    withEncryptedArchive(({ env, dir, archive, a }) =>
      Effect.gen(function* () {
        const plain = join(dir, "plain.zip")
        const r = yield* cli(["decrypt", archive, "--identity", a.file, "--out", plain, "--json"], env)
        assert.strictEqual(r.code, 0, r.stderr.join("\n"))
        const encrypted = yield* contentsOf(archive)
        assert.deepStrictEqual(r.json(), {
          archive,
          out: plain,
          spaces: encrypted.manifest.owners[0]!.spaces,
          entries: encrypted.manifest.entries.length,
          toolVersion: encrypted.manifest.tool.version
        })
        assert.strictEqual((yield* Effect.promise(() => stat(plain))).mode & 0o777, 0o600)
        const decrypted = yield* contentsOf(plain)
        assert.strictEqual(decrypted.manifest.formatVersion, 1)
        assert.isUndefined(decrypted.manifest.encryption)
        for (const n of decrypted.names) assert.isFalse(n.endsWith(".age"), n)
        // The same entries, and each one's sha256 is the encrypted archive's plaintext digest.
        const rows = (m: typeof encrypted.manifest) =>
          m.entries.map((e) => ({ path: e.path, size: e.size, sha256: e.sha256 }))
        assert.deepStrictEqual(rows(decrypted.manifest), rows(encrypted.manifest))
        const { entries: _e, formatVersion: _f, encryption: _x, ...fields } = encrypted.manifest
        const { entries: _e2, formatVersion: _f2, ...plainFields } = decrypted.manifest
        assert.deepStrictEqual(plainFields, fields)
        const verify = yield* cli(["verify", plain, "--json"], env)
        assert.strictEqual(verify.code, 0, verify.stdout.join("\n"))
        assert.strictEqual(verify.json().formatVersion, 1)
        // Read back with no identity at all: it is plaintext now.
        const space = yield* cli(["inspect", plain, "--space", "octo-archive/7"], env)
        assert.strictEqual(space.code, 0, space.stderr.join("\n"))
      })
    )
  )

  it.live("refuses a plaintext archive, an existing --out and a missing identity (exit 2); writes nothing", () =>
    withEncryptedArchive(({ env, dir, archive, a }) =>
      Effect.gen(function* () {
        const plain = join(dir, "plain.zip")
        assert.strictEqual((yield* cli(["decrypt", archive, "--identity", a.file, "--out", plain], env)).code, 0)
        const again = yield* cli(["decrypt", plain, "--identity", a.file, "--out", join(dir, "again.zip")], env)
        assert.strictEqual(again.code, 2)
        assert.deepStrictEqual(again.stderr, [
          `error: archive ${plain} is not encrypted: it is archive format 1, already plaintext`
        ])
        const exists = yield* cli(["decrypt", archive, "--identity", a.file, "--out", plain], env)
        assert.strictEqual(exists.code, 2)
        assert.deepStrictEqual(exists.stderr, [`error: --out ${plain} already exists: decrypt never replaces a file`])
        const none = yield* cli(["decrypt", archive, "--out", join(dir, "none.zip")], env)
        assert.strictEqual(none.code, 2)
        assert.strictEqual(none.stderr.length, 1)
        assert.match(none.stderr[0]!, /is encrypted and no identity was given/)
        const s3 = yield* cli(["decrypt", archive, "--identity", a.file, "--out", "s3://vault/plain.zip"], env)
        assert.strictEqual(s3.code, 2)
        assert.deepStrictEqual(
          (yield* filesIn(dir)).filter((n) => n.endsWith(".zip")),
          ["plain.zip"]
        )
      })
    )
  )

  it.live("a wrong identity or a tampered entry: exit 1 in one sentence, and no file at --out", () =>
    withEncryptedArchive(({ env, dir, archive, b, a }) =>
      Effect.gen(function* () {
        const target = join(dir, "target")
        yield* Effect.promise(() => mkdir(target))
        const wrong = yield* cli(["decrypt", archive, "--identity", b.file, "--out", join(target, "p.zip")], env)
        assert.strictEqual(wrong.code, 1)
        assert.strictEqual(wrong.stderr.length, 1)
        assert.match(wrong.stderr[0]!, /cannot be decrypted with the given identities: none of them is a recipient/)
        assert.deepStrictEqual(yield* filesIn(target), [])

        // One byte of a space's age file flipped, past its local header (stored: its bytes sit in the zip as they are).
        const bytes = yield* Effect.promise(() => readFile(archive))
        const space = (yield* contentsOf(archive)).names.find((n) => n.startsWith("spaces/"))!
        const at = bytes.indexOf(Buffer.from(space)) + space.length + 200
        bytes[at] = bytes[at]! ^ 0xff
        const tampered = join(dir, "tampered.zip")
        yield* Effect.promise(() => writeFile(tampered, bytes))
        const r = yield* cli(["decrypt", tampered, "--identity", a.file, "--out", join(target, "t.zip")], env)
        assert.strictEqual(r.code, 1)
        assert.strictEqual(r.stderr.length, 1)
        assert.match(r.stderr[0]!, /damaged|does not match/)
        assert.deepStrictEqual(yield* filesIn(target), [])
      })
    )
  )
})
