import { createHash } from "node:crypto"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { isConfigProblem } from "../../src/crypto/CryptoError.ts"
import {
  parseRecipientsText,
  recipientFingerprint,
  recipientSet,
  readRecipientsFile
} from "../../src/crypto/Recipients.ts"
import { newKey, scratch, writeText } from "./keys.ts"

describe("recipients files", () => {
  it.effect("skip comments and blank lines (CRLF too) and keep the recipients in order", () =>
    Effect.gen(function* () {
      const a = yield* newKey
      const b = yield* newKey
      const text = `# ops team\r\n\r\n${a.recipient}\r\n   \r\n# offline key, in the safe\r\n  ${b.recipient}  \r\n`
      assert.deepStrictEqual(yield* parseRecipientsText(text, "team.txt"), [a.recipient, b.recipient])
    })
  )

  it.effect("fail closed on a bad line, naming the file and line without quoting it", () =>
    Effect.gen(function* () {
      const a = yield* newKey
      const text = `# keys\n${a.recipient}\nage1notarecipient\n`
      const error = yield* Effect.flip(parseRecipientsText(text, "team.txt"))
      assert.strictEqual(error.reason._tag, "BadRecipient")
      assert.strictEqual(error.line, 3)
      assert.strictEqual(
        error.message,
        "team.txt line 3 is not an age X25519 recipient (age1… as age-keygen prints it)"
      )
      assert.isTrue(isConfigProblem(error))
    })
  )

  it.effect("refuse a secret key pasted as a recipient, and never repeat it", () =>
    Effect.gen(function* () {
      const a = yield* newKey
      const error = yield* Effect.flip(parseRecipientsText(`${a.secret}\n`, "team.txt"))
      assert.match(error.message, /^team\.txt line 1 is a secret key, not a recipient: give its public key instead/)
      assert.notInclude(error.message, a.secret)
      assert.notInclude(JSON.stringify(error), a.secret.slice(20))
    })
  )

  it.effect("refuse a recipient whose checksum is wrong, SSH keys, post-quantum keys and an empty file", () =>
    Effect.gen(function* () {
      const a = yield* newKey
      const flipped = `${a.recipient.slice(0, -1)}${a.recipient.endsWith("q") ? "p" : "q"}`
      const checksum = yield* Effect.flip(parseRecipientsText(flipped, "r"))
      assert.match(checksum.message, /^r line 1 is not an age X25519 recipient: its checksum does not match/)
      const ssh = yield* Effect.flip(parseRecipientsText("ssh-ed25519 AAAAC3Nza mona@laptop", "r"))
      assert.match(ssh.message, /^r line 1 is an SSH key: only age X25519 recipients/)
      const pq = yield* Effect.flip(parseRecipientsText("age1pq1qqqq", "r"))
      assert.match(pq.message, /^r line 1 is a post-quantum or tag recipient/)
      const empty = yield* Effect.flip(parseRecipientsText("# nobody yet\n\n", "r"))
      assert.strictEqual(empty.message, "r holds no recipients")
    })
  )

  it.effect("refuse a low-order point (0 and 1, bech32 with a valid checksum): nothing encrypted to it is secret", () =>
    Effect.gen(function* () {
      for (const lowOrder of [
        "age1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq5cu47z",
        "age1qyqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqj7vrya"
      ]) {
        const e = yield* Effect.flip(recipientSet([lowOrder], []))
        assert.isTrue(isConfigProblem(e))
        assert.strictEqual(
          e.message,
          "recipient 1 is a low-order X25519 point, which no key pair has as its public key: nothing encrypted to it would be secret"
        )
      }
      // A real key passes.
      const key = yield* newKey
      assert.deepStrictEqual((yield* recipientSet([key.recipient], [])).recipients, [key.recipient])
    })
  )

  it.effect("a missing file is a key-file problem in plain words", () =>
    Effect.gen(function* () {
      const path = join(yield* scratch, "nope.txt")
      const error = yield* Effect.flip(readRecipientsFile(path))
      assert.strictEqual(error.message, `${path} cannot be read: no such file or directory`)
      assert.isTrue(isConfigProblem(error))
    })
  )
})

describe("recipientSet", () => {
  it.effect("joins given recipients and files, without repeats, and numbers a bad given one", () =>
    Effect.gen(function* () {
      const [a, b, c] = [yield* newKey, yield* newKey, yield* newKey]
      const file = join(yield* scratch, "more.txt")
      yield* writeText(file, `${b.recipient}\n${c.recipient}\n${a.recipient}\n`)
      const set = yield* recipientSet([a.recipient, b.recipient], [file])
      assert.deepStrictEqual(set.recipients, [a.recipient, b.recipient, c.recipient])
      assert.strictEqual(set.fingerprint, recipientFingerprint([c.recipient, b.recipient, a.recipient]))
      const bad = yield* Effect.flip(recipientSet([a.recipient, "age1oops"], [file]))
      assert.match(bad.message, /^recipient 2 is not an age X25519 recipient/)
      const none = yield* Effect.flip(recipientSet([], []))
      assert.strictEqual(none.message, "recipient set is empty: give at least one")
    })
  )

  it.effect("fingerprint: sha256 over the sorted distinct recipients, one per line", () =>
    Effect.gen(function* () {
      const [a, b] = [yield* newKey, yield* newKey]
      const [first, second] = [a.recipient, b.recipient].sort()
      const expected = createHash("sha256").update(`${first}\n${second}\n`).digest("hex")
      const fp = recipientFingerprint([b.recipient, a.recipient, b.recipient])
      assert.strictEqual(fp, recipientFingerprint([a.recipient, b.recipient]))
      assert.strictEqual(fp, `sha256:${expected}`)
      assert.notStrictEqual(fp, recipientFingerprint([a.recipient]))
    })
  )
})
