// History and restore-search benchmark: a year of nightly archives (365 x 2,000 spaces, written with the archive
// writer directly into bench-out/, reused when already there), then `history` of one space and restore's search
// (one space, and every space deleted in the year) timed as each command does them: manifests and asked entries.
import { existsSync } from "node:fs"
import { mkdir, readdir, rm } from "node:fs/promises"
import { join } from "node:path"
// The bench package has no dependency of its own on the platform layer: core's, as the programs get it.
import * as NodeServices from "../packages/core/node_modules/@effect/platform-node/dist/NodeServices.js"
import { Effect } from "effect"
import { archiveFileName } from "@spaces-vault/core/archive/ArchiveDirectory"
import { openArchiveWriter } from "@spaces-vault/core/archive/ArchiveWriter"
import { planRestore } from "@spaces-vault/core/history/Restore"
import { spaceHistory } from "@spaces-vault/core/history/SpaceHistory"

const NIGHTS = Number(process.env.BENCH_HISTORY_NIGHTS ?? 365)
const SPACES = Number(process.env.BENCH_HISTORY_SPACES ?? 2000)
const OWNERS = ["bench-a", "bench-b"]
const DIR = join(import.meta.dirname, "..", "bench-out", `history-${NIGHTS}x${SPACES}`)
const START = Date.UTC(2025, 11, 1, 2, 30)
const DAY = 86_400_000
const fmt = (n: number) => n.toLocaleString("en-US", { maximumFractionDigits: 2 })

const space = (owner: string, number: number, night: number) => ({
  id: 10_000 + number,
  number,
  // Each night a few spaces are renamed: space n changes every 97 nights.
  name: `Space ${number} v${Math.floor((night + number) / 97)}`,
  description: "A space of the benchmark",
  general_instructions: "Answer in English. ".repeat(20),
  base_role: "reader",
  owner: { login: owner, id: 1, type: "Organization" },
  creator: { login: "octocat", id: 2 },
  created_at: "2025-01-01T00:00:00Z",
  updated_at: "2025-01-02T00:00:00Z",
  html_url: `https://github.com/copilot/spaces/${owner}/${number}`,
  api_url: `https://api.github.com/organizations/1/copilot-spaces/${number}`,
  resources_attributes: [
    { id: number, resource_type: "repository", metadata: { repository_id: 42 }, copilot_chat_attachment_id: null }
  ],
  collaborators: [{ actor_type: "User", role: "writer", login: "hubot", id: 5 }],
  etags: { space: `"e${number}"` }
})

/** Night `n` of an owner: spaces n+1 .. n+per (one deleted and one added each night). */
const numbersOf = (night: number, per: number) => Array.from({ length: per }, (_, i) => night + i + 1)

const writeNight = (night: number) =>
  Effect.scoped(
    Effect.gen(function* () {
      const createdAt = START + night * DAY
      const w = yield* openArchiveWriter(join(DIR, archiveFileName(createdAt)))
      const per = SPACES / OWNERS.length
      for (const owner of OWNERS)
        for (const n of numbersOf(night, per)) yield* w.addSpace(owner, n, space(owner, n, night))
      yield* w.setRepositories({ "42": { full_name: "bench-a/api" } })
      yield* w.finish({
        toolVersion: "bench",
        createdAt: new Date(createdAt).toISOString(),
        sourceApiUrl: "https://api.github.com",
        partial: false,
        owners: OWNERS.map((login) => ({
          login,
          kind: "org" as const,
          status: "complete" as const,
          spaces: per,
          failures: [],
          vanished: []
        }))
      })
    })
  )

const generate = async () => {
  const have = existsSync(DIR) ? (await readdir(DIR)).filter((n) => n.endsWith(".zip")).length : 0
  if (have === NIGHTS) return 0
  await rm(DIR, { recursive: true, force: true })
  await mkdir(DIR, { recursive: true })
  const t0 = performance.now()
  for (let night = 0; night < NIGHTS; night++) await Effect.runPromise(writeNight(night))
  return performance.now() - t0
}

const timed = async <A>(effect: Effect.Effect<A, unknown, any>) => {
  const t0 = performance.now()
  const value = await Effect.runPromise(Effect.provide(effect, NodeServices.layer) as Effect.Effect<A, unknown>)
  return { value, ms: performance.now() - t0 }
}

export const historyBench = async () => {
  console.log(`\n# history and restore search: ${NIGHTS} archives x ${fmt(SPACES)} spaces in ${DIR}`)
  const generated = await generate()
  if (generated > 0) console.log(`generated:          ${fmt(generated / 1000)} s (kept for later runs)`)
  // Space 100 of bench-a: present from the first night, renamed every 97 nights, deleted on night 100.
  const target = { owner: "bench-a", number: 100 }
  const h = await timed(spaceHistory(DIR, target, undefined))
  console.log(
    `history:            ${fmt(h.ms / 1000)} s (${h.value.events.length} events: ${h.value.events.map((e) => e.kind).join(", ")})`
  )
  const one = await timed(planRestore(DIR, { _tag: "Spaces", spaces: [target] }))
  console.log(`restore search:     ${fmt(one.ms / 1000)} s for one space (from ${one.value.sources[0]?.archive})`)
  const all = await timed(planRestore(DIR, { _tag: "DeletedSince", since: START }))
  console.log(`deleted-since:      ${fmt(all.ms / 1000)} s for a year (${fmt(all.value.sources.length)} spaces found)`)
  console.log("target:             under 10 s each")
}

if (process.argv[1] === import.meta.filename) await historyBench()
