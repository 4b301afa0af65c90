// export --max-wait: a primary reset further away than the person will wait fails the owners still to do at once
// (exit 1, a partial archive of what was done) instead of waiting; a value that is not a duration exits 2.
import { mkdtemp, readdir } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { startFakeHub, type FakeHub } from "@spaces-vault/fixtures"
import { afterEach, describe, expect, it } from "vitest"
import { runCli } from "./harness.ts"

let hub: FakeHub | undefined
afterEach(async () => {
  expect(hub?.counters.contractViolations ?? []).toEqual([])
  await hub?.close()
  hub = undefined
})

const tmp = () => mkdtemp(join(tmpdir(), "sv-cli-maxwait-"))

describe("spaces-vault export --max-wait", () => {
  it("stops at a primary limit that resets in an hour: exit 1, a partial archive, the reason per owner", async () => {
    // 40 requests an hour: octo-archive (60 spaces) uses the budget up; the reset is an hour away.
    hub = await startFakeHub({ seed: "demo", rateLimit: { limit: 40, windowSeconds: 3600 } })
    const env = { GH_TOKEN: hub.token, GITHUB_API_URL: hub.url }
    const out = await tmp()
    const started = Date.now()
    const r = await runCli(
      ["export", "--org", "octo-archive", "--user", "mona", "--out", out, "--max-wait", "10m", "--json"],
      env
    )
    expect(Date.now() - started).toBeLessThan(20_000)
    expect(r.code).toBe(1)
    const summary = r.json()
    expect(summary.partial).toBe(true)
    expect(summary.owners[0]).toMatchObject({ owner: "octo-archive", failed: expect.any(Number) })
    expect(summary.owners[0].failed).toBeGreaterThan(0)
    // mona's list may have been read ahead before the budget ran out; her spaces were not.
    expect(summary.owners[1]).toMatchObject({ owner: "mona", spaces: 0 })
    expect(summary.owners[1].failed).toBeGreaterThan(0)
    expect(await readdir(out)).toEqual([summary.archive.split("/").pop()])
    // mona alone: nothing could be read, so no archive at all, and the reason on stderr.
    const humanOut = await tmp()
    const human = await runCli(["export", "--user", "mona", "--out", humanOut, "--max-wait", "10m"], env)
    expect(human.code).toBe(1)
    expect(human.stdout).toEqual([])
    expect(human.stderr.join("\n")).toMatch(
      /^error: no owner could be read, so no archive was written: mona: list: GET \/users\/mona\/copilot-spaces gave up: requests are paused until \d\d:\d\d UTC \(primary rate limit on GET [^)]+\), longer than the maximum wait of 10 min/
    )
    expect(await readdir(humanOut)).toEqual([])
  })

  it("exits 2 for a value that is not a duration, before any request", async () => {
    hub = await startFakeHub({ seed: "demo" })
    const out = await tmp()
    const r = await runCli(["export", "--org", "octo-org", "--out", out, "--max-wait", "soon"], {
      GH_TOKEN: hub.token,
      GITHUB_API_URL: hub.url
    })
    expect(r.code).toBe(2)
    expect(r.stderr.join("\n")).toMatch(
      /--max-wait: "soon" is not a duration: write it as a number and a unit, e\.g\. 90s, 10m or 1h/
    )
    expect(hub.counters.requests).toBe(0)
    expect(await readdir(out)).toEqual([])
  })
})
