// The programs as installed: bundled by `pnpm build` and run by Node as their bins are, in child processes.
// Bundling can break what the sources' tests cannot see (a dependency's require(), a JSON import), so the
// bundles run the real job here: export against fakehub, verify, the usage exit code, the worker's help.
import { execFile, execFileSync, spawn, type StdioOptions } from "node:child_process"
import { closeSync, existsSync, openSync } from "node:fs"
import { copyFile, mkdir, mkdtemp, readdir, rm, stat } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { startFakeHub, type FakeHub } from "@spaces-vault/fixtures"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { VERSION } from "@spaces-vault/program/Version"
import { buildPrograms } from "../../../scripts/build.ts"

let hub: FakeHub
let dir: string
let cli: string
let worker: string
beforeAll(async () => {
  hub = await startFakeHub({ seed: "demo" })
  dir = await mkdtemp(join(tmpdir(), "sv-bundle-"))
  ;[cli, worker] = (await buildPrograms(dir)) as [string, string]
}, 120_000)
afterAll(async () => {
  await hub.close()
  await rm(dir, { recursive: true, force: true })
})

const run = (
  program: string,
  args: ReadonlyArray<string>,
  options: { env?: Record<string, string>; cwd?: string; node?: string } = {}
) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
    // The bin itself, not `node bin`: its #! line and mode are part of what an install runs.
    execFile(
      options.node ?? program,
      options.node === undefined ? args : [program, ...args],
      {
        env: { PATH: process.env.PATH, GH_TOKEN: hub.token, GITHUB_API_URL: hub.url, ...options.env },
        ...(options.cwd === undefined ? {} : { cwd: options.cwd })
      },
      (error, stdout, stderr) =>
        resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : -1, stdout, stderr })
    )
  )

/**
 * Runs a bin with the given stdio (stdout and stderr are read when they are pipes). `onSpawn` can act on the child
 * at once, e.g. close its stdout; `stopOnStdout` kills it when it writes to stdout (a prompt) instead of waiting.
 */
const spawnRun = (
  program: string,
  args: ReadonlyArray<string>,
  stdio: StdioOptions,
  options: { onSpawn?: (child: ReturnType<typeof spawn>) => void; stopOnStdout?: boolean } = {}
) =>
  new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(program, args, {
      env: { PATH: process.env.PATH, GH_TOKEN: hub.token, GITHUB_API_URL: hub.url },
      stdio
    })
    let stdout = ""
    let stderr = ""
    child.stdout?.on("data", (d: Buffer) => {
      stdout += d
      if (options.stopOnStdout) child.kill("SIGKILL")
    })
    child.stderr?.on("data", (d: Buffer) => (stderr += d))
    child.on("close", (code) => resolve({ code, stdout, stderr }))
    options.onSpawn?.(child)
  })

