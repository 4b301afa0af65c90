import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Redacted } from "effect"
import { isConfigProblem } from "../../src/crypto/CryptoError.ts"
import { entryDecrypter, entryEncrypter } from "../../src/crypto/EntryCipher.ts"
import { identityFilePaths, parseIdentitiesText, readIdentityFiles } from "../../src/crypto/Identities.ts"
import { recipientSet } from "../../src/crypto/Recipients.ts"
import { bytes, newKey, scratch, text, type TestKey, writeText } from "./keys.ts"

const identityFile = (k: TestKey) => `# created: 2026-12-08T02:00:00Z\n# public key: ${k.recipient}\n${k.secret}\n`
const identitiesOf = (k: TestKey, file = "key.txt") => parseIdentitiesText(identityFile(k), file)
const space = bytes(JSON.stringify({ owner: "octo-org", number: 7, name: "Runbooks" }))

describe("EntryCipher", () => {
  it.effect("round trip to two recipients: either identity alone decrypts", () =>
    Effect.gen(function* () {
      const [online, offline] = [yield* newKey, yield* newKey]
      const set = yield* recipientSet([online.recipient, offline.recipient], [])
      const enc = entryEncrypter(set)
      assert.strictEqual(enc.fingerprint, set.fingerprint)
      const sealed = yield* enc.encrypt(space)
      assert.notInclude(text(sealed), "Runbooks")
      for (const k of [online, offline]) {
        const opened = yield* entryDecrypter(yield* identitiesOf(k)).decrypt("spaces/octo-org/7.json.gz.age", sealed)
        assert.deepStrictEqual(opened, space)
      }
      const empty = yield* enc.encrypt(new Uint8Array(0))
      assert.strictEqual((yield* entryDecrypter(yield* identitiesOf(online)).decrypt("empty.age", empty)).length, 0)
    })
  )

  it.effect("each entry gets its own file key: the same plaintext encrypts differently", () =>
    Effect.gen(function* () {
      const enc = entryEncrypter(yield* recipientSet([(yield* newKey).recipient], []))
      assert.notDeepEqual(yield* enc.encrypt(space), yield* enc.encrypt(space))
    })
  )

  it.effect("a wrong identity fails with NoMatchingIdentity, in archive terms", () =>
    Effect.gen(function* () {
      const [right, wrong] = [yield* newKey, yield* newKey]
      const sealed = yield* entryEncrypter(yield* recipientSet([right.recipient], [])).encrypt(space)
      const error = yield* Effect.flip(
        entryDecrypter(yield* identitiesOf(wrong)).decrypt("repositories.json.gz.age", sealed)
      )
      assert.strictEqual(error.reason._tag, "NoMatchingIdentity")
      assert.strictEqual(
        error.message,
        "entry repositories.json.gz.age cannot be decrypted: none of the given identities is one of its recipients (a wrong or missing key)"
      )
      assert.isFalse(isConfigProblem(error))
    })
  )

  it.effect("a truncated or altered entry fails as damaged, never as plaintext", () =>
    Effect.gen(function* () {
      const k = yield* newKey
      // More than one 64 KiB chunk, so a cut at a chunk boundary is covered too.
      const big = bytes("x".repeat(200_000))
      const sealed = yield* entryEncrypter(yield* recipientSet([k.recipient], [])).encrypt(big)
      const dec = entryDecrypter(yield* identitiesOf(k))
      const damagedPart = (b: Uint8Array) =>
        dec.decrypt("e.age", b).pipe(
          Effect.flip,
          Effect.map((e) => (e.reason._tag === "Damaged" ? e.reason.part : e.reason._tag))
        )
      const headerEnd = text(sealed).indexOf("\n---") + 1
      const payloadStart = text(sealed.subarray(0, 2000)).indexOf("\n", headerEnd) + 1
      assert.strictEqual(yield* damagedPart(sealed.subarray(0, sealed.length - 1)), "payload")
      assert.strictEqual(yield* damagedPart(sealed.subarray(0, payloadStart + 16 + 65536 + 16)), "payload")
      assert.strictEqual(yield* damagedPart(sealed.subarray(0, payloadStart - 5)), "header")
      assert.strictEqual(yield* damagedPart(sealed.subarray(0, 0)), "header")
      const flip = (at: number) => {
        const copy = sealed.slice()
        copy[at] = copy[at]! ^ 1
        return copy
      }
      assert.strictEqual(yield* damagedPart(flip(sealed.length - 100)), "payload")
      assert.strictEqual(yield* damagedPart(flip(headerEnd + 6)), "header") // the header's MAC
      assert.strictEqual(yield* damagedPart(bytes('{"plain": "json"}')), "not-age")
      const error = yield* Effect.flip(dec.decrypt("spaces/o/1.json.gz.age", flip(sealed.length - 100)))
      assert.strictEqual(
        error.message,
        "entry spaces/o/1.json.gz.age is damaged: its payload fails age authentication, so it was truncated or altered after it was written"
      )
    })
  )
})

