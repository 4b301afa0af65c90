import { mkdtemp, readFile, readdir, writeFile } from "node:fs/promises"
import { hostname, tmpdir } from "node:os"
import { join } from "node:path"
import { NodeServices } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { startFakeHub } from "@spaces-vault/fixtures"
import { Cron, Effect, Fiber, Layer, Logger, Redacted, Result } from "effect"
import { TestClock } from "effect/testing"
import { GitHubClient } from "@spaces-vault/core/github/GitHubClient"
import { layer } from "@spaces-vault/core/github/GitHubClientLive"
import { githubSecondaryLimits } from "@spaces-vault/core/github/RateGate"
import { defaultRetryOptions } from "@spaces-vault/core/github/RetryPolicy"
import { verifyArchive } from "@spaces-vault/core/archive/Verify"
import { acquireLock, LOCK_FILE } from "../src/Lock.ts"
import type { ExportSummary } from "@spaces-vault/core/export/ExportTypes"
import { runOnce, type ExportStep } from "../src/RunOnce.ts"
import { nextRun, runOnSchedule } from "../src/Scheduler.ts"
import { decodeConfig, type WorkerConfig } from "../src/WorkerConfig.ts"

const cron = (expr: string, tz: string) => Result.getOrThrow(Cron.parse(expr, tz))
const tmp = () => mkdtemp(join(tmpdir(), "sv-worker-"))

describe("schedule", () => {
  it("fires at 02:30 Berlin time across a day boundary and both DST changes", () => {
    const c = cron("30 2 * * *", "Europe/Berlin")
    const fire = (from: string) => new Date(nextRun(c, Date.parse(from))).toISOString()
    expect(fire("2026-11-24T23:59:00Z")).toBe("2026-11-25T01:30:00.000Z") // across midnight UTC, CET = UTC+1
    expect(fire("2026-03-28T12:00:00Z")).toBe("2026-03-29T01:30:00.000Z") // spring forward: 02:30 does not exist
    expect(fire("2026-03-29T12:00:00Z")).toBe("2026-03-30T00:30:00.000Z") // CEST = UTC+2
    expect(fire("2026-10-24T12:00:00Z")).toBe("2026-10-25T00:30:00.000Z") // fall back: 02:30 happens twice, fire once
    expect(fire("2026-10-25T00:31:00Z")).toBe("2026-10-26T01:30:00.000Z")
  })

  it.effect("runs the job at each firing on the TestClock, and a failed run does not stop the schedule", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(Date.parse("2026-10-24T12:00:00Z"))
      const fired: Array<string> = []
      const fiber = yield* Effect.forkChild(
        runOnSchedule(cron("30 2 * * *", "Europe/Berlin"), (at) =>
          Effect.suspend(() => {
            fired.push(new Date(at).toISOString())
            return fired.length === 1 ? Effect.fail("boom") : Effect.void
          })
        )
      )
      yield* Effect.yieldNow // let the scheduler read the clock and go to sleep
      yield* TestClock.adjust("13 hours")
      expect(fired).toEqual(["2026-10-25T00:30:00.000Z"])
      yield* TestClock.adjust("25 hours") // the 26th, 02:30 CET = 01:30Z
      expect(fired).toEqual(["2026-10-25T00:30:00.000Z", "2026-10-26T01:30:00.000Z"])
      yield* Fiber.interrupt(fiber)
    })
  )
})

describe("config", () => {
  const ok = { owners: { orgs: ["octo-org"] }, schedule: { cron: "30 2 * * *", timeZone: "UTC" }, outputDir: "/tmp/x" }
  const problem = (raw: unknown) => Effect.runPromise(Effect.flip(decodeConfig("w.yaml", raw))).then((e) => e.message)

  it("accepts a valid file and names the exact field of a bad one", async () => {
    expect((await Effect.runPromise(decodeConfig("w.yaml", ok))).config.outputDir).toBe("/tmp/x")
    expect(await problem({ ...ok, retention: { keepDaily: -1 } })).toMatch(/retention.*keepDaily|keepDaily/)
    expect(await problem({ ...ok, concurrency: 500 })).toMatch(/concurrency/)
    expect(await problem({ ...ok, schedule: { cron: "every night" } })).toMatch(/schedule\.cron: "every night" is not a valid cron expression/)
    expect(await problem({ ...ok, owners: {} })).toMatch(/owners: list at least one org or user/)
    expect(await problem({ ...ok, owners: { orgs: ["octo org"] } })).toMatch(/owners: "octo org" is not a GitHub login/)
    expect(await problem({ ...ok, owners: { orgs: ["mona"], users: ["mona"] } })).toMatch(/owners: mona is given as both/)
    expect(await problem({ ...ok, token: "ghp_x" })).toMatch(/token/)
  })
})

describe("command line", () => {
  it("refuses --wizard, which would prompt under cron or systemd, as a usage error", async () => {
    const { run } = await import("../src/main.ts")
    const logged: Array<string> = []
    const original = console.log
    console.log = (...a: Array<unknown>) => void logged.push(a.join(" "))
    try {
      expect(await Effect.runPromise(run(["--wizard"]).pipe(Effect.provide(NodeServices.layer)))).toBe(2)
    } finally {
      console.log = original
    }
    expect(logged.join("\n")).not.toMatch(/wizard mode/i)
  })
})

