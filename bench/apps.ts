// App benchmark: 20 organizations x 300 spaces, once as a GitHub App (each installation with its own small primary
// budget and a short reset window on fakehub) and once with one shared token of the same budget. Prints both times
// and the waits: with an App, one organization spending its budget should not stop the others.
import { mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { seedLarge, startFakeHub } from "@spaces-vault/fixtures"
import { Effect, Redacted } from "effect"
import { org } from "@spaces-vault/core/domain/Owner"
import { exportSpaces } from "@spaces-vault/core/export/ExportSpaces"
import { GitHubClient } from "@spaces-vault/core/github/GitHubClient"
import { defaultRetryOptions } from "@spaces-vault/core/github/RetryPolicy"

const ORGS = Number(process.env.BENCH_APP_ORGS ?? 20)
const SPACES = Number(process.env.BENCH_APP_SPACES ?? 300)
/** Each budget (an installation's, or the shared token's): requests per window, small enough to run out. */
const LIMIT = Number(process.env.BENCH_APP_LIMIT ?? 400)
const WINDOW_SECONDS = Number(process.env.BENCH_APP_WINDOW ?? 3)
const LATENCY_MS = 5
const fmt = (n: number) => n.toLocaleString("en-US", { maximumFractionDigits: 1 })

// Only the primary budget is under test: secondary limits raised on fakehub and unpaced in the client.
const unpaced = { pointsPerMinute: Infinity, contentPerMinute: Infinity, contentPerHour: Infinity }

const run = async (label: string, asApp: boolean) => {
  const budget = { limit: LIMIT, windowSeconds: WINDOW_SECONDS }
  const hub = await startFakeHub({
    latencyMs: LATENCY_MS,
    validateContract: false,
    rateLimit: { ...budget, pointsPerMinute: 10_000_000, maxConcurrent: 100, installation: budget }
  })
  const owners = Array.from({ length: ORGS }, (_, i) => `bench-app-${String(i).padStart(2, "0")}`)
  seedLarge(hub.state, { owners, spacesPerOwner: SPACES })
  const app = asApp ? hub.apps.create({ slug: "bench-app" }) : undefined
  if (app !== undefined) for (const o of owners) hub.apps.install(app.id, o)
  const dir = await mkdtemp(join(tmpdir(), "sv-bench-app-"))
  try {
    const summary = await Effect.runPromise(
      exportSpaces({ owners: owners.map(org), outDir: dir, concurrency: 16 }).pipe(
        Effect.provide(
          GitHubClient.layer({
            ...defaultRetryOptions,
            ...unpaced,
            apiUrl: hub.url,
            token: Redacted.make(asApp ? "" : hub.token),
            ...(app === undefined
              ? {}
              : { app: { appId: String(app.id), privateKey: Redacted.make(app.privateKeyPem) } }),
            concurrency: 16,
            writesPerMinute: 60,
            userAgent: "bench"
          })
        )
      )
    )
    const spaces = summary.owners.reduce((n, o) => n + o.spaces, 0)
    console.log(
      `${label.padEnd(26)}${fmt(summary.durationMs / 1000)} s, ${fmt(summary.requests)} requests, ${fmt(spaces)} spaces${summary.partial ? " (PARTIAL)" : ""}, ${fmt(summary.rateLimitWaits ?? 0)} rate-limited answers`
    )
    return summary
  } finally {
    await hub.close()
    await rm(dir, { recursive: true, force: true })
  }
}

export const appBench = async () => {
  console.log(
    `\n# GitHub App: ${ORGS} orgs x ${SPACES} spaces, each budget ${LIMIT} requests per ${WINDOW_SECONDS} s window, ${LATENCY_MS} ms latency, concurrency 16`
  )
  const shared = await run("one shared token:", false)
  const app = await run("App, budget per installation:", true)
  console.log(`-> the App export takes ${fmt(app.durationMs / shared.durationMs)}x the shared token's time`)
}

if (import.meta.url === `file://${process.argv[1]}`) {
  appBench().catch((e: unknown) => {
    console.error(`bench: ${e instanceof Error ? e.message : String(e)}`)
    process.exitCode = 1
  })
}
