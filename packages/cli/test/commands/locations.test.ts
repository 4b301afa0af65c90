// Where archives live, on the command line: every command that takes a directory or an archive refuses a scheme it
// does not support (exit 2, one sentence, nothing written) instead of taking `s3:/vault` as a local path.
import { readdir } from "node:fs/promises"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { cli, tmp } from "../harness.ts"

/** Runs in a fresh directory, so that a location misread as a relative path would show up as a file there. */
const refusedIn = (args: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    const cwd = yield* tmp
    const r = yield* cli(args, { GH_TOKEN: "ghp_unused" }, { cwd })
    return { ...r, left: yield* Effect.promise(() => readdir(cwd)) }
  })

describe("archive locations", () => {
  it.live("export --out ftp://… and --out s3:/… (one slash) exit 2 before any request, writing nothing", () =>
    Effect.gen(function* () {
      const ftp = yield* refusedIn(["export", "--org", "octo-org", "--out", "ftp://host/backups"])
      assert.strictEqual(ftp.code, 2)
      assert.strictEqual(
        ftp.stderr.join("\n"),
        "error: --out ftp://host/backups: archives cannot be stored at ftp:// locations; use a local directory or s3://bucket/prefix"
      )
      assert.deepStrictEqual(ftp.left, [])
      const typo = yield* refusedIn(["export", "--org", "octo-org", "--out", "s3:/vault/nightly", "--json"])
      assert.strictEqual(typo.code, 2)
      assert.match(
        typo.stderr.join("\n"),
        /^error: --out s3:\/vault\/nightly: an S3 location is written s3:\/\/bucket\/prefix$/
      )
      assert.deepStrictEqual(typo.stdout, [])
      assert.deepStrictEqual(typo.left, [])
    })
  )

  it.live("export --since file://… is refused with a hint to give the path", () =>
    Effect.gen(function* () {
      const r = yield* refusedIn(["export", "--org", "octo-org", "--out", "out", "--since", "file:///tmp/a.zip"])
      assert.strictEqual(r.code, 2)
      assert.strictEqual(
        r.stderr.join("\n"),
        "error: --since file:///tmp/a.zip: file:// locations are not supported; give the local path itself"
      )
      assert.deepStrictEqual(r.left, [])
    })
  )

  it.live("verify, inspect, diff (both forms), replay and prune refuse other schemes with exit 2", () =>
    Effect.gen(function* () {
      for (const args of [
        ["verify", "https://example.com/a.zip"],
        ["inspect", "ftp://host/a.zip"],
        ["diff", "ftp://host/a.zip", "ftp://host/b.zip"],
        ["diff", "gs://bucket/backups"],
        ["replay", "sftp://host/a.zip", "--dry-run"],
        ["prune", "ftp://host/backups", "--keep-last", "3"],
        ["history", "--from", "ftp://host/backups", "--space", "octo-org/1"],
        ["restore", "--from", "ftp://host/backups", "--space", "octo-org/1", "--dry-run"]
      ]) {
        const r = yield* refusedIn(args)
        assert.strictEqual(r.code, 2, args.join(" "))
        assert.match(r.stderr.join("\n"), /: archives cannot be stored at [a-z]+:\/\/ locations/, args.join(" "))
        assert.deepStrictEqual(r.left, [], args.join(" "))
      }
    })
  )

  // S3 is supported now (commands/s3.test.ts); what stays refused before any work is an S3 location that cannot be
  // reached, and a location where an archive is needed.
  it.live("an S3 location whose endpoint cannot be reached is exit 2 before any work, writing nothing locally", () =>
    Effect.gen(function* () {
      const cwd = yield* tmp
      const args = ["export", "--org", "octo-org", "--out", "s3://vault/nightly", "--s3-endpoint", "http://127.0.0.1:9"]
      const env = { GH_TOKEN: "ghp_unused", AWS_ACCESS_KEY_ID: "test", AWS_SECRET_ACCESS_KEY: "test" }
      const r = { ...(yield* cli(args, env, { cwd })), left: yield* Effect.promise(() => readdir(cwd)) }
      assert.strictEqual(r.code, 2)
      assert.match(
        r.stderr.join("\n"),
        /^error: --out s3:\/\/vault\/nightly: cannot reach the S3 endpoint for bucket vault: .*ECONNREFUSED/
      )
      const verify = yield* refusedIn(["verify", "s3://vault/nightly"])
      assert.strictEqual(verify.code, 2)
      assert.match(verify.stderr.join("\n"), /names a location, not an archive/)
      assert.deepStrictEqual([...r.left, ...verify.left], [])
      // history and restore read through the store like export: an unreachable S3 location is refused the same way.
      for (const args of [
        ["history", "--from", "s3://vault/nightly", "--space", "octo-org/1"],
        ["restore", "--from", "s3://vault/nightly", "--space", "octo-org/1", "--dry-run"]
      ]) {
        const c = yield* tmp
        const s3 = yield* cli([...args, "--s3-endpoint", "http://127.0.0.1:9"], env, { cwd: c })
        assert.strictEqual(s3.code, 2, args.join(" "))
        assert.match(
          s3.stderr.join("\n"),
          /^error: --from s3:\/\/vault\/nightly: cannot reach the S3 endpoint for bucket vault: .*ECONNREFUSED/,
          args.join(" ")
        )
        assert.deepStrictEqual(yield* Effect.promise(() => readdir(c)), [])
      }
      const archive = yield* refusedIn(["history", "--from", "s3://vault/nightly/a.zip", "--space", "octo-org/1"])
      assert.strictEqual(archive.code, 2)
      assert.match(archive.stderr.join("\n"), /^error: --from s3:\/\/vault\/nightly\/a\.zip: names an archive/)
    })
  )
})
