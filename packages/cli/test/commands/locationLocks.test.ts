// The location locks from the command line: `prune` and `export` hold theirs in the state directory (--state-dir,
// else SPACES_VAULT_STATE_DIR, …); a second holder is refused with one sentence naming the first, exit 1.
import { mkdir, readdir, writeFile } from "node:fs/promises"
import { hostname } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { compareArchiveNamesDesc } from "@spaces-vault/core/archive/ArchiveName"
import { lockLocation } from "@spaces-vault/core/archive/LocationLock"
import { startFakeHub, type FakeHub } from "@spaces-vault/fixtures"
import { Effect } from "effect"
import { cli, tmp } from "../harness.ts"

let hub: FakeHub
let env: Record<string, string>
beforeAll(async () => {
  hub = await startFakeHub({ seed: "demo" })
  env = { GH_TOKEN: hub.token, GITHUB_API_URL: hub.url }
})
afterAll(async () => {
  expect(hub.counters.contractViolations).toEqual([])
  await hub.close()
})

const zips = (dir: string) =>
  Effect.promise(() => readdir(dir)).pipe(Effect.map((names) => names.filter((n) => n.endsWith(".zip")).sort()))

describe("prune and the retention lock", () => {
  it.live("a prune while another holds the location's retention lock exits 1 naming it and deletes nothing", () =>
    Effect.gen(function* () {
      const out = yield* tmp
      const stateDir = yield* tmp
      for (let i = 0; i < 2; i++)
        expect((yield* cli(["export", "--org", "octo-archive", "--out", out, "--state-dir", stateDir], env)).code).toBe(
          0
        )
      const before = yield* zips(out)
      expect(before).toHaveLength(2)
      yield* Effect.scoped(
        Effect.gen(function* () {
          // The worker's retention, say, on this machine with this state directory.
          yield* lockLocation(stateDir, "retention", out)
          const refused = yield* cli(["prune", out, "--keep-last", "1", "--state-dir", stateDir], env)
          expect(refused.code).toBe(1)
          expect(refused.stdout).toEqual([])
          expect(refused.stderr).toHaveLength(1)
          expect(refused.stderr[0]).toMatch(
            new RegExp(`^error: retention of ${out} is locked by pid ${process.pid} on ${hostname()} since \\S+Z; `)
          )
          expect(yield* zips(out)).toEqual(before)
          // The same through SPACES_VAULT_STATE_DIR; a dry run deletes nothing and takes no lock.
          expect(
            (yield* cli(["prune", out, "--keep-last", "1"], { ...env, SPACES_VAULT_STATE_DIR: stateDir })).code
          ).toBe(1)
          expect((yield* cli(["prune", out, "--keep-last", "1", "--dry-run", "--state-dir", stateDir], env)).code).toBe(
            0
          )
        })
      )
      const pruned = yield* cli(["prune", out, "--keep-last", "1", "--state-dir", stateDir], env)
      expect(pruned.code).toBe(0)
      // The newest is kept: two exports within one second are NAME.zip then NAME-2.zip, which sorts first as text.
      expect(yield* zips(out)).toEqual([[...before].sort(compareArchiveNamesDesc)[0]])
    })
  )

  it.live("with no state directory chosen, a worker's default one inside the archive directory holds the lock", () =>
    Effect.gen(function* () {
      const out = yield* tmp
      const elsewhere = yield* tmp
      expect((yield* cli(["export", "--org", "octo-archive", "--out", out, "--state-dir", elsewhere], env)).code).toBe(
        0
      )
      expect((yield* cli(["export", "--org", "octo-archive", "--out", out, "--state-dir", elsewhere], env)).code).toBe(
        0
      )
      // A worker whose config names no stateDir keeps its state (and takes its retention lock) in OUT/.spaces-vault.
      const workerState = join(out, ".spaces-vault")
      yield* Effect.promise(() => mkdir(workerState))
      // No state directory chosen: the harness sets SPACES_VAULT_STATE_DIR unless told otherwise.
      const home = { ...env, SPACES_VAULT_STATE_DIR: "" }
      yield* Effect.scoped(
        Effect.gen(function* () {
          yield* lockLocation(workerState, "retention", out)
          const refused = yield* cli(["prune", out, "--keep-last", "1"], home)
          expect(refused.code).toBe(1)
          expect(refused.stderr[0]).toMatch(/^error: retention of .* is locked by pid /)
          // A dry run deletes nothing and takes no lock.
          expect((yield* cli(["prune", out, "--keep-last", "1", "--dry-run"], home)).code).toBe(0)
        })
      )
      expect(yield* zips(out)).toHaveLength(2)
      expect((yield* cli(["prune", out, "--keep-last", "1"], home)).code).toBe(0)
      expect(yield* zips(out)).toHaveLength(1)
    })
  )

  it.live("a state directory that cannot be made exits 2", () =>
    Effect.gen(function* () {
      const out = yield* tmp
      const file = join(yield* tmp, "a-file")
      yield* Effect.promise(() => writeFile(file, "not a directory"))
      const r = yield* cli(["prune", out, "--keep-last", "1", "--state-dir", file], env)
      expect(r.code).toBe(2)
      expect(r.stderr).toHaveLength(1)
      expect(r.stderr[0]).toMatch(/^error: cannot lock retention of .*: cannot create the state directory .*a-file: /)
    })
  )
})

describe("export and its lock per location and shard", () => {
  it.live("an export of a shard another export is writing exits 1 naming it; another shard runs", () =>
    Effect.gen(function* () {
      const out = yield* tmp
      const stateDir = yield* tmp
      yield* Effect.scoped(
        Effect.gen(function* () {
          yield* lockLocation(stateDir, "export", out, { shard: { index: 0, count: 2 } })
          const sent = hub.counters.requests
          const refused = yield* cli(
            ["export", "--org", "octo-archive", "--out", out, "--shard", "0/2", "--state-dir", stateDir, "--json"],
            env
          )
          expect(refused.code).toBe(1)
          expect(refused.stdout).toEqual([])
          expect(refused.stderr).toEqual([
            expect.stringMatching(
              new RegExp(
                `^error: exporting shard 0 of 2 to ${out} is locked by pid ${process.pid} on .* since \\S+Z; another export of it is running$`
              )
            )
          ])
          // Refused before any request, and nothing written.
          expect(hub.counters.requests).toBe(sent)
          expect(yield* zips(out)).toEqual([])
          const other = yield* cli(
            ["export", "--org", "octo-archive", "--out", out, "--shard", "1/2", "--state-dir", stateDir],
            env
          )
          expect(other.code).toBe(0)
          // An unsharded export is its own lock too.
          expect(
            (yield* cli(["export", "--org", "octo-archive", "--out", out, "--state-dir", stateDir], env)).code
          ).toBe(0)
        })
      )
      expect(yield* zips(out)).toHaveLength(2)
      // Released when the export ends: the state directory holds no lock.
      expect((yield* Effect.promise(() => readdir(stateDir))).filter((n) => n.endsWith(".lock"))).toEqual([])
    })
  )
})
