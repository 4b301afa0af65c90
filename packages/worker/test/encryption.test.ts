// The worker's encryption keys: encryptTo and encryptToFile (relative to the config file) read and checked at load,
// a bad recipient refused naming the key without repeating it, and every run writing an encrypted archive (format 2)
// that only an identity of the set opens.
import { readFile, writeFile } from "node:fs/promises"
import { join } from "node:path"
import { NodeServices } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { startFakeHub } from "@spaces-vault/fixtures"
import { ConfigProvider, Effect, Layer, Stream } from "effect"
import { TestConsole } from "effect/testing"
import { openArchive } from "@spaces-vault/core/archive/ArchiveReader"
import { ArchiveIdentities } from "@spaces-vault/core/crypto/ArchiveIdentities"
import { parseIdentitiesText } from "@spaces-vault/core/crypto/Identities"
import { recipientFingerprint } from "@spaces-vault/core/crypto/Recipients"
import { GitHubClient } from "@spaces-vault/core/github/GitHubClient"
import { run } from "../src/main.ts"
import { RunHistory } from "../src/RunHistory.ts"
import { liveExport, runOnce } from "../src/RunOnce.ts"
import { decodeConfig, loadConfig } from "../src/WorkerConfig.ts"
import { newKey } from "../../core/test/crypto/keys.ts"
import { testClientOptions } from "../../core/test/github/testClientOptions.ts"
import { captureLogs, tmp } from "./WorkerTestKit.ts"

const ok = { owners: { orgs: ["octo-org"] }, schedule: { cron: "30 2 * * *" }, outputDir: "/tmp/x" }
const problem = (raw: unknown) => Effect.flip(decodeConfig("/etc/sv/w.yaml", raw)).pipe(Effect.map((e) => e.message))

