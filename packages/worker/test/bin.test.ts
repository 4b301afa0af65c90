// The worker as a process: stopped by SIGTERM in the middle of a --once export.
import { spawn } from "node:child_process"
import { readdir, readFile, writeFile } from "node:fs/promises"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { startFakeHub } from "@spaces-vault/fixtures"
import { Effect, Schedule } from "effect"
import { INTERRUPTED } from "../src/RunOnce.ts"
import { tmp } from "./WorkerTestKit.ts"

const ls = (dir: string) => Effect.promise(() => readdir(dir).catch(() => [] as Array<string>))

describe("bin", () => {
  it.live(
    "SIGTERM during a --once export removes the temporary archive, releases the lock, records an interrupted run and exits 143",
    () =>
      Effect.gen(function* () {
        const hub = yield* Effect.acquireRelease(
          Effect.promise(() => startFakeHub({ seed: "demo", latencyMs: 20 })),
          (h) => Effect.promise(() => h.close())
        )
        const dir = yield* tmp
        const configPath = join(dir, "worker.json")
        const config = { owners: { orgs: ["octo-org"] }, schedule: { cron: "30 2 * * *" }, outputDir: "out" }
        yield* Effect.promise(() => writeFile(configPath, JSON.stringify(config)))
        const child = spawn(
          process.execPath,
          [new URL("../src/bin.ts", import.meta.url).pathname, "--config", configPath, "--once"],
          { env: { ...process.env, GH_TOKEN: hub.token, GITHUB_API_URL: hub.url }, stdio: ["ignore", "pipe", "pipe"] }
        )
        const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)))
        // Wait until the export is under way (the temporary archive exists), then stop it.
        yield* ls(join(dir, "out")).pipe(
          Effect.repeat({
            until: (names) => names.some((n) => n.includes(".tmp-")),
            schedule: Schedule.spaced("50 millis")
          }),
          Effect.timeout("10 seconds")
        )
        child.kill("SIGTERM")
        assert.strictEqual(yield* Effect.promise(() => exited), 143)
        assert.deepStrictEqual(yield* ls(join(dir, "out")), [".spaces-vault"])
        const state = join(dir, "out", ".spaces-vault")
        assert.deepStrictEqual(yield* ls(state), ["status.json"])
        const status = JSON.parse(yield* Effect.promise(() => readFile(join(state, "status.json"), "utf8")))
        assert.strictEqual(status.result, "interrupted")
        assert.strictEqual(status.error, INTERRUPTED)
      }).pipe(Effect.scoped)
  )

  it.live("the scheduler, stopped by its service manager between runs, exits 0 and records no run", () =>
    Effect.gen(function* () {
      const dir = yield* tmp
      const configPath = join(dir, "worker.json")
      const config = { owners: { orgs: ["octo-org"] }, schedule: { cron: "30 2 * * *" }, outputDir: "out" }
      yield* Effect.promise(() => writeFile(configPath, JSON.stringify(config)))
      const child = spawn(
        process.execPath,
        [new URL("../src/bin.ts", import.meta.url).pathname, "--config", configPath],
        {
          env: { ...process.env, GH_TOKEN: "t" },
          stdio: ["ignore", "pipe", "pipe"]
        }
      )
      const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)))
      // Asleep until 02:30: its log says when the next run is.
      const waiting = new Promise<void>((resolve) =>
        child.stdout.on("data", (d) => String(d).includes("next run at") && resolve())
      )
      yield* Effect.promise(() => waiting).pipe(Effect.timeout("10 seconds"))
      child.kill("SIGTERM")
      assert.strictEqual(yield* Effect.promise(() => exited), 0)
      assert.deepStrictEqual(yield* ls(dir), ["worker.json"])
    })
  )
})