describe("lock", () => {
  it("blocks while the holder lives and takes over a lock left by a dead process", async () => {
    const dir = await tmp()
    await writeFile(join(dir, LOCK_FILE), JSON.stringify({ pid: 999_999, hostname: hostname(), startedAt: "yesterday" }))
    const held = await Effect.runPromise(Effect.flip(Effect.scoped(acquireLock(dir, "now", () => true))))
    expect(held.message).toMatch(/locked by pid 999999 .* another export is running/)
    await Effect.runPromise(
      Effect.scoped(
        Effect.gen(function* () {
          yield* acquireLock(dir, "now", () => false)
          const info = JSON.parse(yield* Effect.promise(() => readFile(join(dir, LOCK_FILE), "utf8")))
          expect(info.pid).toBe(process.pid)
        })
      )
    )
    expect(await readdir(dir)).toEqual([]) // released
  })
})

describe("runOnce", () => {
  const config = (dir: string, extra: Partial<WorkerConfig> = {}): WorkerConfig => ({
    owners: { orgs: ["octo-archive"] },
    schedule: { cron: "30 2 * * *" },
    outputDir: dir,
    retention: { keepLast: 1 },
    ...extra
  })

  it("writes a verifiable archive and the status file against fakehub, then applies retention", async () => {
    const hub = await startFakeHub({ seed: "demo" })
    const client = layer({
      ...defaultRetryOptions,
      ...githubSecondaryLimits,
      apiUrl: hub.url,
      token: Redacted.make(hub.token),
      concurrency: 8,
      writesPerMinute: 60,
      userAgent: "t"
    }) as Layer.Layer<GitHubClient>
    const dir = await tmp()
    try {
      const first = await Effect.runPromise(runOnce(config(dir), Date.parse("2026-11-26T01:30:00Z")).pipe(Effect.provide([client, NodeServices.layer])))
      expect(first.result).toBe("success")
      expect((await Effect.runPromise(verifyArchive(first.archive!))).ok).toBe(true)
      const status = JSON.parse(await readFile(join(dir, "status.json"), "utf8"))
      expect(status).toMatchObject({ result: "success", archive: first.archive, nextRunAt: "2026-11-26T01:30:00.000Z", owners: [{ owner: "octo-archive", spaces: 60, failures: [] }] })
      const second = await Effect.runPromise(runOnce(config(dir), undefined).pipe(Effect.provide([client, NodeServices.layer])))
      expect(second.removedArchives).toEqual([first.archive!.split("/").pop()])
      expect((await readdir(dir)).filter((n) => n.endsWith(".zip"))).toEqual([second.archive!.split("/").pop()])
      expect(await readdir(dir)).not.toContain(LOCK_FILE)
    } finally {
      await hub.close()
    }
  })

  it("deletes nothing after a failed or partial export", async () => {
    const dir = await tmp()
    await writeFile(join(dir, "spaces-vault-20200101T000000Z.zip"), "old")
    const failing: ExportStep = () => Effect.fail({ message: "GitHub is down" })
    const status = await Effect.runPromise(runOnce(config(dir), undefined, failing).pipe(Effect.provide([Layer.succeed(GitHubClient, {} as never), NodeServices.layer])))
    expect(status).toMatchObject({ result: "failed", error: "GitHub is down", removedArchives: [] })
    expect(await readdir(dir)).toContain("spaces-vault-20200101T000000Z.zip")
    const partial: ExportStep = () => Effect.succeed({ archive: join(dir, "x.zip"), partial: true, owners: [], requests: 1, notModified: 0, durationMs: 1 })
    const p = await Effect.runPromise(runOnce(config(dir), undefined, partial).pipe(Effect.provide([Layer.succeed(GitHubClient, {} as never), NodeServices.layer])))
    expect(p).toMatchObject({ result: "partial", removedArchives: [] })
    expect(await readdir(dir)).toContain("spaces-vault-20200101T000000Z.zip")
  })

  it("logs a partial run with each failing owner's reasons, and no empty failures field when there are none", async () => {
    const dir = await tmp()
    const logged: Array<unknown> = []
    const logs = Logger.layer([Logger.make((o) => void logged.push(...(Array.isArray(o.message) ? o.message : [o.message])))])
    const summary = (owners: ExportSummary["owners"]): ExportStep => () =>
      Effect.succeed({ archive: join(dir, "x.zip"), partial: true, owners, requests: 1, notModified: 0, durationMs: 1 })
    const run = (step: ExportStep) =>
      Effect.runPromise(runOnce(config(dir), undefined, step).pipe(Effect.provide([Layer.succeed(GitHubClient, {} as never), NodeServices.layer, logs])))
    await run(
      summary([
        { owner: "o", kind: "org", spaces: 3, failed: 0, failures: [] },
        { owner: "ghost", kind: "org", spaces: 0, failed: 1, failures: ["list: GET /orgs/ghost/copilot-spaces was not found"] }
      ])
    )
    expect(logged).toContainEqual({ archive: join(dir, "x.zip"), error: null, failures: { ghost: ["list: GET /orgs/ghost/copilot-spaces was not found"] } })
    logged.length = 0
    await run(summary([{ owner: "o", kind: "org", spaces: 3, failed: 0, failures: [] }]))
    expect(logged).toContainEqual({ archive: join(dir, "x.zip"), error: null })
  })
})

