import { mkdtemp, readdir, readFile, stat, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { writeJsonAtomic } from "../../src/runtime/AtomicFile.ts"
import { errorText } from "../../src/runtime/ErrorText.ts"

const scratch = Effect.promise(() => mkdtemp(join(tmpdir(), "atomic-")))

describe("writeJsonAtomic", () => {
  it.effect("replaces the file whole, private, leaving no temporary file", () =>
    Effect.gen(function* () {
      const dir = yield* scratch
      const path = join(dir, "status.json")
      yield* Effect.promise(() => writeFile(path, "old"))
      yield* writeJsonAtomic(path, { a: 1 })
      assert.deepStrictEqual(JSON.parse(yield* Effect.promise(() => readFile(path, "utf8"))), { a: 1 })
      assert.deepStrictEqual(yield* Effect.promise(() => readdir(dir)), ["status.json"])
      yield* writeJsonAtomic(join(dir, "new", "deep.json"), [1], { mkdirs: true })
      const mode = (yield* Effect.promise(() => stat(join(dir, "new", "deep.json")))).mode & 0o777
      assert.strictEqual(mode, 0o600)
    })
  )
  it.effect("fails with the path and plain words when the directory is missing", () =>
    Effect.gen(function* () {
      const path = join(yield* scratch, "no", "x.json")
      const error = yield* Effect.flip(writeJsonAtomic(path, {}))
      assert.strictEqual(error.message, `cannot write ${path}: no such file or directory`)
    })
  )
})

describe("errorText", () => {
  it("turns errno codes into words and keeps other messages", () => {
    const eisdir = Object.assign(new Error("EISDIR: illegal operation"), { code: "EISDIR" })
    assert.strictEqual(errorText(eisdir), "is a directory, not a file")
    assert.strictEqual(errorText(new Error("boom")), "boom")
    assert.strictEqual(errorText("plain"), "plain")
  })
})
