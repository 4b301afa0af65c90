// The live GitHub client for a command: environment (GH_TOKEN / GITHUB_TOKEN, GITHUB_API_URL) plus flags.
import type { Duration, Option } from "effect"
import { GitHubClient } from "@spaces-vault/core/github/GitHubClient"
import { VERSION } from "./version.ts"

export const githubLayer = (flags: {
  readonly apiUrl: Option.Option<string>
  readonly concurrency?: Option.Option<number> | undefined
  readonly writesPerMinute?: Option.Option<number> | undefined
  readonly maxWait?: Option.Option<Duration.Duration> | undefined
}) =>
  GitHubClient.layerConfig({
    apiUrl: flags.apiUrl,
    concurrency: flags.concurrency,
    writesPerMinute: flags.writesPerMinute,
    maxWait: flags.maxWait,
    userAgent: `spaces-vault/${VERSION}`
  })
