import { readFile, stat, writeFile } from "node:fs/promises"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { TestClock } from "effect/testing"
import { readIdentityFile } from "../../src/crypto/Identities.ts"
import { generateIdentityFile } from "../../src/crypto/Keygen.ts"
import { scratch } from "./keys.ts"

describe("generateIdentityFile", () => {
  it.effect("writes age-keygen's layout, private, and the file reads back as the same recipient", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(Date.UTC(2026, 11, 8, 2, 30, 15, 250))
      const path = join(yield* scratch, "vault.key")
      const made = yield* generateIdentityFile(path)
      assert.match(made.recipient, /^age1[a-z0-9]{58}$/)
      const lines = (yield* Effect.promise(() => readFile(path, "utf8"))).split("\n")
      assert.deepStrictEqual(lines.slice(0, 2), ["# created: 2026-12-08T02:30:15Z", `# public key: ${made.recipient}`])
      assert.match(lines[2]!, /^AGE-SECRET-KEY-1[A-Z0-9]{58}$/)
      assert.strictEqual(lines[3], "")
      assert.strictEqual((yield* Effect.promise(() => stat(path))).mode & 0o777, 0o600)
      const [identity] = yield* readIdentityFile(path)
      assert.strictEqual(identity?.recipient, made.recipient)
    })
  )

  it.effect("never replaces an existing file: the old key stays as it was", () =>
    Effect.gen(function* () {
      const path = join(yield* scratch, "vault.key")
      yield* Effect.promise(() => writeFile(path, "the only copy of an old key\n"))
      const error = yield* Effect.flip(generateIdentityFile(path))
      assert.strictEqual(error.reason._tag, "KeyFile")
      assert.strictEqual(
        error.message,
        `${path} already exists: a key file is never replaced (choose another name, or move the old one away first)`
      )
      assert.strictEqual(yield* Effect.promise(() => readFile(path, "utf8")), "the only copy of an old key\n")
    })
  )

  it.effect("a directory that does not exist is said in plain words", () =>
    Effect.gen(function* () {
      const path = join(yield* scratch, "no", "vault.key")
      const error = yield* Effect.flip(generateIdentityFile(path))
      assert.strictEqual(error.message, `${path} cannot be written: no such file or directory`)
    })
  )
})
