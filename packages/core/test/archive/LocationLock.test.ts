// Location locks on a real state directory: one export per location and shard, one retention per location, and a
// refusal that names the holder.
import { mkdtemp, readdir, writeFile } from "node:fs/promises"
import { hostname, tmpdir } from "node:os"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit } from "effect"
import { locationKey, locationLockPath, lockLocation } from "../../src/archive/LocationLock.ts"

const stateDir = Effect.promise(() => mkdtemp(join(tmpdir(), "sv-location-lock-")))
const s3 = { _tag: "S3", bucket: "vault", prefix: "nightly" } as const

describe("locationLockPath", () => {
  it("names one location however it was written, and S3 locations by bucket and prefix", () => {
    assert.strictEqual(locationKey("/backups/./nightly/"), "/backups/nightly")
    assert.strictEqual(locationKey(s3), "s3://vault/nightly")
    assert.strictEqual(
      locationLockPath("/state", "export", "/backups/nightly"),
      locationLockPath("/state", "export", "/backups//nightly/")
    )
    assert.match(locationLockPath("/state", "retention", s3), /^\/state\/retention-nightly-[0-9a-f]{12}\.lock$/)
    // Two buckets with one prefix are two locations.
    assert.notStrictEqual(
      locationLockPath("/state", "retention", s3),
      locationLockPath("/state", "retention", { ...s3, bucket: "other" })
    )
  })

  it("an export's lock is per shard; retention's is one for every shard", () => {
    const shard = { index: 1, count: 4 }
    assert.match(
      locationLockPath("/state", "export", s3, shard),
      /^\/state\/export-nightly-[0-9a-f]{12}-shard-1-of-4\.lock$/
    )
    assert.notStrictEqual(locationLockPath("/state", "export", s3, shard), locationLockPath("/state", "export", s3))
    assert.strictEqual(locationLockPath("/state", "retention", s3, shard), locationLockPath("/state", "retention", s3))
  })
})

describe("lockLocation", () => {
  it.effect("a second holder of one location's retention is refused with the first holder's pid, host and time", () =>
    Effect.gen(function* () {
      const dir = join(yield* stateDir, "state-not-yet-made")
      yield* Effect.scoped(
        Effect.gen(function* () {
          yield* lockLocation(dir, "retention", "/backups")
          const second = yield* Effect.flip(Effect.scoped(lockLocation(dir, "retention", "/backups/")))
          assert.strictEqual(second.reason._tag, "Held")
          assert.match(
            second.message,
            new RegExp(
              `^retention of /backups is locked by pid ${process.pid} on ${hostname()} since \\d{4}-\\d\\d-\\d\\dT.*Z; another retention \\(a prune or a worker\\) is deleting there$`
            )
          )
          // Another location is not refused.
          assert.isTrue(Exit.isSuccess(yield* Effect.exit(Effect.scoped(lockLocation(dir, "retention", "/other")))))
        })
      )
      // Released with its scope.
      assert.deepStrictEqual(yield* Effect.promise(() => readdir(dir)), [])
      assert.isTrue(Exit.isSuccess(yield* Effect.exit(Effect.scoped(lockLocation(dir, "retention", "/backups")))))
    })
  )

  it.effect("two exports of one shard to one location exclude each other; other shards run side by side", () =>
    Effect.gen(function* () {
      const dir = yield* stateDir
      yield* Effect.scoped(
        Effect.gen(function* () {
          yield* lockLocation(dir, "export", s3, { shard: { index: 0, count: 2 } })
          yield* lockLocation(dir, "export", s3, { shard: { index: 1, count: 2 } })
          const again = yield* Effect.flip(
            Effect.scoped(lockLocation(dir, "export", s3, { shard: { index: 0, count: 2 } }))
          )
          assert.match(
            again.message,
            /^exporting shard 0 of 2 to s3:\/\/vault\/nightly is locked by pid \d+ on .* since .*; another export of it is running$/
          )
        })
      )
    })
  )

  it.effect("a state directory that cannot be made is Unusable, naming it", () =>
    Effect.gen(function* () {
      const file = join(yield* stateDir, "a-file")
      yield* Effect.promise(() => writeFile(file, "not a directory"))
      const e = yield* Effect.flip(Effect.scoped(lockLocation(file, "export", "/backups")))
      assert.strictEqual(e.reason._tag, "Unusable")
      assert.match(e.message, /^cannot lock exporting to \/backups: cannot create the state directory .*a-file: /)
    })
  )
})