describe("worker config encryptTo / encryptToFile", () => {
  it.effect("reads the recipients at load, a file relative to the config file's directory", () =>
    Effect.gen(function* () {
      const [a, b] = [yield* newKey, yield* newKey]
      const dir = yield* tmp
      yield* Effect.promise(() => writeFile(join(dir, "recipients.txt"), `# offline key\n${b.recipient}\n`))
      const path = join(dir, "worker.json")
      yield* Effect.promise(() =>
        writeFile(path, JSON.stringify({ ...ok, encryptTo: [a.recipient], encryptToFile: ["recipients.txt"] }))
      )
      const { config } = yield* loadConfig(path)
      assert.deepStrictEqual(config.recipients?.recipients, [a.recipient, b.recipient])
      assert.strictEqual(config.recipients?.fingerprint, recipientFingerprint([a.recipient, b.recipient]))
      // No key: plaintext archives, as before.
      assert.isUndefined((yield* decodeConfig("w.yaml", ok)).config.recipients)
    })
  )

  it.effect("refuses a recipient that does not parse, naming the key and never repeating a secret", () =>
    Effect.gen(function* () {
      const a = yield* newKey
      const secretProblem = yield* problem({ ...ok, encryptTo: [a.recipient, a.secret] })
      assert.strictEqual(
        secretProblem,
        "config /etc/sv/w.yaml: encryptTo[1]: is a secret key, not a recipient: give its public key instead (age-keygen -y KEYFILE prints it)"
      )
      assert.notInclude(secretProblem, a.secret)
      assert.match(
        yield* problem({ ...ok, encryptTo: ["age1nope"] }),
        /^config \/etc\/sv\/w\.yaml: encryptTo\[0\]: is not an age X25519 recipient/
      )
      assert.match(
        yield* problem({ ...ok, encryptToFile: ["keys/missing.txt"] }),
        /^config \/etc\/sv\/w\.yaml: encryptToFile: \/etc\/sv\/keys\/missing\.txt cannot be read/
      )
      assert.match(yield* problem({ ...ok, encryptTo: [] }), /^config \/etc\/sv\/w\.yaml: encryptTo: .*empty/)
      assert.match(yield* problem({ ...ok, encryptTo: "age1x" }), /encryptTo: expected a list/)

      const dir = yield* tmp
      const file = join(dir, "recipients.txt")
      yield* Effect.promise(() => writeFile(file, `${a.recipient}\nnot a key\n`))
      assert.strictEqual(
        yield* problem({ ...ok, encryptToFile: [file] }),
        `config /etc/sv/w.yaml: encryptToFile: ${file} line 2 is not an age X25519 recipient (age1… as age-keygen prints it)`
      )
    })
  )

  it.effect("the worker exits 2 at startup, in one line naming the key, before any run", () =>
    Effect.gen(function* () {
      const dir = yield* tmp
      const path = join(dir, "worker.json")
      yield* Effect.promise(() =>
        writeFile(path, JSON.stringify({ ...ok, outputDir: "out", encryptToFile: ["recipients.txt"] }))
      )
      for (const mode of [[], ["--once"]]) {
        const code = yield* run(["--config", path, ...mode], { once: mode.length > 0 }).pipe(
          Effect.provide(
            Layer.mergeAll(
              NodeServices.layer,
              captureLogs().layer,
              ConfigProvider.layer(ConfigProvider.fromEnv({ env: { GH_TOKEN: "t" } }))
            )
          )
        )
        assert.strictEqual(code, 2)
      }
      // One line per start (scheduled, then --once).
      const line = `error: config ${path}: encryptToFile: ${join(dir, "recipients.txt")} cannot be read: no such file or directory`
      assert.deepStrictEqual(yield* TestConsole.errorLines, [line, line])
    }).pipe(Effect.provide(Layer.fresh(TestConsole.layer)))
  )

  it.live("a run writes an encrypted archive (format 2) that only an identity of the set opens", () =>
    Effect.gen(function* () {
      const hub = yield* Effect.acquireRelease(
        Effect.promise(() => startFakeHub({ seed: "demo" })),
        (h) => Effect.promise(() => h.close())
      )
      const client = GitHubClient.layer(testClientOptions({ hub, concurrency: 8 }))
      const key = yield* newKey
      const dir = yield* tmp
      const configPath = join(dir, "worker.json")
      yield* Effect.promise(() =>
        writeFile(
          configPath,
          JSON.stringify({
            owners: { orgs: ["octo-archive"] },
            schedule: { cron: "30 2 * * *" },
            outputDir: ".",
            encryptTo: [key.recipient]
          })
        )
      )
      const { config } = yield* loadConfig(configPath)
      const run = yield* runOnce(config, undefined, liveExport).pipe(Effect.provide(client))
      assert.strictEqual(run.result, "success")
      const identities = yield* parseIdentitiesText(key.secret, "key.txt")
      const read = Effect.scoped(
        Effect.gen(function* () {
          const a = yield* openArchive(run.archive!)
          return {
            manifest: a.manifest,
            names: [...a.entries.keys()],
            spaces: Array.from(yield* Stream.runCollect(a.spaces)).length
          }
        })
      )
      const withKey = yield* read.pipe(Effect.provideService(ArchiveIdentities, identities))
      assert.strictEqual(withKey.manifest.formatVersion, 2)
      assert.strictEqual(withKey.manifest.encryption?.recipients, recipientFingerprint([key.recipient]))
      for (const n of withKey.names) assert.isTrue(n === "manifest.json" || n.endsWith(".json.gz.age"), n)
      assert.strictEqual(withKey.spaces, 60)
      // The worker holds no identity: without one, nothing of the contents reads.
      const without = yield* Effect.flip(read)
      assert.strictEqual(without.reason, "Encrypted")
      // Nothing in the archive's plaintext manifest names a space.
      const raw = yield* Effect.promise(() => readFile(run.archive!))
      assert.isFalse(raw.includes(Buffer.from(hub.state.requireSpace("octo-archive", 7).name)))
    }).pipe(Effect.scoped, Effect.provide(Layer.mergeAll(RunHistory.layer(), NodeServices.layer, captureLogs().layer)))
  )
})
