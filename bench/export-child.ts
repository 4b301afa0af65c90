// Runs one export in its own process and reports its peak RSS: the benchmark's memory figure must not
// include fakehub's state, which lives in the parent.
import { Effect, Redacted } from "effect"
import { org } from "@spaces-vault/core/domain/Owner"
import { exportSpaces } from "@spaces-vault/core/export/ExportSpaces"
import { GitHubClient } from "@spaces-vault/core/github/GitHubClient"
import { defaultRetryOptions } from "@spaces-vault/core/github/RetryPolicy"
import { applyLeanHeap } from "@spaces-vault/core/runtime/LeanHeap"

// As the programs do (unless the node command line chose a heap).
applyLeanHeap()

// fakehub runs with its limits raised; pacing to GitHub's per-minute limits would only measure the pacing.
const unpaced = { pointsPerMinute: Infinity, contentPerMinute: Infinity, contentPerHour: Infinity }
const [url, token, outDir, ...owners] = process.argv.slice(2) as [string, string, string, ...Array<string>]
const summary = await Effect.runPromise(
  exportSpaces({ owners: owners.map(org), outDir, concurrency: 16 }).pipe(
    Effect.provide(
      GitHubClient.layer({
        ...defaultRetryOptions,
        apiUrl: url,
        token: Redacted.make(token),
        concurrency: 16,
        writesPerMinute: 60,
        ...unpaced,
        userAgent: "bench"
      })
    )
  )
)
const usage = process.resourceUsage()
process.stdout.write(
  JSON.stringify({
    ...summary,
    maxRssKb: usage.maxRSS,
    cpuMs: (usage.userCPUTime + usage.systemCPUTime) / 1000,
    memory: process.memoryUsage()
  })
)
if (process.env.BENCH_HEAP_SNAPSHOT) (await import("node:v8")).writeHeapSnapshot(process.env.BENCH_HEAP_SNAPSHOT)
