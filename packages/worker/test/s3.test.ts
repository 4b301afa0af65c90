// The worker with its archives in S3, in-process against fakehub and a local S3 server over HTTP: two --once runs
// write two archives to the bucket, retention deletes there, and the lock and status.json stay in the state directory.
import { readdir, readFile, writeFile } from "node:fs/promises"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { startFakeS3 } from "@spaces-vault/fixtures/s3/FakeS3"
import { makeS3Client } from "@spaces-vault/core/archive/s3/S3Client"
import { makeS3Objects } from "@spaces-vault/core/archive/s3/S3Objects"
import { Effect } from "effect"
import { demoHub, runWorker, tmp } from "./WorkerTestKit.ts"

/**
 * fakehub, a local S3 server with the bucket `vault`, and a worker config in a new directory writing to `outputDir`
 * (state in `state/` beside the config); `extra` adds config keys. Closed with the test's scope.
 */
const workerWithS3 = (outputDir: string, extra: Record<string, unknown> = {}) =>
  Effect.gen(function* () {
    const hub = yield* demoHub
    const s3 = yield* Effect.acquireRelease(
      Effect.promise(() => startFakeS3({ buckets: ["vault"] })),
      (s) => Effect.promise(() => s.close())
    )
    const dir = yield* tmp
    const path = join(dir, "worker.json")
    const config = {
      owners: { orgs: ["octo-archive"] },
      schedule: { cron: "30 2 * * *" },
      outputDir,
      stateDir: "state",
      s3Endpoint: s3.endpoint,
      ...extra
    }
    yield* Effect.promise(() => writeFile(path, JSON.stringify(config)))
    const env = { GH_TOKEN: hub.token, GITHUB_API_URL: hub.url, ...s3.credentialsEnv }
    return { hub, s3, dir, path, env }
  })

describe("the worker with outputDir in S3", () => {
  it.live("--once runs upload to the bucket, retention deletes there, state stays local", () =>
    Effect.gen(function* () {
      const { s3, dir, path, env } = yield* workerWithS3("s3://vault/nightly", { retention: { keepLast: 1 } })
      const first = yield* runWorker(["--config", path, "--once"], env)
      assert.strictEqual(first.code, 0, [...first.stderr, ...first.lines].join("\n"))
      const second = yield* runWorker(["--config", path, "--once"], env)
      assert.strictEqual(second.code, 0, [...second.stderr, ...second.lines].join("\n"))

      const status = JSON.parse(yield* Effect.promise(() => readFile(join(dir, "state", "status.json"), "utf8")))
      assert.strictEqual(status.result, "success")
      assert.match(status.archive, /^s3:\/\/vault\/nightly\/spaces-vault-.*\.zip$/)
      assert.strictEqual(status.removedArchives.length, 1)
      // The change report compared the second night with the first, in the bucket.
      assert.deepStrictEqual(Object.keys(status.changes ?? {}), ["octo-archive"])
      assert.deepStrictEqual(
        [...second.stderr, ...second.lines].filter((l) => String(JSON.stringify(l)).includes("no change report")),
        []
      )
      const client = makeS3Client({ endpoint: s3.endpoint }, {}, { credentials: s3.credentials })
      const listed = yield* makeS3Objects(client, "vault").list("nightly")
      client.destroy()
      assert.deepStrictEqual(
        listed.map((o) => `s3://vault/nightly/${o.name}`),
        [status.archive]
      )
      // Nothing of the archives on the local disk: only the state directory and the config.
      assert.deepStrictEqual((yield* Effect.promise(() => readdir(dir))).sort(), ["state", "worker.json"])
    }).pipe(Effect.scoped)
  )

  it.live("--once exits 2 when the bucket does not exist, and status.json says why", () =>
    Effect.gen(function* () {
      const { hub, dir, path, env } = yield* workerWithS3("s3://no-such-vault/nightly")
      const requestsBefore = hub.counters.requests
      const once = yield* runWorker(["--config", path, "--once"], env)
      assert.strictEqual(once.code, 2, [...once.stderr, ...once.lines].join("\n"))
      assert.strictEqual(once.stderr.length, 1)
      assert.match(String(once.stderr[0]), /^error: .*no-such-vault.* does not exist/)
      // Nothing was asked of GitHub: the bucket is probed first.
      assert.strictEqual(hub.counters.requests, requestsBefore)
      const status = JSON.parse(yield* Effect.promise(() => readFile(join(dir, "state", "status.json"), "utf8")))
      assert.strictEqual(status.result, "failed")
      assert.match(status.error, /no-such-vault.* does not exist/)
    }).pipe(Effect.scoped)
  )
})
