import { mkdtemp, readFile, readdir, utimes, writeFile } from "node:fs/promises"
import { createServer } from "node:net"
import type { AddressInfo } from "node:net"
import { hostname, tmpdir } from "node:os"
import { join } from "node:path"
import { NodeServices } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { startFakeHub } from "@spaces-vault/fixtures"
import { ConfigProvider, Cron, Effect, Fiber, Logger, Result } from "effect"
import { TestClock } from "effect/testing"
import { GitHubClient } from "@spaces-vault/core/github/GitHubClient"
import { verifyArchive } from "@spaces-vault/core/archive/Verify"
import { acquireLock, LOCK_FILE } from "../src/Lock.ts"
import type { ExportSummary } from "@spaces-vault/core/export/ExportTypes"
import { health, prometheus, serveHealth, WorkerMetrics } from "../src/Health.ts"
import { run } from "../src/main.ts"
import { liveExport, runOnce, type ExportStep } from "../src/RunOnce.ts"
import { nextRun, runOnSchedule } from "../src/Scheduler.ts"
import { decodeConfig, type WorkerConfig } from "../src/WorkerConfig.ts"
import { testClientOptions } from "../../core/test/github/testClientOptions.ts"

const cron = (expr: string, tz: string) => Result.getOrThrow(Cron.parse(expr, tz))
const tmp = () => mkdtemp(join(tmpdir(), "sv-worker-"))

/** A logger layer that keeps each line's messages as text, for assertions on what the worker said. */
const captureLogs = (onLine: (line: string) => void = () => {}) => {
  const lines: Array<string> = []
  const layer = Logger.layer([
    Logger.make((o) => {
      const line = (Array.isArray(o.message) ? o.message : [o.message])
        .map((m) => (typeof m === "string" ? m : JSON.stringify(m)))
        .join(" ")
      lines.push(line)
      onLine(line)
    })
  ])
  return { lines, layer }
}

/**
 * Runs the worker's command line in-process with `env` as its environment. Resolves with the exit code, or with
 * "scheduled" as soon as the scheduler announces its first run (the worker would then wait for the cron time).
 */
const runWorker = async (args: ReadonlyArray<string>, env: Record<string, string>) => {
  let scheduled!: () => void
  const announced = new Promise<"scheduled">((resolve) => (scheduled = () => resolve("scheduled")))
  const logs = captureLogs((line) => line.startsWith("next run at") && scheduled())
  const code = await Effect.runPromise(
    Effect.raceFirst(
      run(args).pipe(
        Effect.provide([NodeServices.layer, logs.layer, ConfigProvider.layer(ConfigProvider.fromEnv({ env }))])
      ),
      Effect.promise(() => announced)
    )
  )
  return { code, lines: logs.lines }
}

