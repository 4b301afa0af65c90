// The commands with archives in S3, in-process against fakehub and a local S3 server over HTTP: export, verify,
// inspect, diff, history, restore and prune on s3:// locations, and the exit codes of what is wrong before any work starts.
import { type FakeHub, startFakeHub } from "@spaces-vault/fixtures"
import { type FakeS3, startFakeS3 } from "@spaces-vault/fixtures/s3/FakeS3"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { afterAll, beforeAll } from "vitest"
import { runCli, tmp } from "../harness.ts"

let hub: FakeHub
let s3: FakeS3
let env: Record<string, string>

beforeAll(async () => {
  hub = await startFakeHub({ seed: "demo" })
  s3 = await startFakeS3({ buckets: ["vault"] })
  env = { GH_TOKEN: hub.token, GITHUB_API_URL: hub.url, ...s3.env }
})
afterAll(async () => {
  assert.deepStrictEqual(hub.counters.contractViolations, [])
  await s3.close()
  await hub.close()
})

const cli = (...args: ReadonlyArray<string>) => Effect.promise(() => runCli(args, env))

describe("spaces-vault with archives in S3", () => {
  it.live("export to s3://, then verify, inspect, diff, history, restore and prune read and delete there", () =>
    Effect.gen(function* () {
      const first = yield* cli("export", "--org", "octo-archive", "--out", "s3://vault/nightly", "--json")
      assert.strictEqual(first.code, 0, first.stderr.join("\n"))
      const archive: string = first.json().archive
      assert.match(archive, /^s3:\/\/vault\/nightly\/spaces-vault-\d{8}T\d{6}Z(-\d+)?\.zip$/)
      const before304 = hub.counters.byStatus()[304] ?? 0
      const second = yield* cli("export", "--org", "octo-archive", "--out", "s3://vault/nightly", "--json")
      assert.strictEqual(second.code, 0, second.stderr.join("\n"))
      // The default --since was found in S3: unchanged spaces answered 304.
      assert.isAbove((hub.counters.byStatus()[304] ?? 0) - before304, 0)
      // The change report after the export compared the two archives in S3.
      assert.deepStrictEqual(
        second.stderr.filter((l) => l.includes("no change report")),
        []
      )
      assert.deepStrictEqual(Object.keys(second.json().changes), ["octo-archive"])

      const verified = yield* cli("verify", archive)
      assert.strictEqual(verified.code, 0)
      assert.match(verified.stdout.join("\n"), new RegExp(`^ok: ${archive.replaceAll(".", "\\.")} \\(`))
      const inspected = yield* cli("inspect", archive, "--json")
      assert.strictEqual(inspected.code, 0)
      assert.strictEqual(inspected.json().archive, archive)
      const diffed = yield* cli("diff", "s3://vault/nightly", "--json")
      assert.strictEqual(diffed.code, 0, diffed.stderr.join("\n"))
      // history and restore's search read the manifests there, and restore replays from the archive in S3.
      const number: number = inspected.json().owners[0].spaces[0].number
      const history = yield* cli(
        "history",
        "--from",
        "s3://vault/nightly",
        "--space",
        `octo-archive/${number}`,
        "--json"
      )
      assert.strictEqual(history.code, 0, history.stderr.join("\n"))
      assert.strictEqual(history.json().events[0].kind, "appeared")
      const restored = yield* cli(
        "restore",
        "--from",
        "s3://vault/nightly",
        "--space",
        `octo-archive/${number}`,
        "--dry-run",
        "--json"
      )
      assert.strictEqual(restored.code, 0, restored.stderr.join("\n"))
      assert.deepStrictEqual(restored.json().sources, [
        { space: `octo-archive/${number}`, archive: second.json().archive.split("/").at(-1) }
      ])

      const pruned = yield* cli("prune", "s3://vault/nightly", "--keep-last", "1", "--json")
      assert.strictEqual(pruned.code, 0, pruned.stderr.join("\n"))
      assert.deepStrictEqual(
        pruned.json().remove.map((a: { name: string }) => a.name),
        [archive.split("/").at(-1)]
      )
      const gone = yield* cli("verify", archive)
      assert.strictEqual(gone.code, 1)
    })
  )

  it.live("a bucket that does not exist: one sentence naming it, exit 2, and GitHub is never asked", () =>
    Effect.gen(function* () {
      const before = hub.counters.requests
      const r = yield* cli("export", "--org", "octo-archive", "--out", "s3://no-such-bucket/x")
      assert.strictEqual(r.code, 2)
      assert.strictEqual(r.stderr.length, 1)
      assert.match(r.stderr[0] ?? "", /S3 bucket no-such-bucket does not exist/)
      assert.strictEqual(hub.counters.requests, before)
    })
  )

  it.live("an endpoint nobody listens on is exit 2 at the start; a malformed one is a usage error", () =>
    Effect.gen(function* () {
      const dead = yield* cli("verify", "s3://vault/x/a.zip", "--s3-endpoint", "http://127.0.0.1:9")
      assert.strictEqual(dead.code, 2)
      assert.match(dead.stderr[0] ?? "", /cannot reach the S3 endpoint for bucket vault: .*ECONNREFUSED/)
      const bad = yield* cli("verify", "s3://vault/x/a.zip", "--s3-endpoint", "minio:9000")
      assert.strictEqual(bad.code, 2)
      assert.deepStrictEqual(bad.stderr, ["error: --s3-endpoint minio:9000 is not an http:// or https:// URL"])
    })
  )

  it.live("Object Lock flags need an s3:// --out, and a mode needs its days", () =>
    Effect.gen(function* () {
      const out = yield* tmp
      const local = yield* cli("export", "--org", "octo-archive", "--out", out, "--object-lock-days", "7")
      assert.strictEqual(local.code, 2)
      assert.deepStrictEqual(local.stderr, ["error: --object-lock-days and --object-lock-mode need an s3:// --out"])
      const modeOnly = yield* cli(
        "export",
        "--org",
        "octo-archive",
        "--out",
        "s3://vault/locked",
        "--object-lock-mode",
        "compliance"
      )
      assert.strictEqual(modeOnly.code, 2)
      assert.deepStrictEqual(modeOnly.stderr, ["error: --object-lock-mode needs --object-lock-days"])
    })
  )
})
