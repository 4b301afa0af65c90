// `pnpm bench`: export benchmarks against fakehub. Prints requests vs the minimum, wall time vs the bound
// (requests x latency / concurrency) and against the floor (the same requests through a bare fetch, which shows
// what this machine and fakehub allow any client), a naive sequential loop for comparison, the budget a second
// export of unchanged spaces costs, and peak RSS at 50,000 spaces; then replay (replay.ts), 20 orgs as a GitHub App
// against one shared token (apps.ts), and history and restore's search over a year of archives (history.ts, also
// runnable alone). Not part of the test suite.
import { execFile } from "node:child_process"
import { rmSync } from "node:fs"
import { mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { nextLink } from "@spaces-vault/core/github/Link"
import { seedLarge, startFakeHub, type FakeHub } from "@spaces-vault/fixtures"
import { bundle } from "../scripts/build.ts"
import { appBench } from "./apps.ts"
import { historyBench } from "./history.ts"
import { replayBench } from "./replay.ts"

const LATENCY_MS = Number(process.env.BENCH_LATENCY_MS ?? 20)
const CONCURRENCY = 16 // the default
const OWNERS = ["bench-a", "bench-b", "bench-c"]
const SPACES = Number(process.env.BENCH_SPACES ?? 2000)
const RSS_SPACES = Number(process.env.BENCH_RSS_SPACES ?? 50_000)
// V8's own heap sizing, which the programs' lean heap replaces unless the node command line chooses (LeanHeap.ts).
const NODE_HEAP = ["--semi-space-growth-factor=2", "--heap-growing-percent=0"]

// The benchmark measures throughput: budgets are raised so GitHub's limits do not dominate the figures.
const unlimited = { limit: 10_000_000, pointsPerMinute: 10_000_000, maxConcurrent: 100 }

const fmt = (n: number) => n.toLocaleString("en-US", { maximumFractionDigits: 2 })

const seed = (hub: FakeHub, total: number) => {
  const per = Math.floor(total / OWNERS.length)
  for (const [i, o] of OWNERS.entries())
    seedLarge(hub.state, {
      owners: [o],
      spacesPerOwner: i === OWNERS.length - 1 ? total - per * (OWNERS.length - 1) : per
    })
}

const minimum = (hub: FakeHub) => {
  let n = 0
  const repos = new Set<number>()
  for (const o of OWNERS) {
    const spaces = hub.state.listSpaces(o)
    n += Math.max(1, Math.ceil(spaces.length / 100)) + 2 * spaces.length
    for (const s of spaces)
      for (const r of s.resources)
        if (typeof r.metadata.repository_id === "number") repos.add(r.metadata.repository_id as number)
  }
  return n + repos.size
}

/**
 * The export in its own process, bundled as `pnpm build` bundles the programs (no type stripping at run time), so
 * its memory and CPU are those of an installed spaces-vault; and fakehub does not share its event loop.
 */
let child: Promise<string> | undefined
const childScript = () =>
  (child ??= mkdtemp(join(tmpdir(), "sv-bench-child-")).then((d) => {
    process.on("exit", () => rmSync(d, { recursive: true, force: true }))
    return bundle(new URL("./export-child.ts", import.meta.url).pathname, join(d, "export-child.mjs"))
  }))

/** Runs `node args…` and parses the JSON it prints. */
const nodeJson = <A>(args: ReadonlyArray<string>) =>
  new Promise<A>((resolve, reject) =>
    execFile(process.execPath, args, { maxBuffer: 1 << 20 }, (e, stdout, stderr) =>
      e ? reject(new Error(`${e.message}\n${stderr}`)) : resolve(JSON.parse(stdout) as A)
    )
  )

const childExport = async (
  hub: FakeHub,
  outDir: string,
  owners: ReadonlyArray<string>,
  nodeArgs: ReadonlyArray<string> = []
) =>
  nodeJson<{
    requests: number
    notModified: number
    durationMs: number
    maxRssKb: number
    cpuMs: number
    owners: Array<{ spaces: number }>
  }>([
    ...nodeArgs,
    // BENCH_CHILD_ARGS, e.g. "--cpu-prof", profiles the export process.
    ...(process.env.BENCH_CHILD_ARGS?.split(" ").filter(Boolean) ?? []),
    await childScript(),
    hub.url,
    hub.token,
    outDir,
    ...owners
  ])

/** The floor: the same requests and concurrency through a bare fetch, in its own process (bench/bare-child.ts). */
const bareClient = (hub: FakeHub, owners: ReadonlyArray<string>) =>
  nodeJson<{ requests: number; durationMs: number; cpuMs: number }>([
    new URL("./bare-child.ts", import.meta.url).pathname,
    hub.url,
    hub.token,
    String(CONCURRENCY),
    ...owners
  ])

/** What a first script would do: one request at a time, no ETags, a repository lookup per reference. */
const naiveLoop = async (hub: FakeHub) => {
  const get = async (url: string) => {
    const res = await fetch(url.startsWith("http") ? url : `${hub.url}${url}`, {
      headers: { authorization: `Bearer ${hub.token}`, "x-github-api-version": "2026-03-10" }
    })
    return { body: (await res.json()) as any, link: res.headers.get("link") }
  }
  let requests = 0
  for (const o of OWNERS) {
    let next: string | undefined = `/orgs/${o}/copilot-spaces?per_page=100`
    while (next !== undefined) {
      const page = await get(next)
      requests++
      for (const item of page.body.spaces) {
        const space = await get(`/orgs/${o}/copilot-spaces/${item.number}`)
        await get(`/orgs/${o}/copilot-spaces/${item.number}/collaborators`)
        requests += 2
        for (const r of space.body.resources_attributes) {
          if (typeof r.metadata.repository_id === "number") {
            await get(`/repositories/${r.metadata.repository_id}`)
            requests++
          }
        }
      }
      next = nextLink(page.link ?? undefined)
    }
  }
  return requests
}

const main = async () => {
  console.log(
    `# export benchmark: ${fmt(SPACES)} spaces across ${OWNERS.length} owners, ${LATENCY_MS} ms latency, concurrency ${CONCURRENCY}`
  )
  const hub = await startFakeHub({ latencyMs: LATENCY_MS, rateLimit: unlimited, validateContract: false })
  seed(hub, SPACES)
  const dir = await mkdtemp(join(tmpdir(), "sv-bench-"))
  try {
    const min = minimum(hub)
    const hubCpu0 = process.cpuUsage()
    const first = await childExport(hub, dir, OWNERS)
    const hubCpu = process.cpuUsage(hubCpu0)
    const wall = first.durationMs
    const bound = (first.requests * LATENCY_MS) / CONCURRENCY
    console.log(
      `requests:           ${fmt(first.requests)} (minimum ${fmt(min)}${first.requests === min ? ", equal" : ""})`
    )
    console.log(
      `wall time:          ${fmt(wall / 1000)} s (bound ${fmt(bound / 1000)} s, ratio ${fmt(wall / bound)}; client CPU ${fmt(first.cpuMs / 1000)} s, fakehub CPU ${fmt((hubCpu.user + hubCpu.system) / 1e6)} s)`
    )

    const floor = await bareClient(hub, OWNERS)
    console.log(
      `floor (bare fetch): ${fmt(floor.durationMs / 1000)} s for the same ${fmt(floor.requests)} requests (ratio ${fmt(floor.durationMs / bound)}; client CPU ${fmt(floor.cpuMs / 1000)} s) -> spaces-vault takes ${fmt(wall / floor.durationMs)}x the floor`
    )

    const budgetBefore = hub.counters.budgetConsumed()
    const second = await childExport(hub, dir, OWNERS)
    const wall2 = second.durationMs
    const pages = OWNERS.reduce((n, o) => n + Math.max(1, Math.ceil(hub.state.listSpaces(o).length / 100)), 0)
    console.log(
      `second export:      ${fmt(second.requests)} requests, ${fmt(second.notModified)} answered 304, primary budget spent ${fmt(hub.counters.budgetConsumed() - budgetBefore)} (list pages: ${pages}), ${fmt(wall2 / 1000)} s`
    )

    if (process.env.BENCH_QUICK) return
    const t0 = performance.now()
    const naiveRequests = await naiveLoop(hub)
    const naive = performance.now() - t0
    console.log(
      `naive sequential:   ${fmt(naiveRequests)} requests, ${fmt(naive / 1000)} s -> spaces-vault is ${fmt(naive / wall)}x faster`
    )
  } finally {
    await hub.close()
    await rm(dir, { recursive: true, force: true })
  }

  if (process.env.BENCH_QUICK) return // BENCH_QUICK=1: only the export figures
  console.log(`\n# memory: ${fmt(RSS_SPACES)} spaces, no latency, export in a child process`)
  const big = await startFakeHub({ rateLimit: unlimited, validateContract: false })
  seedLarge(big.state, { owners: ["rss-a", "rss-b"], spacesPerOwner: RSS_SPACES / 2 })
  const bigDir = await mkdtemp(join(tmpdir(), "sv-bench-rss-"))
  try {
    // The programs' lean heap, then V8's own sizing for comparison.
    for (const [label, nodeArgs] of [
      ["peak RSS:", []],
      ["peak RSS (V8 sizing):", NODE_HEAP]
    ] as const) {
      const t0 = performance.now()
      // A fresh directory each time: a first export, with no earlier archive to make 304s of.
      const r = await childExport(big, await mkdtemp(join(bigDir, "run-")), ["rss-a", "rss-b"], nodeArgs)
      console.log(
        `${label.padEnd(22)}${fmt(r.maxRssKb / 1024)} MiB (${fmt((r.maxRssKb * 1024) / 1e6)} MB) for ${fmt(r.owners.reduce((n, o) => n + o.spaces, 0))} spaces (${fmt(r.requests)} requests, ${fmt((performance.now() - t0) / 1000)} s, client CPU ${fmt(r.cpuMs / 1000)} s)${nodeArgs.length > 0 ? ` with node ${nodeArgs.join(" ")}` : ""}`
      )
    }
  } finally {
    await big.close()
    await rm(bigDir, { recursive: true, force: true })
  }
}

main()
  .then(() => (process.env.BENCH_QUICK ? undefined : replayBench()))
  .then(() => (process.env.BENCH_QUICK ? undefined : appBench()))
  .then(() => (process.env.BENCH_QUICK ? undefined : historyBench()))
  .catch((e: unknown) => {
    console.error(`bench: ${e instanceof Error ? e.message : String(e)}`)
    process.exitCode = 1
  })