describe("health and metrics", () => {
  const status = (result: "success" | "failed", nextRunAt: string | null = null) => ({
    lastRunStartedAt: "2026-11-25T01:30:00.000Z",
    lastRunFinishedAt: "2026-11-25T01:31:00.000Z",
    result,
    archive: result === "success" ? "/a.zip" : null,
    owners: [{ owner: "o", kind: "org" as const, spaces: 12, failed: 0, failures: [] }],
    requests: 30,
    durationMs: 60_000,
    error: result === "failed" ? "GitHub is down" : null,
    removedArchives: [],
    nextRunAt
  })

  it("is healthy after a success, unhealthy after a failure or when a run is overdue", async () => {
    const { WorkerMetrics, health, prometheus } = await import("../src/Health.ts")
    const m = new WorkerMetrics()
    expect(health(m, 0).ok).toBe(true)
    m.record(status("success", "2026-11-26T01:30:00.000Z"), 2)
    expect(health(m, Date.parse("2026-11-26T02:00:00Z")).ok).toBe(true)
    expect(health(m, Date.parse("2026-11-26T03:00:00Z"))).toEqual({ ok: false, reason: "run overdue since 2026-11-26T01:30:00.000Z" })
    m.record(status("failed"), 0)
    expect(health(m, Date.parse("2026-11-25T02:00:00Z")).reason).toMatch(/last run failed: GitHub is down/)
    // A partial run is unhealthy too, and says which owner failed and why.
    m.record(
      {
        ...status("success"),
        result: "partial",
        owners: [
          { owner: "o", kind: "org" as const, spaces: 12, failed: 0, failures: [] },
          { owner: "ghost", kind: "org" as const, spaces: 0, failed: 2, failures: ["list: GET /orgs/ghost/copilot-spaces was not found", "space 3: …"] }
        ]
      },
      0
    )
    expect(health(m, Date.parse("2026-11-25T02:00:00Z"))).toEqual({
      ok: false,
      reason: "last run partial: ghost: list: GET /orgs/ghost/copilot-spaces was not found (and more in status.json)"
    })
    const text = prometheus(m)
    expect(text).toContain("spaces_vault_runs_total 3\n")
    expect(text).toContain("spaces_vault_failures_total 2\n")
    expect(text).toContain("spaces_vault_spaces_exported_total 12\n")
    expect(text).toContain("spaces_vault_rate_limit_waits_total 2\n")
    expect(text).toContain(`spaces_vault_last_success_timestamp_seconds ${Date.parse("2026-11-25T01:31:00Z") / 1000}\n`)
  })

  it("serves /healthz and /metrics on loopback", async () => {
    const { WorkerMetrics, serveHealth } = await import("../src/Health.ts")
    const m = new WorkerMetrics()
    m.record(status("failed"), 0)
    await Effect.runPromise(
      Effect.scoped(
        Effect.gen(function* () {
          const port = yield* serveHealth(m, 0)
          const h = yield* Effect.promise(() => fetch(`http://127.0.0.1:${port}/healthz`))
          expect(h.status).toBe(503)
          const metrics = yield* Effect.promise(() => fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text()))
          expect(metrics).toMatch(/# TYPE spaces_vault_runs_total counter\nspaces_vault_runs_total 1/)
        })
      )
    )
  })
})

describe("signals", () => {
  it("SIGTERM during an export removes the temporary archive, releases the lock and exits 0", async () => {
    const { spawn } = await import("node:child_process")
    const hub = await startFakeHub({ seed: "demo", latencyMs: 20 })
    const dir = await tmp()
    const configPath = join(dir, "worker.json")
    await writeFile(configPath, JSON.stringify({ owners: { orgs: ["octo-org"] }, schedule: { cron: "30 2 * * *" }, outputDir: join(dir, "out") }))
    try {
      const child = spawn(process.execPath, [new URL("../src/bin.ts", import.meta.url).pathname, "--config", configPath, "--once"], {
        env: { ...process.env, GH_TOKEN: hub.token, GITHUB_API_URL: hub.url },
        stdio: ["ignore", "pipe", "pipe"]
      })
      // Wait until the export is under way (the temporary archive exists), then stop it.
      for (let i = 0; i < 100; i++) {
        const names = await readdir(join(dir, "out")).catch(() => [] as Array<string>)
        if (names.some((n) => n.includes(".tmp-"))) break
        await new Promise((r) => setTimeout(r, 50))
      }
      const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)))
      child.kill("SIGTERM")
      expect(await exited).toBe(0)
      expect(await readdir(join(dir, "out"))).toEqual([])
    } finally {
      await hub.close()
    }
  })
})