const workerConfigFile = async (config: Record<string, unknown>) => {
  const dir = await tmp()
  const path = join(dir, "worker.json")
  await writeFile(
    path,
    JSON.stringify({
      owners: { orgs: ["octo-org"] },
      schedule: { cron: "30 2 * * *" },
      outputDir: join(dir, "out"),
      ...config
    })
  )
  return { dir, path }
}

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
    expect(await problem({ ...ok, schedule: { cron: "every night" } })).toMatch(
      /schedule\.cron: "every night" is not a valid cron expression/
    )
    expect(await problem({ ...ok, owners: {} })).toMatch(/owners: list at least one org or user/)
    expect(await problem({ ...ok, owners: { orgs: ["octo org"] } })).toMatch(/owners: "octo org" is not a GitHub login/)
    expect(await problem({ ...ok, owners: { orgs: ["mona"], users: ["mona"] } })).toMatch(
      /owners: mona is given as both/
    )
    expect(await problem({ ...ok, token: "ghp_x" })).toMatch(/token/)
  })

  it("refuses a cron that never fires, names a bad time zone, an empty outputDir and a bad apiUrl by their fields", async () => {
    expect(await problem({ ...ok, schedule: { cron: "0 0 31 2 *" } })).toBe(
      'config w.yaml: schedule.cron: "0 0 31 2 *" never fires'
    )
    expect(await problem({ ...ok, schedule: { cron: "0 0 30 2 *", timeZone: "Europe/Berlin" } })).toMatch(
      /^config w\.yaml: schedule\.cron: .* never fires/
    )
    // February 29th comes every four years: rare, but it fires.
    expect(
      (await Effect.runPromise(decodeConfig("w.yaml", { ...ok, schedule: { cron: "0 0 29 2 *" } }))).config.schedule
        .cron
    ).toBe("0 0 29 2 *")
    expect(await problem({ ...ok, schedule: { cron: "30 2 * * *", timeZone: "Mars/Olympus" } })).toMatch(
      /^config w\.yaml: schedule\.timeZone: "Mars\/Olympus" is not/
    )
    expect(await problem({ ...ok, outputDir: "" })).toMatch(/^config w\.yaml: outputDir: /)
    expect(await problem({ ...ok, outputDir: "  " })).toMatch(/^config w\.yaml: outputDir: /)
    expect(await problem({ ...ok, apiUrl: "ftp://example.com" })).toMatch(
      /^config w\.yaml: apiUrl: the API URL must start with https:\/\//
    )
    expect(await problem({ ...ok, apiUrl: "not a url" })).toMatch(/^config w\.yaml: apiUrl: /)
    expect(
      (await Effect.runPromise(decodeConfig("w.yaml", { ...ok, apiUrl: "https://ghe.example.com" }))).config.apiUrl
    ).toBe("https://ghe.example.com")
  })
})

describe("command line", () => {
  it("refuses --wizard, which would prompt under cron or systemd, as a usage error in one line; --help ends with the exit codes", async () => {
    const { run } = await import("../src/main.ts")
    const written = { stdout: "", stderr: "" }
    const run2 = async (args: ReadonlyArray<string>) => {
      const [out, err] = [process.stdout.write, process.stderr.write]
      process.stdout.write = ((chunk: string) => {
        written.stdout += chunk
        return true
      }) as typeof process.stdout.write
      process.stderr.write = ((chunk: string) => {
        written.stderr += chunk
        return true
      }) as typeof process.stderr.write
      try {
        return await Effect.runPromise(run(args).pipe(Effect.provide(NodeServices.layer)))
      } finally {
        ;[process.stdout.write, process.stderr.write] = [out, err]
      }
    }
    expect(await run2(["--wizard"])).toBe(2)
    // stdout carries the JSON log lines: a parse error leaves it alone
    expect(written).toEqual({
      stdout: "",
      stderr: "error: Unrecognized flag: --wizard in command spaces-vault-worker; see spaces-vault-worker --help\n"
    })
    expect(await run2(["--help"])).toBe(0)
    expect(written.stdout).toMatch(/--config[\s\S]*\nEXIT CODES\n {2}0 {2}done/)
  })

  it("checks the GitHub settings at startup, in both modes: a missing token or a bad API URL exits 2 with one line", async () => {
    const { path } = await workerConfigFile({})
    for (const mode of [[], ["--once"]]) {
      const missing = await runWorker(["--config", path, ...mode], {})
      expect(missing.code).toBe(2)
      expect(missing.lines).toEqual(["no GitHub token: set GH_TOKEN or GITHUB_TOKEN"])
      const badEnvUrl = await runWorker(["--config", path, ...mode], {
        GH_TOKEN: "t",
        GITHUB_API_URL: "ftp://example.com"
      })
      expect(badEnvUrl.code).toBe(2)
      expect(badEnvUrl.lines).toEqual([
        expect.stringMatching(/^GITHUB_API_URL: the API URL must start with https:\/\//)
      ])
    }
    const badField = await workerConfigFile({ apiUrl: "ftp://example.com" })
    const bad = await runWorker(["--config", badField.path], { GH_TOKEN: "t" })
    expect(bad.code).toBe(2)
    expect(bad.lines).toEqual([expect.stringMatching(new RegExp(`^config ${badField.path}: apiUrl: `))])
  })

  it("a health port already in use exits 2 with one line naming health.port and the port", async () => {
    const taken = createServer()
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve))
    const port = (taken.address() as AddressInfo).port
    try {
      const { path } = await workerConfigFile({ health: { port } })
      for (const mode of [[], ["--once"]]) {
        const result = await runWorker(["--config", path, ...mode], { GH_TOKEN: "t" })
        expect(result.code).toBe(2)
        expect(result.lines).toEqual([
          `health.port: cannot listen on 127.0.0.1:${port}: the port is already in use (EADDRINUSE)`
        ])
      }
    } finally {
      await new Promise((resolve) => taken.close(resolve))
    }
  })
})