describe("bundled programs", () => {
  it("spaces-vault: exports the demo org into an archive that verifies", async () => {
    const out = join(dir, "archives")
    const exported = await run(cli, ["export", "--org", "octo-archive", "--out", out, "--json"])
    expect(exported.stderr).toBe("")
    expect(exported.code).toBe(0)
    const summary = JSON.parse(exported.stdout)
    expect(summary.owners).toEqual([{ owner: "octo-archive", kind: "org", spaces: 60, failed: 0 }])
    expect((await stat(summary.archive)).mode & 0o777).toBe(0o600)
    const verified = await run(cli, ["verify", summary.archive, "--json"])
    expect(verified.code).toBe(0)
    expect(JSON.parse(verified.stdout)).toMatchObject({ ok: true })
  })

  it("spaces-vault: a usage error exits 2 with a message, not a stack trace", async () => {
    const r = await run(cli, ["export", "--bogus", "--json"])
    expect(r.code).toBe(2)
    expect(r.stderr).toBe(
      "error: Unrecognized flag: --bogus in command spaces-vault export; see spaces-vault export --help\n"
    )
    // Scripts read stdout (with --json, one JSON object): a usage error leaves it empty, no help text.
    expect(r.stdout).toBe("")
  })

  it("spaces-vault: never prompts with stdin open and not a terminal; --wizard is a usage error", async () => {
    // stdin is a pipe nobody writes to or closes, as under cron or in a container: a prompt would block forever,
    // so the run is stopped as soon as anything reaches stdout.
    const wizard = await spawnRun(cli, ["--wizard"], ["pipe", "pipe", "pipe"], { stopOnStdout: true })
    expect(wizard).toEqual({
      code: 2,
      stdout: "",
      stderr: expect.stringMatching(/^error: Unrecognized flag: --wizard.*; see spaces-vault --help\n$/)
    })
    // The other built-in global flags answer without reading stdin.
    const help = await spawnRun(cli, ["export", "--help"], ["pipe", "pipe", "pipe"])
    expect(help.code).toBe(0)
    expect(help.stdout).toMatch(/^DESCRIPTION\n[\s\S]*--log-level[\s\S]*\nEXIT CODES\n/)
    expect(help.stdout).not.toContain("wizard")
    const version = await spawnRun(cli, ["--version"], ["pipe", "pipe", "pipe"])
    expect(version).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/^spaces-vault v\d+\.\d+\.\d+\n$/),
      stderr: ""
    })
    const completions = await spawnRun(cli, ["--completions", "bash"], ["pipe", "pipe", "pipe"])
    expect(completions).toMatchObject({ code: 0, stdout: expect.stringContaining("complete -F"), stderr: "" })
    const logLevel = await spawnRun(
      cli,
      ["--log-level", "debug", "verify", "/nonexistent.zip", "--json"],
      ["pipe", "pipe", "pipe"]
    )
    expect(logLevel.code).toBe(1)
    expect(JSON.parse(logLevel.stdout)).toMatchObject({ ok: false })
  })

  it.skipIf(!existsSync("/dev/full"))(
    "spaces-vault: a failed write to stdout is one sentence and exit 1; a closed pipe stays quiet",
    async () => {
      const out = join(dir, "stdout-errors")
      const full = openSync("/dev/full", "w")
      try {
        // The export itself succeeds; only its summary cannot be written.
        const exported = await spawnRun(
          cli,
          ["export", "--org", "octo-archive", "--out", out, "--json"],
          ["ignore", full, "pipe"]
        )
        expect(exported).toEqual({
          code: 1,
          stdout: "",
          stderr: "error: cannot write to standard output: no space left on device (ENOSPC)\n"
        })
        const [archive] = await readdir(out)
        const verified = await spawnRun(cli, ["verify", join(out, archive!)], ["ignore", full, "pipe"])
        expect(verified).toEqual({
          code: 1,
          stdout: "",
          stderr: "error: cannot write to standard output: no space left on device (ENOSPC)\n"
        })
        expect((await spawnRun(cli, ["--help"], ["ignore", full, "pipe"])).code).toBe(1)
        // The reader went away (`| head`): EPIPE, nothing to say and the command's own exit code.
        const piped = await spawnRun(cli, ["verify", join(out, archive!), "--json"], ["ignore", "pipe", "pipe"], {
          onSpawn: (child) => child.stdout!.destroy()
        })
        expect(piped).toEqual({ code: 0, stdout: "", stderr: "" })
      } finally {
        closeSync(full)
      }
    }
  )

  it("spaces-vault: SIGTERM during an export removes the temporary archive, says so and exits 143", async () => {
    const slow = await startFakeHub({ seed: "demo", latencyMs: 20 })
    const out = join(dir, "interrupted")
    try {
      const child = spawn(cli, ["export", "--org", "octo-org", "--out", out, "--json"], {
        env: { PATH: process.env.PATH, GH_TOKEN: slow.token, GITHUB_API_URL: slow.url },
        stdio: ["ignore", "pipe", "pipe"]
      })
      let stdout = ""
      let stderr = ""
      child.stdout.on("data", (d: Buffer) => (stdout += d))
      child.stderr.on("data", (d: Buffer) => (stderr += d))
      const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)))
      // Wait until the export is under way (the temporary archive exists), then stop it.
      for (let i = 0; i < 200; i++) {
        if ((await readdir(out).catch(() => [] as Array<string>)).some((n) => n.includes(".tmp-"))) break
        await new Promise((r) => setTimeout(r, 25))
      }
      child.kill("SIGTERM")
      expect(await exited).toBe(143)
      expect(stderr).toBe("error: interrupted by SIGTERM\n")
      expect(stdout).toBe("")
      expect(await readdir(out)).toEqual([])
    } finally {
      await slow.close()
    }
  })

  it("spaces-vault: under `pnpm spaces-vault`, relative paths mean the directory pnpm was run in", async () => {
    const checkout = join(dir, "checkout")
    const sub = join(checkout, "docs")
    await mkdir(sub, { recursive: true })
    // What pnpm sets when a user in checkout/docs runs the root script: the script itself runs in the root.
    const pnpmEnv = (event: string) => ({
      INIT_CWD: sub,
      npm_package_name: "spaces-vault-workspace",
      npm_lifecycle_event: event
    })
    const exported = await run(cli, ["export", "--user", "mona", "--out", "backups", "--json"], {
      cwd: checkout,
      env: pnpmEnv("spaces-vault")
    })
    expect(exported.code).toBe(0)
    expect(JSON.parse(exported.stdout).archive).toMatch(
      new RegExp(`^${sub}/backups/spaces-vault-\\d{8}T\\d{6}Z\\.zip$`)
    )
    expect(await readdir(checkout)).toEqual(["docs"])
    // Inherited by a child of another script (the demo's), INIT_CWD is not the child's directory.
    const child = await run(cli, ["inspect", "nosuch.zip"], { cwd: checkout, env: pnpmEnv("demo") })
    expect(child.stderr).toContain(`${checkout}/nosuch.zip`)
  })

  const oldNode = ["/usr/bin/node", "/usr/local/bin/node"].find(
    (node) =>
      existsSync(node) &&
      Number(execFileSync(node, ["-p", "process.versions.node.split('.')[0]"], { encoding: "utf8" })) < 22
  )
  it.skipIf(oldNode === undefined)("both programs refuse an old Node in one sentence, exit 2", async () => {
    const version = execFileSync(oldNode!, ["--version"], { encoding: "utf8" }).trim()
    for (const [program, name] of [
      [cli, "spaces-vault"],
      [worker, "spaces-vault-worker"]
    ] as const) {
      expect(await run(program, ["--version"], { node: oldNode! })).toEqual({
        code: 2,
        stdout: "",
        stderr: `${name} needs Node 22.19 or newer, found ${version}\n`
      })
    }
  })

  it("the launcher loads its bundle, and says so in one line when the bundle is missing", async () => {
    const lonely = join(dir, "lonely")
    await mkdir(lonely)
    await copyFile(cli, join(lonely, "spaces-vault.mjs"))
    expect(await run(join(lonely, "spaces-vault.mjs"), ["--version"])).toEqual({
      code: 1,
      stdout: "",
      stderr: expect.stringMatching(
        /^spaces-vault: cannot load \.\/spaces-vault\.bundle\.mjs: Cannot find module .*\n$/
      )
    })
  })

  it("spaces-vault-worker: starts and documents its flags, with the project's version", async () => {
    const r = await run(worker, ["--help"])
    expect(r.code).toBe(0)
    expect(r.stdout).toContain("--once")
    expect(r.stdout).toMatch(/--config string +worker config file .*\(required\)\n/)
    expect(r.stdout).toMatch(/\nEXAMPLES\n {2}# run on the config.s schedule\n {2}spaces-vault-worker --config /)
    expect(r.stdout).toMatch(
      /\nEXIT CODES\n {2}0 {2}done, or the scheduler stopped by SIGTERM\/SIGINT\n[\s\S]* {2}130, 143 {2}a --once run/
    )
    expect(await run(worker, ["--version"])).toEqual({
      code: 0,
      stdout: `spaces-vault-worker v${VERSION}\n`,
      stderr: ""
    })
  })

  it("spaces-vault-worker: under `pnpm worker`, --config is relative to the directory pnpm was run in", async () => {
    const sub = join(dir, "worker-cwd")
    await mkdir(sub, { recursive: true })
    const r = await run(worker, ["--config", "nosuch.yaml", "--once"], {
      cwd: dir,
      env: { INIT_CWD: sub, npm_package_name: "spaces-vault-workspace", npm_lifecycle_event: "worker" }
    })
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(new RegExp(`^error: config ${sub}/nosuch\\.yaml: cannot be read`))
  })
})
