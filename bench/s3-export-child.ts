// One export in its own process, to a local directory or an S3 location (with the S3 layer), reporting its peak RSS.
import { Effect, Redacted } from "effect"
import { parseLocation } from "@spaces-vault/core/archive/ArchiveLocation"
import { layerWithS3 } from "@spaces-vault/core/archive/s3/S3Store"
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
const summary = await Effect.runPromise(
  exportSpaces({ owners: owners.map(org), outDir: location.success, concurrency: 16 }).pipe(
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
const usage = process.resourceUsage()
process.stdout.write(JSON.stringify({ ...summary, maxRssKb: usage.maxRSS }))
