// The worker's command line in-process: flags, exit codes, and startup problems said in one line on stderr.
import { createServer } from "node:net"
import type { AddressInfo } from "node:net"
import { readdir, readFile, writeFile } from "node:fs/promises"
import { join } from "node:path"
import { NodeServices } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { startFakeHub } from "@spaces-vault/fixtures"
import { Effect } from "effect"
import { run, stoppedExitCode } from "../src/main.ts"
import { runWorker, tmp } from "./WorkerTestKit.ts"

/** Runs the worker's command line with `env` as its environment: its exit code, log lines and stderr lines. */
/** A config file in a new directory (archives in out/ beside it); `config` overrides. */
const workerConfigFile = (config: Record<string, unknown>) =>
  Effect.gen(function* () {
    const dir = yield* tmp
    const path = join(dir, "worker.json")
    const text = JSON.stringify({
      owners: { orgs: ["octo-org"] },
      schedule: { cron: "30 2 * * *" },
      outputDir: "out",
      ...config
    })
    yield* Effect.promise(() => writeFile(path, text))
    return { dir, path }
  })

/** Process stdout and stderr as written during `effect` (effect/cli's presenter writes to them directly). */
const captureProcessOutput = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.acquireUseRelease(
    Effect.sync(() => {
      const written = { stdout: "", stderr: "" }
      const original = [process.stdout.write, process.stderr.write] as const
      process.stdout.write = ((chunk: string) => {
        written.stdout += chunk
        return true
      }) as typeof process.stdout.write
      process.stderr.write = ((chunk: string) => {
        written.stderr += chunk
        return true
      }) as typeof process.stderr.write
      return { written, original }
    }),
    ({ written }) => Effect.map(effect, (result) => ({ result, written })),
    ({ original }) =>
      Effect.sync(() => {
        ;[process.stdout.write, process.stderr.write] = original
      })
  )

