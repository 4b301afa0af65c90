// Replay benchmark: a 500-space migration at the default pacing and unpaced, on a time-scaled fakehub where a
// "minute" lasts one second (client and fake scaled alike, so the dynamics are GitHub's, 60x faster).
// Prints durations (also in equivalent real time) and the secondary-limit responses seen.
import { mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { seedLarge, startFakeHub } from "@spaces-vault/fixtures"
import { Effect, ManagedRuntime, Redacted, References } from "effect"
import { org } from "@spaces-vault/core/domain/Owner"
import { exportSpaces } from "@spaces-vault/core/export/ExportSpaces"
import { GitHubClient } from "@spaces-vault/core/github/GitHubClient"
import { githubSecondaryLimits } from "@spaces-vault/core/github/RateGate"
import { defaultRetryOptions } from "@spaces-vault/core/github/RetryPolicy"
import { emptyMaps } from "@spaces-vault/core/replay/MapFiles"
import { replayArchive } from "@spaces-vault/core/replay/Replay"

const SPACES = Number(process.env.BENCH_REPLAY_SPACES ?? 500)
const SCALE = 1 / 60 // one "minute" = one second
const fmt = (n: number) => n.toLocaleString("en-US", { maximumFractionDigits: 1 })

export const replayBench = async () => {
  console.log(`\n# replay benchmark: migrate ${SPACES} spaces; time scaled 60x (a minute lasts 1 s on both sides)`)
  const hub = await startFakeHub({
    rateLimit: { limit: 10_000_000, minuteSeconds: 60 * SCALE, retryAfterSeconds: 1 },
    validateContract: false
  })
  seedLarge(hub.state, { owners: ["mig-src"], spacesPerOwner: SPACES })
  seedLarge(hub.state, { owners: ["mig-paced", "mig-unpaced"], spacesPerOwner: 0 })
  const dir = await mkdtemp(join(tmpdir(), "sv-bench-replay-"))
  const client = (paced: boolean) =>
    ManagedRuntime.make(
      GitHubClient.layer({
        ...defaultRetryOptions,
        ...githubSecondaryLimits,
        // unpaced: no write lane and no secondary-limit windows; only the rate-limit answers slow it down
        ...(paced ? {} : { pointsPerMinute: Infinity, contentPerMinute: Infinity, contentPerHour: Infinity }),
        writesPerMinute: paced ? 60 : 0,
        timeScale: SCALE,
        secondaryFloor: defaultRetryOptions.secondaryFloor,
        apiUrl: hub.url,
        token: Redacted.make(hub.token),
        concurrency: 16,
        userAgent: "bench"
      })
    )
  try {
    const reader = client(true)
    const { archive } = await reader.runPromise(exportSpaces({ owners: [org("mig-src")], outDir: dir }))
    await reader.dispose()
    for (const [label, target, paced] of [
      ["default pacing", "mig-paced", true],
      ["unpaced", "mig-unpaced", false]
    ] as const) {
      const rt = client(paced)
      const limitedBefore = hub.counters.secondaryLimited
      const t0 = performance.now()
      const summary = await rt.runPromise(
        replayArchive({
          archive,
          to: org(target),
          spaces: [],
          maps: emptyMaps,
          onConflict: "skip",
          strict: false,
          dryRun: false,
          stateDir: join(dir, "state")
        }).pipe(
          // Each secondary limit logs a warning; the count below says it without a line each.
          Effect.provideService(References.MinimumLogLevel, "Error")
        )
      )
      const seconds = (performance.now() - t0) / 1000
      await rt.dispose()
      console.log(
        `${label.padEnd(15)} ${fmt(seconds)} s (~${fmt(seconds / SCALE / 60)} min at real time), created ${summary.created.length}, failed ${summary.failed.length}, secondary-limit responses ${hub.counters.secondaryLimited - limitedBefore}`
      )
    }
  } finally {
    await hub.close()
    await rm(dir, { recursive: true, force: true })
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await replayBench()