describe("identity files", () => {
  it.effect("read age-keygen's layout: comments skipped, several keys and files, keys kept redacted", () =>
    Effect.gen(function* () {
      const [a, b, c] = [yield* newKey, yield* newKey, yield* newKey]
      const dir = yield* scratch
      yield* writeText(join(dir, "one.txt"), `${identityFile(a)}\n${b.secret}\n`)
      yield* writeText(join(dir, "two.txt"), identityFile(c))
      const ids = yield* readIdentityFiles([join(dir, "one.txt"), join(dir, "two.txt")])
      assert.deepStrictEqual(
        ids.map((i) => [i.recipient, i.line]),
        [
          [a.recipient, 3],
          [b.recipient, 5],
          [c.recipient, 3]
        ]
      )
      assert.strictEqual(Redacted.value(ids[0]!.key), a.secret)
      assert.notInclude(JSON.stringify(ids), a.secret)
      assert.notInclude(String(ids[0]!.key), a.secret)
    })
  )

  it.effect("a bad line is named by file and line and never quoted", () =>
    Effect.gen(function* () {
      const a = yield* newKey
      const cut = a.secret.slice(0, -3)
      const error = yield* Effect.flip(parseIdentitiesText(`# created: x\n${cut}\n`, "key.txt"))
      assert.strictEqual(error.reason._tag, "BadIdentity")
      assert.strictEqual(
        error.message,
        "key.txt line 2 is not an age X25519 identity (AGE-SECRET-KEY-1…, as age-keygen writes it)"
      )
      assert.notInclude(JSON.stringify(error), cut)
      assert.isTrue(isConfigProblem(error))
      const typo = `${a.secret.slice(0, -1)}${a.secret.endsWith("Q") ? "P" : "Q"}`
      const sum = yield* Effect.flip(parseIdentitiesText(typo, "key.txt"))
      assert.match(sum.message, /^key\.txt line 1 is not an age X25519 identity: its checksum does not match/)
      assert.notInclude(sum.message, typo)
      const pub = yield* Effect.flip(parseIdentitiesText(a.recipient, "key.txt"))
      assert.match(pub.message, /^key\.txt line 1 is a recipient \(a public key\), not an identity/)
      const armored = yield* Effect.flip(
        parseIdentitiesText("-----BEGIN AGE ENCRYPTED FILE-----\nYWdl\n-----END AGE ENCRYPTED FILE-----\n", "k")
      )
      assert.strictEqual(
        armored.message,
        "k is a passphrase-protected identity file, which cannot be used here (nothing prompts for a passphrase)"
      )
      const empty = yield* Effect.flip(parseIdentitiesText("# public key: x\n", "k"))
      assert.strictEqual(empty.message, "k holds no identities (AGE-SECRET-KEY-1… lines, as age-keygen writes them)")
    })
  )

  it.effect("a missing identity file is a key-file problem", () =>
    Effect.gen(function* () {
      const path = join(yield* scratch, "gone.txt")
      const error = yield* Effect.flip(readIdentityFiles([path]))
      assert.strictEqual(error.message, `${path} cannot be read: no such file or directory`)
    })
  )
})

describe("identityFilePaths", () => {
  const withEnv = (env: Record<string, string>) =>
    Effect.provide(ConfigProvider.layer(ConfigProvider.fromEnvRecord(env)))
  it.effect("files given win; else SPACES_VAULT_IDENTITY_FILE names one; else none", () =>
    Effect.gen(function* () {
      const env = { SPACES_VAULT_IDENTITY_FILE: "/keys/restore.key" }
      assert.deepStrictEqual(yield* identityFilePaths(["a.key", "b.key"]).pipe(withEnv(env)), ["a.key", "b.key"])
      assert.deepStrictEqual(yield* identityFilePaths([]).pipe(withEnv(env)), ["/keys/restore.key"])
      assert.deepStrictEqual(yield* identityFilePaths([]).pipe(withEnv({ SPACES_VAULT_IDENTITY_FILE: " " })), [])
      assert.deepStrictEqual(yield* identityFilePaths([]).pipe(withEnv({})), [])
    })
  )
})