describe("main", () => {
  it.effect(
    "refuses --wizard, which would prompt under cron or systemd, as a usage error in one line; --help ends with the exit codes",
    () =>
      Effect.gen(function* () {
        const wizard = yield* captureProcessOutput(run(["--wizard"]).pipe(Effect.provide(NodeServices.layer)))
        assert.strictEqual(wizard.result, 2)
        // stdout carries the JSON log lines: a parse error leaves it alone
        assert.deepStrictEqual(wizard.written, {
          stdout: "",
          stderr: "error: Unrecognized flag: --wizard in command spaces-vault-worker; see spaces-vault-worker --help\n"
        })
        const help = yield* captureProcessOutput(run(["--help"]).pipe(Effect.provide(NodeServices.layer)))
        assert.strictEqual(help.result, 0)
        assert.match(help.written.stdout, /--config[\s\S]*\nEXIT CODES\n {2}0 {2}done/)
      })
  )

  it.effect(
    "checks the GitHub settings at startup, in both modes: a missing token or a bad API URL exits 2 with one line on stderr",
    () =>
      Effect.gen(function* () {
        const { path } = yield* workerConfigFile({})
        for (const mode of [[], ["--once"]]) {
          const missing = yield* runWorker(["--config", path, ...mode], {})
          assert.strictEqual(missing.code, 2)
          assert.deepStrictEqual(missing.stderr, ["error: no GitHub token: set GH_TOKEN or GITHUB_TOKEN"])
          assert.deepStrictEqual(missing.lines, []) // not a log line: it goes to a person, not a collector
          const badEnvUrl = yield* runWorker(["--config", path, ...mode], {
            GH_TOKEN: "t",
            GITHUB_API_URL: "ftp://example.com"
          })
          assert.strictEqual(badEnvUrl.code, 2)
          assert.strictEqual(badEnvUrl.stderr.length, 1)
          assert.match(String(badEnvUrl.stderr[0]), /^error: GITHUB_API_URL: the API URL must start with https:\/\//)
        }
        const badField = yield* workerConfigFile({ apiUrl: "ftp://example.com" })
        const bad = yield* runWorker(["--config", badField.path], { GH_TOKEN: "t" })
        assert.strictEqual(bad.code, 2)
        assert.strictEqual(bad.stderr.length, 1)
        assert.isTrue(String(bad.stderr[0]).startsWith(`error: config ${badField.path}: apiUrl: `))
      })
  )

  it.effect(
    "a config mistake exits 2 with one plain line on stderr naming the field, before the token is looked at",
    () =>
      Effect.gen(function* () {
        const { path } = yield* workerConfigFile({ outputdir: "elsewhere" })
        const result = yield* runWorker(["--config", path, "--once"], {})
        assert.strictEqual(result.code, 2)
        assert.deepStrictEqual(result.stderr, [
          `error: config ${path}: outputdir: unknown key (did you mean outputDir?)`
        ])
        assert.deepStrictEqual(result.lines, [])
        const missing = yield* runWorker(["--config", join(path, "..", "nope.yaml")], {})
        assert.deepStrictEqual(missing.stderr, [
          `error: config ${join(path, "..", "nope.yaml")}: cannot be read: no such file or directory`
        ])
      })
  )

  it.live("a health port already in use exits 2 with one line naming health.port and the port", () =>
    Effect.gen(function* () {
      const taken = yield* Effect.acquireRelease(
        Effect.promise(() => {
          const server = createServer()
          return new Promise<typeof server>((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)))
        }),
        (server) => Effect.promise(() => new Promise((resolve) => server.close(resolve)))
      )
      const port = (taken.address() as AddressInfo).port
      const { path } = yield* workerConfigFile({ health: { port } })
      for (const mode of [[], ["--once"]]) {
        const result = yield* runWorker(["--config", path, ...mode], { GH_TOKEN: "t" })
        assert.strictEqual(result.code, 2)
        assert.deepStrictEqual(result.stderr, [
          `error: health.port: cannot listen on 127.0.0.1:${port}: the port is already in use (EADDRINUSE)`
        ])
      }
    }).pipe(Effect.scoped)
  )

  it.live(
    "--once exits 1 after a partial run; status.json, in the state directory, keeps the last success an older worker recorded",
    () =>
      Effect.gen(function* () {
        const hub = yield* Effect.acquireRelease(
          Effect.promise(() => startFakeHub({ seed: "demo" })),
          (h) => Effect.promise(() => h.close())
        )
        const { dir, path } = yield* workerConfigFile({ owners: { orgs: ["octo-archive", "ghost-org"] } })
        const out = join(dir, "out")
        // The status.json a worker before the state directory left among the archives.
        const legacy = {
          lastRunStartedAt: "2026-11-24T01:30:00.000Z",
          lastRunFinishedAt: "2026-11-24T01:31:00.000Z",
          result: "success",
          archive: null,
          owners: [],
          requests: 1,
          durationMs: 1,
          error: null,
          removedArchives: [],
          unreadableArchives: [],
          nextRunAt: null
        }
        yield* Effect.promise(() =>
          import("node:fs/promises").then((fs) =>
            fs.mkdir(out).then(() => fs.writeFile(join(out, "status.json"), JSON.stringify(legacy)))
          )
        )
        const mode = { once: false }
        const result = yield* runWorker(
          ["--config", path, "--once"],
          { GH_TOKEN: hub.token, GITHUB_API_URL: hub.url },
          mode
        )
        assert.strictEqual(result.code, 1)
        assert.isTrue(mode.once)
        assert.deepStrictEqual(result.stderr, []) // the outcome is in the log and in status.json
        assert.isTrue(result.lines.some((l) => l.startsWith("export partial")))
        const status = JSON.parse(
          yield* Effect.promise(() => readFile(join(out, ".spaces-vault", "status.json"), "utf8"))
        )
        assert.strictEqual(status.result, "partial")
        assert.strictEqual(status.lastSuccessAt, "2026-11-24T01:31:00.000Z")
        assert.notInclude(yield* Effect.promise(() => readdir(out)), "status.json")
      }).pipe(Effect.scoped)
  )

  it("a --once run stopped by a signal exits 128 + its number; the scheduler, stopped by its service manager, exits 0", () => {
    assert.strictEqual(stoppedExitCode({ once: true }, "SIGTERM"), 143)
    assert.strictEqual(stoppedExitCode({ once: true }, "SIGINT"), 130)
    assert.strictEqual(stoppedExitCode({ once: false }, "SIGTERM"), 0)
    assert.strictEqual(stoppedExitCode({ once: false }, "SIGINT"), 0)
  })
})
