// The worker's lock: in the state directory, held by one process at a time, taken over from a dead holder.
import { readdir, readFile, writeFile } from "node:fs/promises"
import { hostname } from "node:os"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { acquireLock, LOCK_FILE } from "../src/Lock.ts"
import { tmp } from "./WorkerTestKit.ts"

describe("Lock", () => {
  it.effect("blocks while the holder lives and takes over a lock left by a dead process", () =>
    Effect.gen(function* () {
      const dir = yield* tmp
      const dead = JSON.stringify({ pid: 999_999, hostname: hostname(), startedAt: "yesterday" })
      yield* Effect.promise(() => writeFile(join(dir, LOCK_FILE), dead))
      const held = yield* Effect.flip(Effect.scoped(acquireLock(dir, "/backups", "now", () => true)))
      assert.match(held.message, /^\/backups is locked by pid 999999 .* another export is running/)
      yield* Effect.scoped(
        Effect.gen(function* () {
          yield* acquireLock(dir, "/backups", "now", () => false)
          const info = JSON.parse(yield* Effect.promise(() => readFile(join(dir, LOCK_FILE), "utf8")))
          assert.strictEqual(info.pid, process.pid)
        })
      )
      assert.deepStrictEqual(yield* Effect.promise(() => readdir(dir)), []) // released
    })
  )
})
