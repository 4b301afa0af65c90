// The programs as installed: bundled by `pnpm build` and run by Node as their bins are, in child processes.
// Bundling can break what the sources' tests cannot see (a dependency's require(), a JSON import), so the
// bundles run the real job here: export against fakehub, verify, the usage exit code, the worker's help.
import { execFile, spawn } from "node:child_process"
import { mkdtemp, readdir, rm, stat } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { startFakeHub, type FakeHub } from "@spaces-vault/fixtures"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
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

const run = (program: string, args: ReadonlyArray<string>) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
    // The bin itself, not `node bin`: its #! line and mode are part of what an install runs.
    execFile(program, args, { env: { PATH: process.env["PATH"], GH_TOKEN: hub.token, GITHUB_API_URL: hub.url } }, (error, stdout, stderr) =>
      resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : -1, stdout, stderr })
    )
  )

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
    const r = await run(cli, ["export", "--bogus"])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain("--bogus")
    expect(r.stderr).not.toMatch(/\n\s+at /)
  })

  it("spaces-vault: SIGTERM during an export removes the temporary archive, says so and exits 143", async () => {
    const slow = await startFakeHub({ seed: "demo", latencyMs: 20 })
    const out = join(dir, "interrupted")
    try {
      const child = spawn(cli, ["export", "--org", "octo-org", "--out", out, "--json"], {
        env: { PATH: process.env["PATH"], GH_TOKEN: slow.token, GITHUB_API_URL: slow.url },
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

  it("spaces-vault-worker: starts and documents its flags", async () => {
    const r = await run(worker, ["--help"])
    expect(r.code).toBe(0)
    expect(r.stdout).toContain("--once")
  })
})