describe("lock", () => {
  it("blocks while the holder lives and takes over a lock left by a dead process", async () => {
    const dir = await tmp()
    await writeFile(
      join(dir, LOCK_FILE),
      JSON.stringify({ pid: 999_999, hostname: hostname(), startedAt: "yesterday" })
    )
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
    const client = GitHubClient.layer(testClientOptions({ hub, concurrency: 8 }))
    const dir = await tmp()
    try {
      const first = await Effect.runPromise(
        runOnce(config(dir), Date.parse("2026-11-26T01:30:00Z"), liveExport).pipe(
          Effect.provide([client, NodeServices.layer])
        )
      )
      expect(first.result).toBe("success")
      expect((await Effect.runPromise(verifyArchive(first.archive!))).ok).toBe(true)
      const status = JSON.parse(await readFile(join(dir, "status.json"), "utf8"))
      expect(status).toMatchObject({
        result: "success",
        archive: first.archive,
        nextRunAt: "2026-11-26T01:30:00.000Z",
        owners: [{ owner: "octo-archive", spaces: 60, failures: [] }]
      })
      const second = await Effect.runPromise(
        runOnce(config(dir), undefined, liveExport).pipe(Effect.provide([client, NodeServices.layer]))
      )
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
    const status = await Effect.runPromise(
      runOnce(config(dir), undefined, failing).pipe(Effect.provide([GitHubClient.layerTest(), NodeServices.layer]))
    )
    expect(status).toMatchObject({ result: "failed", error: "GitHub is down", removedArchives: [] })
    expect(await readdir(dir)).toContain("spaces-vault-20200101T000000Z.zip")
    const partial: ExportStep = () =>
      Effect.succeed({
        archive: join(dir, "x.zip"),
        partial: true,
        owners: [],
        requests: 1,
        notModified: 0,
        durationMs: 1
      })
    const p = await Effect.runPromise(
      runOnce(config(dir), undefined, partial).pipe(Effect.provide([GitHubClient.layerTest(), NodeServices.layer]))
    )
    expect(p).toMatchObject({ result: "partial", removedArchives: [] })
    expect(await readdir(dir)).toContain("spaces-vault-20200101T000000Z.zip")
  })

  it("logs a partial run with each failing owner's reasons, and no empty failures field when there are none", async () => {
    const dir = await tmp()
    const logged: Array<unknown> = []
    const logs = Logger.layer([
      Logger.make((o) => void logged.push(...(Array.isArray(o.message) ? o.message : [o.message])))
    ])
    const summary =
      (owners: ExportSummary["owners"]): ExportStep =>
      () =>
        Effect.succeed({
          archive: join(dir, "x.zip"),
          partial: true,
          owners,
          requests: 1,
          notModified: 0,
          durationMs: 1
        })
    const run = (step: ExportStep) =>
      Effect.runPromise(
        runOnce(config(dir), undefined, step).pipe(Effect.provide([GitHubClient.layerTest(), NodeServices.layer, logs]))
      )
    await run(
      summary([
        { owner: "o", kind: "org", spaces: 3, failed: 0, failures: [] },
        {
          owner: "ghost",
          kind: "org",
          spaces: 0,
          failed: 1,
          failures: ["list: GET /orgs/ghost/copilot-spaces was not found"]
        }
      ])
    )
    expect(logged).toContainEqual({
      archive: join(dir, "x.zip"),
      error: null,
      failures: { ghost: ["list: GET /orgs/ghost/copilot-spaces was not found"] }
    })
    logged.length = 0
    await run(summary([{ owner: "o", kind: "org", spaces: 3, failed: 0, failures: [] }]))
    expect(logged).toContainEqual({ archive: join(dir, "x.zip"), error: null })
  })

  const succeeding =
    (dir: string): ExportStep =>
    () =>
      Effect.succeed({
        archive: join(dir, "spaces-vault-20261125T023000Z.zip"),
        partial: false,
        owners: [],
        requests: 1,
        notModified: 0,
        durationMs: 1
      })
  const noClient = GitHubClient.layerTest()

  it("counts a run that fails before or outside the export as failed: metrics, health and status.json say why", async () => {
    const m = new WorkerMetrics()
    const logs = captureLogs()
    const once = (c: WorkerConfig, step: ExportStep) =>
      Effect.runPromise(runOnce(c, undefined, step, m).pipe(Effect.provide([noClient, NodeServices.layer, logs.layer])))

    // Another host's worker holds the lock: this run fails, and says so everywhere monitoring looks.
    const locked = await tmp()
    const foreign = JSON.stringify({ pid: 4242, hostname: "another-host", startedAt: "2026-11-25T02:30:00.000Z" })
    await writeFile(join(locked, LOCK_FILE), foreign)
    const byLock = await once(config(locked), succeeding(locked))
    expect(byLock).toMatchObject({
      result: "failed",
      archive: null,
      error: expect.stringMatching(/locked by pid 4242 on another-host/)
    })
    expect(JSON.parse(await readFile(join(locked, "status.json"), "utf8"))).toMatchObject({
      result: "failed",
      error: byLock.error
    })
    expect(await readFile(join(locked, LOCK_FILE), "utf8")).toBe(foreign) // the holder's lock is left alone
    expect(health(m, 0)).toEqual({ ok: false, reason: `last run failed: ${byLock.error}` })

    // The output directory cannot be made (a file is in the way): failed, and status.json cannot be written either.
    const blocked = await tmp()
    await writeFile(join(blocked, "file"), "")
    const byMkdir = await once(config(join(blocked, "file", "out")), succeeding(blocked))
    expect(byMkdir).toMatchObject({
      result: "failed",
      error: expect.stringMatching(/^cannot create the output directory .*file\/out: /)
    })
    expect(logs.lines.some((l) => l.startsWith("cannot write status.json"))).toBe(true)

    // A defect in a step is a failed run too, not a crash of the schedule.
    const dir = await tmp()
    const byDefect = await once(config(dir), () => Effect.die(new Error("bug in the export")))
    expect(byDefect).toMatchObject({ result: "failed", error: "bug in the export" })
    expect(await readdir(dir)).toEqual(["status.json"]) // lock released

    expect(m.runs).toBe(3)
    expect(prometheus(m)).toContain("spaces_vault_failures_total 3\n")
  })

  it("retention keeps an archive it cannot read, logs a warning and lists it in status.json", async () => {
    const dir = await tmp()
    await writeFile(join(dir, "spaces-vault-20200101T000000Z.zip"), "not a zip")
    const logs = captureLogs()
    const status = await Effect.runPromise(
      runOnce(config(dir), undefined, succeeding(dir)).pipe(Effect.provide([noClient, NodeServices.layer, logs.layer]))
    )
    expect(status).toMatchObject({
      result: "success",
      removedArchives: [],
      unreadableArchives: [{ name: "spaces-vault-20200101T000000Z.zip", problem: expect.any(String) }]
    })
    expect(JSON.parse(await readFile(join(dir, "status.json"), "utf8")).unreadableArchives).toEqual(
      status.unreadableArchives
    )
    expect(logs.lines).toContainEqual(
      expect.stringMatching(/^retention kept spaces-vault-20200101T000000Z\.zip: its manifest cannot be read/)
    )
    expect(await readdir(dir)).toContain("spaces-vault-20200101T000000Z.zip")
  })

  it.effect(
    "removes temporary archives untouched for 24 hours (left by a killed export), keeps fresh ones and others' files",
    () =>
      Effect.gen(function* () {
        const now = Date.parse("2026-11-25T02:30:00Z")
        yield* TestClock.setTime(now)
        const dir = yield* Effect.promise(tmp)
        const files = {
          stale: ".spaces-vault-20261124T010000Z.zip.tmp-a1b2c3d4e5f6",
          exactlyADay: ".spaces-vault-20261124T023000Z-2.zip.tmp-0a0b0c0d0e0f",
          fresh: ".spaces-vault-20261125T020000Z.zip.tmp-0123456789ab", // a CLI export writing right now
          notOurs: ".notes.zip.tmp-abcdef",
          archive: "spaces-vault-20261101T000000Z.zip"
        }
        const ageHours = { stale: 25, exactlyADay: 24, fresh: 0.5, notOurs: 100, archive: 100 }
        for (const [key, name] of Object.entries(files)) {
          const at = new Date(now - ageHours[key as keyof typeof files] * 3_600_000)
          yield* Effect.promise(() => writeFile(join(dir, name), "x").then(() => utimes(join(dir, name), at, at)))
        }
        const logs = captureLogs()
        yield* runOnce(config(dir, { retention: {} }), undefined, succeeding(dir)).pipe(
          Effect.provide([noClient, NodeServices.layer, logs.layer])
        )
        const left = yield* Effect.promise(() => readdir(dir))
        expect(left.sort()).toEqual([files.fresh, files.notOurs, files.archive, "status.json"].sort())
        expect(logs.lines.filter((l) => l.startsWith("removed temporary archive")).sort()).toEqual([
          expect.stringContaining(files.stale),
          expect.stringContaining(files.exactlyADay)
        ])
      })
  )
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
    unreadableArchives: [],
    nextRunAt
  })

  it("is healthy after a success, unhealthy after a failure or when a run is overdue", async () => {
    const m = new WorkerMetrics()
    expect(health(m, 0).ok).toBe(true)
    m.record(status("success", "2026-11-26T01:30:00.000Z"), 2)
    expect(health(m, Date.parse("2026-11-26T02:00:00Z")).ok).toBe(true)
    expect(health(m, Date.parse("2026-11-26T03:00:00Z"))).toEqual({
      ok: false,
      reason: "run overdue since 2026-11-26T01:30:00.000Z"
    })
    m.record(status("failed"), 0)
    expect(health(m, Date.parse("2026-11-25T02:00:00Z")).reason).toMatch(/last run failed: GitHub is down/)
    // A partial run is unhealthy too, and says which owner failed and why.
    m.record(
      {
        ...status("success"),
        result: "partial",
        owners: [
          { owner: "o", kind: "org" as const, spaces: 12, failed: 0, failures: [] },
          {
            owner: "ghost",
            kind: "org" as const,
            spaces: 0,
            failed: 2,
            failures: ["list: GET /orgs/ghost/copilot-spaces was not found", "space 3: …"]
          }
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
    await writeFile(
      configPath,
      JSON.stringify({ owners: { orgs: ["octo-org"] }, schedule: { cron: "30 2 * * *" }, outputDir: join(dir, "out") })
    )
    try {
      const child = spawn(
        process.execPath,
        [new URL("../src/bin.ts", import.meta.url).pathname, "--config", configPath, "--once"],
        {
          env: { ...process.env, GH_TOKEN: hub.token, GITHUB_API_URL: hub.url },
          stdio: ["ignore", "pipe", "pipe"]
        }
      )
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
