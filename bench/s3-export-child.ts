// One export in its own process, to a local directory or an S3 location (with the S3 layer), reporting its peak RSS.
// With BENCH_ENCRYPT_TO (an age1… recipient) it writes an encrypted archive (format 2) to that recipient.
import { Effect, Redacted } from "effect"
import { parseLocation } from "@spaces-vault/core/archive/ArchiveLocation"
import { layerWithS3 } from "@spaces-vault/core/archive/s3/S3Store"
import { recipientSet } from "@spaces-vault/core/crypto/Recipients"
import { org } from "@spaces-vault/core/domain/Owner"
import { exportSpaces } from "@spaces-vault/core/export/ExportSpaces"
import { GitHubClient } from "@spaces-vault/core/github/GitHubClient"
import { defaultRetryOptions } from "@spaces-vault/core/github/RetryPolicy"
import { applyLeanHeap } from "@spaces-vault/core/runtime/LeanHeap"
import { Result } from "effect"

applyLeanHeap()

const unpaced = { pointsPerMinute: Infinity, contentPerMinute: Infinity, contentPerHour: Infinity }
const [url, token, out, ...owners] = process.argv.slice(2) as [string, string, string, ...Array<string>]
const location = parseLocation(out)
if (Result.isFailure(location)) throw new Error(location.failure.message)
// BENCH_MEMORY_TRACE=1: the process's memory at its peak RSS (heap, external, array buffers), sampled every 100 ms.
let atPeak: NodeJS.MemoryUsage | undefined
const sampler = process.env.BENCH_MEMORY_TRACE
  ? setInterval(() => {
      const m = process.memoryUsage()
      if (atPeak === undefined || m.rss > atPeak.rss) atPeak = m
    }, 100)
  : undefined
const recipient = process.env.BENCH_ENCRYPT_TO
const encryptTo = recipient === undefined ? undefined : await Effect.runPromise(recipientSet([recipient], []))
const summary = await Effect.runPromise(
  exportSpaces({ owners: owners.map(org), outDir: location.success, concurrency: 16, encryptTo }).pipe(
    Effect.provide(layerWithS3({})),
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
clearInterval(sampler)
const usage = process.resourceUsage()
process.stdout.write(
  JSON.stringify({ ...summary, maxRssKb: usage.maxRSS, ...(atPeak === undefined ? {} : { atPeak }) })
)
if (process.env.BENCH_HEAP_SNAPSHOT) (await import("node:v8")).writeHeapSnapshot(process.env.BENCH_HEAP_SNAPSHOT)
