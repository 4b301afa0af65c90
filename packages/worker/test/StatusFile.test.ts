// status.json: written atomically into the state directory, read back at start, from the output directory when an
// older worker left it there.
import { mkdir, readdir, stat, writeFile } from "node:fs/promises"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { readLastStatus, type RunStatus, writeStatus } from "../src/StatusFile.ts"
import { tmp } from "./WorkerTestKit.ts"

const status: RunStatus = {
  lastRunStartedAt: "2026-11-25T01:30:00.000Z",
  lastRunFinishedAt: "2026-11-25T01:31:00.000Z",
  result: "success",
  archive: "/a.zip",
  owners: [{ owner: "o", kind: "org", spaces: 12, failed: 0, failures: [] }],
  requests: 30,
  durationMs: 60_000,
  error: null,
  removedArchives: [],
  unreadableArchives: [],
  nextRunAt: null,
  lastSuccessAt: "2026-11-25T01:31:00.000Z"
}

describe("StatusFile", () => {
  it.effect("writes status.json privately and reads it back", () =>
    Effect.gen(function* () {
      const dir = yield* tmp
      const state = join(dir, ".spaces-vault")
      yield* Effect.promise(() => mkdir(state))
      yield* writeStatus(state, status)
      assert.deepStrictEqual(yield* Effect.promise(() => readdir(state)), ["status.json"])
      assert.strictEqual((yield* Effect.promise(() => stat(join(state, "status.json")))).mode & 0o777, 0o600)
      assert.deepStrictEqual(yield* readLastStatus(state, dir), { status, legacy: false })
    })
  )

  it.effect("finds the status an older worker wrote into the output directory; nothing when there is none", () =>
    Effect.gen(function* () {
      const dir = yield* tmp
      const state = join(dir, ".spaces-vault")
      assert.deepStrictEqual(yield* readLastStatus(state, dir), { status: undefined, legacy: true })
      // Written before lastSuccessAt existed.
      const { lastSuccessAt: _, ...old } = status
      yield* Effect.promise(() => writeFile(join(dir, "status.json"), JSON.stringify(old)))
      assert.deepStrictEqual(yield* readLastStatus(state, dir), { status: old, legacy: true })
    })
  )

  it.effect("a status file that cannot be read or is not a status says so, naming it", () =>
    Effect.gen(function* () {
      const dir = yield* tmp
      yield* Effect.promise(() => writeFile(join(dir, "status.json"), "{ not json"))
      const e = yield* Effect.flip(readLastStatus(dir, dir))
      assert.strictEqual(e.message, `cannot read status.json in ${dir}: it is not a worker status file`)
      const state = join(dir, "state")
      yield* Effect.promise(() => mkdir(join(state, "status.json"), { recursive: true }))
      const isDir = yield* Effect.flip(readLastStatus(state, dir))
      assert.strictEqual(isDir.message, `cannot read status.json in ${state}: is a directory, not a file`)
      const blocked = yield* Effect.flip(writeStatus(join(dir, "status.json"), status))
      assert.match(
        blocked.message,
        /^cannot write status\.json in .*status\.json: a part of the path is not a directory$/
      )
    })
  )
})
