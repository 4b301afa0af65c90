// The config file: every problem named by its field in plain words, relative paths against the file's directory.
import { mkdir, writeFile } from "node:fs/promises"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { decodeConfig, loadConfig } from "../src/WorkerConfig.ts"
import { tmp } from "./WorkerTestKit.ts"

const ok = { owners: { orgs: ["octo-org"] }, schedule: { cron: "30 2 * * *", timeZone: "UTC" }, outputDir: "/tmp/x" }
const problem = (raw: unknown) => Effect.flip(decodeConfig("w.yaml", raw)).pipe(Effect.map((e) => e.message))

describe("WorkerConfig", () => {
  it.effect("names a GitHub App by its id and key file (relative to the config file), never the key", () =>
    Effect.gen(function* () {
      const { config } = yield* decodeConfig("/etc/sv/w.yaml", {
        ...ok,
        app: { id: 123456, privateKeyFile: "app.pem" }
      })
      assert.deepStrictEqual(config.app, { id: 123456, privateKeyFile: "/etc/sv/app.pem" })
      assert.match(yield* problem({ ...ok, app: { id: 1, privateKey: "-----BEGIN" } }), /app\.privateKey: unknown key/)
      assert.match(
        yield* problem({ ...ok, app: { id: 1, privateKeyFile: " " } }),
        /app\.privateKeyFile: give the path of the App's PEM private key/
      )
    })
  )

  it.effect("allInstallations needs an app, and then owners may be left out", () =>
    Effect.gen(function* () {
      const app = { id: 123456, privateKeyFile: "app.pem" }
      const { owners: _, ...withoutOwners } = ok
      const { config } = yield* decodeConfig("/etc/sv/w.yaml", { ...withoutOwners, app, allInstallations: true })
      assert.strictEqual(config.allInstallations, true)
      assert.isUndefined(config.owners)
      assert.strictEqual(
        yield* problem({ ...ok, allInstallations: true }),
        "config w.yaml: allInstallations: needs a GitHub App: add app: { id, privateKeyFile }"
      )
      assert.match(
        yield* problem(withoutOwners),
        /^config w\.yaml: owners: list at least one org or user \(or set allInstallations: true with an app\)$/
      )
      assert.match(
        yield* problem({ ...ok, app, allInstallations: "yes" }),
        /allInstallations: expected true or false, got "yes"/
      )
    })
  )

  it.effect("takes a shard as { index, count } and refuses one that cannot be, naming the key", () =>
    Effect.gen(function* () {
      const { config } = yield* decodeConfig("w.yaml", { ...ok, shard: { index: 1, count: 4 } })
      assert.deepStrictEqual(config.shard, { index: 1, count: 4 })
      assert.match(yield* problem({ ...ok, shard: { index: 3, count: 3 } }), /shard: the shard index must be .* 0 to 2/)
      assert.match(yield* problem({ ...ok, shard: { index: -1, count: 2 } }), /shard: the shard index/)
      assert.match(yield* problem({ ...ok, shard: { index: 0, count: 0 } }), /shard: the shard count must be/)
      assert.match(yield* problem({ ...ok, shard: { index: "a", count: 2 } }), /shard\.index/)
      assert.match(yield* problem({ ...ok, shard: { index: 0 } }), /shard\.count/)
    })
  )

  it.effect("accepts a valid file and names the exact field of a bad one", () =>
    Effect.gen(function* () {
      assert.strictEqual((yield* decodeConfig("w.yaml", ok)).config.outputDir, "/tmp/x")
      assert.match(yield* problem({ ...ok, retention: { keepDaily: -1 } }), /retention.*keepDaily|keepDaily/)
      assert.match(yield* problem({ ...ok, concurrency: 500 }), /concurrency/)
      assert.match(
        yield* problem({ ...ok, schedule: { cron: "every night" } }),
        /schedule\.cron: "every night" is not a valid cron expression/
      )
      assert.match(yield* problem({ ...ok, owners: {} }), /owners: list at least one org or user/)
      assert.match(
        yield* problem({ ...ok, owners: { orgs: ["octo org"] } }),
        /owners: "octo org" is not a GitHub login/
      )
      assert.match(
        yield* problem({ ...ok, owners: { orgs: ["mona"], users: ["mona"] } }),
        /owners: mona is given as both/
      )
      assert.match(yield* problem({ ...ok, token: "ghp_x" }), /token/)
    })
  )

  it.effect(
    "says what is wrong in plain words: an unknown key and what was meant, the expected value, all problems",
    () =>
      Effect.gen(function* () {
        const { outputDir: _, ...withoutOutputDir } = ok
        assert.strictEqual(
          yield* problem({ ...withoutOutputDir, outputdir: "/tmp/x" }),
          "config w.yaml: outputdir: unknown key (did you mean outputDir?); outputDir: missing (required)"
        )
        assert.strictEqual(
          yield* problem({ ...ok, retention: { keepDaily: -1, keeplast: 2 } }),
          "config w.yaml: retention.keeplast: unknown key (did you mean keepLast?); " +
            "retention.keepDaily: expected a value greater than or equal to 0, got -1"
        )
        assert.strictEqual(
          yield* problem({ ...ok, concurrency: 500 }),
          "config w.yaml: concurrency: expected a value between 1 and 100, got 500"
        )
        assert.strictEqual(
          yield* problem({ ...ok, owners: { orgs: "octo-org" } }),
          'config w.yaml: owners.orgs: expected a list, got "octo-org"'
        )
        assert.strictEqual(yield* problem([]), "config w.yaml: the file: expected a mapping (key: value), got a list")
        // The token is never in the file, and an unknown key's value is never repeated.
        assert.strictEqual(yield* problem({ ...ok, token: "ghp_secret" }), "config w.yaml: token: unknown key")
      })
  )

  it.effect("an outputDir with a scheme is refused at load, never taken as a relative path", () =>
    Effect.gen(function* () {
      assert.strictEqual(
        yield* problem({ ...ok, outputDir: "ftp://host/backups" }),
        "config w.yaml: outputDir: ftp://host/backups: archives cannot be stored at ftp:// locations; use a local directory or s3://bucket/prefix"
      )
      assert.strictEqual(
        yield* problem({ ...ok, outputDir: "s3:/vault/nightly" }),
        "config w.yaml: outputDir: s3:/vault/nightly: an S3 location is written s3://bucket/prefix"
      )
      // An S3 location is understood (S3 is supported), and then needs a local stateDir.
      assert.match(
        yield* problem({ ...ok, outputDir: "s3://vault/nightly" }),
        /stateDir: required when outputDir is in S3/
      )
    })
  )

  it.effect("a bad cron says which of its fields is wrong", () =>
    Effect.gen(function* () {
      assert.strictEqual(
        yield* problem({ ...ok, schedule: { cron: "30 25 * * *" } }),
        'config w.yaml: schedule.cron: "30 25 * * *" is not a valid cron expression (the hour field "25" is wrong)'
      )
      assert.strictEqual(
        yield* problem({ ...ok, schedule: { cron: "30 2 * 13 *" } }),
        'config w.yaml: schedule.cron: "30 2 * 13 *" is not a valid cron expression (the month field "13" is wrong)'
      )
      assert.strictEqual(
        yield* problem({ ...ok, schedule: { cron: "every night" } }),
        'config w.yaml: schedule.cron: "every night" is not a valid cron expression ' +
          "(minute hour day-of-month month day-of-week expected, got 2 fields)"
      )
    })
  )

  it.effect(
    "refuses a cron that never fires, names a bad time zone, an empty outputDir and a bad apiUrl by their fields",
    () =>
      Effect.gen(function* () {
        assert.strictEqual(
          yield* problem({ ...ok, schedule: { cron: "0 0 31 2 *" } }),
          'config w.yaml: schedule.cron: "0 0 31 2 *" never fires'
        )
        assert.match(
          yield* problem({ ...ok, schedule: { cron: "0 0 30 2 *", timeZone: "Europe/Berlin" } }),
          /^config w\.yaml: schedule\.cron: .* never fires/
        )
        // February 29th comes every four years: rare, but it fires.
        const leap = yield* decodeConfig("w.yaml", { ...ok, schedule: { cron: "0 0 29 2 *" } })
        assert.strictEqual(leap.config.schedule.cron, "0 0 29 2 *")
        assert.match(
          yield* problem({ ...ok, schedule: { cron: "30 2 * * *", timeZone: "Mars/Olympus" } }),
          /^config w\.yaml: schedule\.timeZone: "Mars\/Olympus" is not/
        )
        assert.match(yield* problem({ ...ok, outputDir: "" }), /^config w\.yaml: outputDir: /)
        assert.match(yield* problem({ ...ok, outputDir: "  " }), /^config w\.yaml: outputDir: /)
        assert.match(yield* problem({ ...ok, stateDir: " " }), /^config w\.yaml: stateDir: /)
        assert.match(
          yield* problem({ ...ok, apiUrl: "ftp://example.com" }),
          /^config w\.yaml: apiUrl: the API URL must start with https:\/\//
        )
        assert.match(yield* problem({ ...ok, apiUrl: "not a url" }), /^config w\.yaml: apiUrl: /)
        const ghe = yield* decodeConfig("w.yaml", { ...ok, apiUrl: "https://ghe.example.com" })
        assert.strictEqual(ghe.config.apiUrl, "https://ghe.example.com")
      })
  )

  it.effect(
    "resolves relative paths against the config file's directory; the state directory defaults into outputDir",
    () =>
      Effect.gen(function* () {
        const dir = yield* tmp
        const path = join(dir, "etc", "worker.json")
        yield* Effect.promise(() => mkdir(join(dir, "etc")))
        const write = (config: object) => Effect.promise(() => writeFile(path, JSON.stringify({ ...ok, ...config })))
        yield* write({ outputDir: "../archives" })
        const byDefault = (yield* loadConfig(path)).config
        assert.strictEqual(byDefault.outputDir, join(dir, "archives"))
        assert.strictEqual(byDefault.stateDir, join(dir, "archives", ".spaces-vault"))
        yield* write({ outputDir: "archives", stateDir: "state" })
        const given = (yield* loadConfig(path)).config
        assert.deepStrictEqual(
          [given.outputDir, given.stateDir],
          [join(dir, "etc", "archives"), join(dir, "etc", "state")]
        )
        yield* write({ outputDir: "/srv/archives", stateDir: "/var/lib/spaces-vault" })
        const absolute = (yield* loadConfig(path)).config
        assert.deepStrictEqual([absolute.outputDir, absolute.stateDir], ["/srv/archives", "/var/lib/spaces-vault"])
      })
  )

  it.effect("a file that cannot be read says why in words, not an errno code", () =>
    Effect.gen(function* () {
      const dir = yield* tmp
      const missing = yield* Effect.flip(loadConfig(join(dir, "missing.yaml")))
      assert.strictEqual(
        missing.message,
        `config ${join(dir, "missing.yaml")}: cannot be read: no such file or directory`
      )
      const directory = yield* Effect.flip(loadConfig(dir))
      assert.strictEqual(directory.message, `config ${dir}: cannot be read: is a directory, not a file`)
      yield* Effect.promise(() => writeFile(join(dir, "w.yaml"), "owners: [\n"))
      assert.match((yield* Effect.flip(loadConfig(join(dir, "w.yaml")))).message, /^config .*w\.yaml: not valid YAML: /)
    })
  )

  it.effect("notify.webhookUrlFile is a path relative to the config file, never the URL itself", () =>
    Effect.gen(function* () {
      const { config } = yield* decodeConfig("/etc/sv/w.yaml", { ...ok, notify: { webhookUrlFile: "hook-url" } })
      assert.deepStrictEqual(config.notify, { webhookUrlFile: "/etc/sv/hook-url" })
      // A URL put in the config by mistake is refused without being repeated.
      const said = yield* problem({ ...ok, notify: { webhookUrl: "https://hooks.example/x" } })
      assert.match(said, /notify\.webhookUrl: unknown key; notify\.webhookUrlFile: missing/)
      assert.notInclude(said, "hooks.example")
    })
  )

  it.effect("an outputDir in S3 is kept as given and needs a local stateDir; its S3 keys are checked", () =>
    Effect.gen(function* () {
      const s3 = { ...ok, outputDir: "s3://vault/nightly", stateDir: "/var/lib/spaces-vault" }
      const { config } = yield* decodeConfig("w.yaml", { ...s3, s3Endpoint: "http://127.0.0.1:9000" })
      assert.deepStrictEqual([config.outputDir, config.stateDir], ["s3://vault/nightly", "/var/lib/spaces-vault"])
      assert.strictEqual(
        yield* problem({ ...ok, outputDir: "s3://vault/nightly" }),
        "config w.yaml: stateDir: required when outputDir is in S3: the lock and status.json live in a local directory"
      )
      assert.match(yield* problem({ ...s3, outputDir: "s3://V/x" }), /^config w\.yaml: outputDir: s3:\/\/V\/x: /)
      assert.strictEqual(
        yield* problem({ ...s3, s3Endpoint: "minio:9000" }),
        'config w.yaml: s3Endpoint: "minio:9000" is not an http:// or https:// URL'
      )
      assert.strictEqual(
        yield* problem({ ...ok, objectLockDays: 7 }),
        "config w.yaml: objectLockDays: only for an outputDir in S3 (s3://bucket/prefix)"
      )
    })
  )

  it.effect("refuses an Object Lock longer than the shortest time retention keeps an archive", () =>
    Effect.gen(function* () {
      const s3 = { ...ok, outputDir: "s3://vault/nightly", stateDir: "/var/lib/spaces-vault" }
      const fits = yield* decodeConfig("w.yaml", {
        ...s3,
        objectLockDays: 7,
        objectLockMode: "compliance",
        retention: { keepDaily: 7, keepMonthly: 12 }
      })
      assert.strictEqual(fits.config.objectLockMode, "compliance")
      assert.strictEqual(
        yield* problem({ ...s3, objectLockDays: 8, retention: { keepDaily: 7, keepMonthly: 12 } }),
        "config w.yaml: objectLockDays: 8 days is longer than retention keeps an archive (keepDaily 7: 7 days), so retention would find archives it drops still locked"
      )
      // keepLast counts runs: 3 nightly runs keep an archive 3 days.
      assert.match(yield* problem({ ...s3, objectLockDays: 4, retention: { keepLast: 3 } }), /\(keepLast 3: 3 days\)/)
      assert.strictEqual(
        yield* problem({ ...s3, objectLockMode: "governance" }),
        "config w.yaml: objectLockMode: set objectLockDays too, or leave the key out"
      )
    })
  )
})
