// `spaces-vault keygen` in-process, as a user types it: the recipient on stdout, the --json object, exit 2 and the
// old file untouched when the file exists.
import { mkdtemp, readFile, stat, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { readIdentityFile } from "@spaces-vault/core/crypto/Identities"
import { checkShape, readShapes } from "@spaces-vault/fixtures/jsonShapes"
import { runCli } from "./harness.ts"

const cli = (args: ReadonlyArray<string>) => Effect.promise(() => runCli(args))
const scratch = Effect.promise(() => mkdtemp(join(tmpdir(), "sv-keygen-")))

describe("spaces-vault keygen", () => {
  it.effect("writes a private identity file and prints only its recipient", () =>
    Effect.gen(function* () {
      const path = join(yield* scratch, "vault.key")
      const r = yield* cli(["keygen", "--out", path])
      assert.strictEqual(r.code, 0)
      assert.deepStrictEqual(r.stderr, [])
      assert.strictEqual(r.stdout.length, 1)
      assert.match(r.stdout[0]!, /^age1[a-z0-9]{58}$/)
      assert.strictEqual((yield* Effect.promise(() => stat(path))).mode & 0o777, 0o600)
      const [identity] = yield* readIdentityFile(path)
      assert.strictEqual(identity?.recipient, r.stdout[0])
    })
  )

  it.effect("--json prints one object with the file and the recipient, as docs/json.md says", () =>
    Effect.gen(function* () {
      const path = join(yield* scratch, "vault.key")
      const r = yield* cli(["keygen", "--out", path, "--json"])
      assert.strictEqual(r.code, 0)
      assert.strictEqual(r.stdout.length, 1)
      const json = r.json()
      const doc = yield* Effect.promise(() => readFile(new URL("../../../docs/json.md", import.meta.url), "utf8"))
      const rules = readShapes(doc).get("keygen")
      assert.isDefined(rules)
      assert.deepStrictEqual(checkShape(rules!, json, new Set()), [])
      assert.deepStrictEqual(Object.keys(json).sort(), ["file", "recipient"])
      assert.strictEqual(json.file, path)
      assert.include(yield* Effect.promise(() => readFile(path, "utf8")), `# public key: ${json.recipient}\n`)
    })
  )

  it.effect("refuses an existing file with exit 2 and one sentence, leaving it as it was", () =>
    Effect.gen(function* () {
      const path = join(yield* scratch, "vault.key")
      yield* Effect.promise(() => writeFile(path, "old key\n"))
      const r = yield* cli(["keygen", "--out", path, "--json"])
      assert.strictEqual(r.code, 2)
      assert.deepStrictEqual(r.stdout, [])
      assert.deepStrictEqual(r.stderr, [
        `error: --out ${path} already exists: a key file is never replaced (choose another name, or move the old one away first)`
      ])
      assert.strictEqual(yield* Effect.promise(() => readFile(path, "utf8")), "old key\n")
    })
  )

  it.effect("without --out it is a usage error (exit 2) and writes nothing", () =>
    Effect.gen(function* () {
      const r = yield* cli(["keygen"])
      assert.strictEqual(r.code, 2)
      assert.deepStrictEqual(r.stdout, [])
    })
  )
})
