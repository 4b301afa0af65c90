// export --shard: each shard exports its owners only (by sha256 of the lowercased login), into an archive of its own
// name in a shared --out; a value that is not INDEX/COUNT exits 2 before any request.
import { readdir } from "node:fs/promises"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { startFakeHub, type FakeHub } from "@spaces-vault/fixtures"
import { Effect } from "effect"
import { cli, tmp } from "./harness.ts"

let hub: FakeHub
let env: Record<string, string>
beforeAll(async () => {
  hub = await startFakeHub({ seed: "demo" })
  const stateDir = await Effect.runPromise(tmp)
  env = { GH_TOKEN: hub.token, GITHUB_API_URL: hub.url, SPACES_VAULT_STATE_DIR: stateDir }
})
afterAll(async () => {
  expect(hub.counters.contractViolations).toEqual([])
  await hub.close()
})

const owners = ["--org", "octo-archive", "--org", "OCTO-MIGRATED", "--user", "mona"]

describe("spaces-vault export --shard", () => {
  it.live("splits the owners over the shards, each once, each shard its own archive in one --out", () =>
    Effect.gen(function* () {
      const out = yield* tmp
      const run = (index: number) =>
        cli(["export", ...owners, "--out", out, "--shard", `${index}/3`, "--run-id", "night-7", "--json"], env)
      const results = [yield* run(0), yield* run(1), yield* run(2)]
      for (const r of results) expect(r.code).toBe(0)
      const exported = results.map((r) => r.json().owners.map((o: { owner: string }) => o.owner))
      // sha256 of the lowercased login mod 3: octo-migrated 0; octo-archive and mona 1; none 2.
      expect(exported).toEqual([["OCTO-MIGRATED"], ["octo-archive", "mona"], []])
      expect(results.map((r) => r.json().shard)).toEqual([0, 1, 2].map((index) => ({ index, count: 3 })))
      for (const r of results) expect(r.json().runId).toBe("night-7")
      const names = (yield* Effect.promise(() => readdir(out))).filter((n) => n.endsWith(".zip")).sort()
      expect(names).toHaveLength(3)
      for (const [i, n] of names.entries())
        expect(n).toMatch(new RegExp(`^spaces-vault-\\d{8}T\\d{6}Z-shard-${i}-of-3\\.zip$`))
      const shown = yield* cli(["inspect", results[1]!.json().archive], env)
      expect(shown.stdout[0]).toContain("\nrun night-7, shard 1 of 3\n")
      // An empty shard's archive is complete and says so.
      const inspect = yield* cli(["verify", results[2]!.json().archive, "--json"], env)
      expect(inspect.code).toBe(0)
    })
  )

  it.live("exits 2 with one sentence for a value that is not INDEX/COUNT, before any request", () =>
    Effect.gen(function* () {
      const out = yield* tmp
      const sent = hub.counters.requests
      // `--shard=-1/2`: a value that starts with "-" needs the `=` form, or it reads as a flag.
      for (const [value, message] of [
        ["3/3", /--shard "3\/3": the shard index must be a whole number from 0 to 2/],
        ["-1/2", /--shard "-1\/2" is not INDEX\/COUNT/],
        ["a/b", /--shard "a\/b" is not INDEX\/COUNT/],
        ["0/0", /--shard "0\/0": the shard count must be a whole number of at least 1/]
      ] as const) {
        const r = yield* cli(["export", "--org", "octo-archive", "--out", out, `--shard=${value}`], env)
        expect(r.code).toBe(2)
        expect(r.stdout).toEqual([])
        expect(r.stderr).toHaveLength(1)
        expect(r.stderr[0]).toMatch(message)
      }
      expect(hub.counters.requests).toBe(sent)
      expect(yield* Effect.promise(() => readdir(out))).toEqual([])
    })
  )
})
