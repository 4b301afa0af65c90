// The worker config's allInstallations against fakehub's App side: every organization the App is installed on is
// exported, listed again at every run (an uninstalled one drops out), each on its own installation's token.
import { readFile, writeFile } from "node:fs/promises"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { demoHub, runWorker, tmp } from "./WorkerTestKit.ts"

describe("the worker with allInstallations", () => {
  it.live("exports every organization the App is installed on, listed again at each run", () =>
    Effect.gen(function* () {
      const hub = yield* demoHub
      const dir = yield* tmp
      yield* Effect.promise(() => writeFile(join(dir, "app.pem"), hub.app!.privateKeyPem, { mode: 0o600 }))
      const path = join(dir, "worker.json")
      yield* Effect.promise(() =>
        writeFile(
          path,
          JSON.stringify({
            allInstallations: true,
            app: { id: hub.app!.id, privateKeyFile: "app.pem" },
            schedule: { cron: "30 2 * * *" },
            outputDir: "out"
          })
        )
      )
      const status = () => Effect.promise(() => readFile(join(dir, "out", ".spaces-vault", "status.json"), "utf8"))
      const env = { GITHUB_API_URL: hub.url }
      const first = yield* runWorker(["--config", path, "--once"], env)
      assert.strictEqual(first.code, 0, [...first.stderr, ...first.lines].join("\n"))
      const night1 = JSON.parse(yield* status())
      assert.deepStrictEqual(
        night1.owners.map((o: { owner: string; kind: string }) => `${o.kind}:${o.owner}`),
        ["org:octo-org", "org:octo-archive", "org:octo-migrated"]
      )
      // Each read with its own installation's token: nothing failed, and the run wrote a complete archive.
      assert.strictEqual(night1.result, "success")
      assert.isTrue(night1.owners.every((o: { failed: number }) => o.failed === 0))

      hub.apps.uninstall(hub.apps.installationFor(hub.app!.id, "octo-migrated")!.id)
      const second = yield* runWorker(["--config", path, "--once"], env)
      assert.strictEqual(second.code, 0, [...second.stderr, ...second.lines].join("\n"))
      assert.deepStrictEqual(
        JSON.parse(yield* status()).owners.map((o: { owner: string }) => o.owner),
        ["octo-org", "octo-archive"]
      )
      assert.deepStrictEqual(hub.counters.contractViolations, [])
    }).pipe(Effect.scoped)
  )

  it.live("without an app the config is refused at load: exit 2, one sentence, before any request", () =>
    Effect.gen(function* () {
      const hub = yield* demoHub
      const dir = yield* tmp
      const path = join(dir, "worker.json")
      yield* Effect.promise(() =>
        writeFile(path, JSON.stringify({ allInstallations: true, schedule: { cron: "30 2 * * *" }, outputDir: "out" }))
      )
      const r = yield* runWorker(["--config", path, "--once"], { GH_TOKEN: hub.token, GITHUB_API_URL: hub.url })
      assert.strictEqual(r.code, 2)
      assert.deepStrictEqual(r.stderr, [
        `error: config ${path}: allInstallations: needs a GitHub App: add app: { id, privateKeyFile }`
      ])
      assert.strictEqual(hub.counters.requests, 0)
    }).pipe(Effect.scoped)
  )
})
