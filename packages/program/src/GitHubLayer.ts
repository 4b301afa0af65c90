// The live GitHub client for a program: environment (GH_TOKEN / GITHUB_TOKEN or GH_APP_*, GITHUB_API_URL) plus its settings,
// sending the program's name and version as its user agent (what GitHub support asks for when tracing requests).
import type { Duration, Option } from "effect"
import { GitHubClient } from "@spaces-vault/core/github/GitHubClient"
import { VERSION } from "./Version.ts"

/** A GitHub App from flags or config; each unset one falls back to its GH_APP_* variable. */
export interface AppSettings {
  readonly appId: Option.Option<string>
  readonly appKeyFile: Option.Option<string>
  readonly installationId?: Option.Option<number> | undefined
}

/** `spaces-vault/0.1.0`, `spaces-vault-worker/0.1.0`. */
export const userAgent = (program: string): string => `${program}/${VERSION}`

export const githubLayer = (
  program: string,
  settings: {
    readonly apiUrl: Option.Option<string>
    readonly concurrency?: Option.Option<number> | undefined
    readonly writesPerMinute?: Option.Option<number> | undefined
    readonly maxWait?: Option.Option<Duration.Duration> | undefined
    readonly app?: AppSettings | undefined
  }
) =>
  GitHubClient.layerConfig({
    apiUrl: settings.apiUrl,
    concurrency: settings.concurrency,
    writesPerMinute: settings.writesPerMinute,
    maxWait: settings.maxWait,
    appId: settings.app?.appId,
    appKeyFile: settings.app?.appKeyFile,
    installationId: settings.app?.installationId,
    userAgent: userAgent(program)
  })
