// Settings of the GitHub client, read once when its layer is built: token from GH_TOKEN else GITHUB_TOKEN
// (as the gh CLI does), or a GitHub App (id and private key, from the caller or GH_APP_*), API URL from the caller
// (a flag) else GITHUB_API_URL else https://api.github.com.
import { readFile } from "node:fs/promises"
import { Config, Duration, Effect, Option, Redacted, Result, Schema } from "effect"
import { checkPrivateKey, type AppCredentials } from "./GitHubAuth.ts"
import { githubSecondaryLimits, type RateGateOptions } from "./RateGate.ts"
import { defaultRetryOptions, type RetryOptions } from "./RetryPolicy.ts"

export const DEFAULT_API_URL = "https://api.github.com"

export class GitHubConfigError extends Schema.TaggedError<GitHubConfigError>()("GitHubConfigError", {
  message: Schema.String
}) {}

export interface GitHubClientOptions extends RetryOptions, RateGateOptions {
  readonly apiUrl: string
  /**
   * The personal token: every request's, or with `app` only users' own spaces' (which installation tokens cannot
   * read); blank for none.
   */
  readonly token: Redacted.Redacted<string>
  /** Authenticate as this GitHub App: each organization's requests carry its installation's token. */
  readonly app?: AppCredentials | undefined
  readonly userAgent: string
}

/** Default concurrency: well under GitHub's 100 concurrent requests. */
export const DEFAULT_CONCURRENCY = 16

/** This machine: localhost, 127.0.0.0/8, ::1 (URL host names are lower case, IPv6 in brackets). */
const isLoopback = (host: string): boolean =>
  host === "localhost" || host.endsWith(".localhost") || host === "[::1]" || /^127(\.\d{1,3}){3}$/.test(host)

/**
 * Normalizes an API base URL. github.com -> https://api.github.com; GHE.com `https://api.SUB.ghe.com` (the web
 * host SUB.ghe.com is accepted too); GitHub Enterprise Server `https://HOST/api/v3` (a bare host gets /api/v3).
 * Plain http:// only for this machine.
 */
export const normalizeApiUrl = (raw: string): Effect.Effect<string, GitHubConfigError> =>
  Effect.gen(function* () {
    const url = URL.parse(raw.trim())
    if (url === null) {
      return yield* new GitHubConfigError({
        message: `the API URL "${raw}" is not a URL (expected e.g. https://api.github.com)`
      })
    }
    if (url.protocol !== "https:" && url.protocol !== "http:") {
      return yield* new GitHubConfigError({
        message: `the API URL must start with https:// (or http:// for a local server), not ${url.protocol}//`
      })
    }
    if (url.username || url.password || url.search || url.hash) {
      return yield* new GitHubConfigError({ message: "the API URL must not carry credentials, a query or a fragment" })
    }
    const host = url.hostname.toLowerCase()
    const isLocal = isLoopback(host)
    if (url.protocol === "http:" && !isLocal) {
      // The token goes in every request's Authorization header: over http, anyone on the path could read it.
      return yield* new GitHubConfigError({
        message: `the API URL must use https:// (http:// would send the token in clear text; it is accepted only for a server on this machine), got http://${url.host}`
      })
    }
    const path = url.pathname.replace(/\/+$/, "")
    if (host === "github.com" || host === "www.github.com") return DEFAULT_API_URL
    // A GHE.com web host (SUB.ghe.com) has its API on api.SUB.ghe.com.
    if (/^[a-z0-9-]+\.ghe\.com$/.test(host) && path === "") return `https://api.${host}`
    const isCloud = host === "api.github.com" || /^api\.[a-z0-9-]+\.ghe\.com$/.test(host)
    if (!isCloud && !isLocal && path === "") return `${url.origin}/api/v3`
    return `${url.origin}${path}`
  })

export interface ConfigOverrides {
  readonly apiUrl?: Option.Option<string> | undefined
  readonly concurrency?: Option.Option<number> | undefined
  readonly writesPerMinute?: Option.Option<number> | undefined
  /** Retries after the first attempt (transient failures and rate limits alike). */
  readonly maxRetries?: Option.Option<number> | undefined
  /** The longest rate-limit pause to wait out; requests facing a longer one fail instead. */
  readonly maxWait?: Option.Option<Duration.Duration> | undefined
  readonly userAgent?: string | undefined
  /** The GitHub App's id (else GH_APP_ID); with it, the App authenticates instead of a personal token. */
  readonly appId?: Option.Option<string> | undefined
  /** The App's private key file, PEM (else GH_APP_PRIVATE_KEY_FILE, or the PEM text in GH_APP_PRIVATE_KEY). */
  readonly appKeyFile?: Option.Option<string> | undefined
  /** One installation for every organization, instead of looking up each one's. */
  readonly installationId?: Option.Option<number> | undefined
}

/**
 * The App's credentials, when an App id is given (by the caller or GH_APP_ID): its key from a file (the caller's,
 * else GH_APP_PRIVATE_KEY_FILE) or GH_APP_PRIVATE_KEY's text. A key that cannot be used is a GitHubConfigError
 * that says why, never quoting the key.
 */
export const loadAppCredentials = (overrides: ConfigOverrides) =>
  Effect.gen(function* () {
    const envId = yield* optionalString("GH_APP_ID")
    const appId = Option.orElse(overrides.appId ?? Option.none(), () => Option.filter(envId, (s) => s.trim() !== ""))
    const envFile = Option.filter(yield* optionalString("GH_APP_PRIVATE_KEY_FILE"), (s) => s.trim() !== "")
    const keyFile = Option.orElse(overrides.appKeyFile ?? Option.none(), () => envFile)
    const envKey = yield* optionalToken("GH_APP_PRIVATE_KEY")
    if (Option.isNone(appId)) {
      if (Option.isSome(keyFile) || Option.isSome(envKey))
        return yield* new GitHubConfigError({
          message: "a GitHub App private key is given without the App's id (GH_APP_ID)"
        })
      return undefined
    }
    const id = appId.value.trim()
    if (!/^(\d+|Iv[0-9A-Za-z.]+)$/.test(id))
      return yield* new GitHubConfigError({
        message: `the GitHub App id must be the App's number (or its client id, Iv…), got "${id}"`
      })
    const where = Option.isSome(keyFile) ? `the private key file ${keyFile.value}` : "GH_APP_PRIVATE_KEY"
    const pem = Option.isSome(keyFile)
      ? yield* Effect.tryPromise({
          try: () => readFile(keyFile.value, "utf8"),
          catch: (e) =>
            new GitHubConfigError({
              message: `${where} cannot be read: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : ((e as NodeJS.ErrnoException).code ?? "error")}`
            })
        })
      : Option.isSome(envKey)
        ? Redacted.value(envKey.value).replace(/\\n/g, "\n")
        : yield* new GitHubConfigError({
            message: "the GitHub App has an id but no private key: set GH_APP_PRIVATE_KEY_FILE or GH_APP_PRIVATE_KEY"
          })
    const problem = checkPrivateKey(pem)
    if (problem !== undefined) return yield* new GitHubConfigError({ message: `${where} ${problem}` })
    const installationId = Option.getOrUndefined(overrides.installationId ?? Option.none())
    if (installationId !== undefined && (!Number.isInteger(installationId) || installationId < 1))
      return yield* new GitHubConfigError({
        message: `the installation id must be a positive integer, got ${installationId}`
      })
    return { appId: id, privateKey: Redacted.make(pem), installationId } satisfies AppCredentials
  })

const optionalString = (name: string) => Config.option(Config.String(name))
/** A token variable, unless unset or blank. */
const optionalToken = (name: string) =>
  Config.option(Config.Redacted(name)).pipe(
    Config.map(Option.filter((t: Redacted.Redacted<string>) => Redacted.value(t).trim() !== ""))
  )

/**
 * A wait as people write it: "90s", "10m", "1h", "1h30m" (s, m, h; whole numbers). The failure is a sentence for
 * the caller to prefix with where the value came from (a flag, a config field).
 */
export const parseWaitDuration = (text: string): Result.Result<Duration.Duration, string> => {
  const trimmed = text.trim().toLowerCase()
  const units = { s: 1_000, m: 60_000, h: 3_600_000 } as const
  if (!/^(\d+[smh])+$/.test(trimmed)) {
    return Result.fail(`"${text}" is not a duration: write it as a number and a unit, e.g. 90s, 10m or 1h`)
  }
  let ms = 0
  for (const [, n, unit] of trimmed.matchAll(/(\d+)([smh])/g)) ms += Number(n) * units[unit as keyof typeof units]
  return Result.succeed(Duration.millis(ms))
}

/** Reads the client options from Config (the environment by default). A missing token is a GitHubConfigError. */
export const loadClientOptions = (overrides: ConfigOverrides = {}) =>
  Effect.gen(function* () {
    const app = yield* loadAppCredentials(overrides)
    const ghToken = yield* optionalToken("GH_TOKEN")
    const githubToken = yield* optionalToken("GITHUB_TOKEN")
    // With an App, the personal token serves only users' own spaces: GH_TOKEN, never GITHUB_TOKEN (in Actions a
    // repository's token, which cannot read them).
    const token =
      app !== undefined
        ? Option.some(Option.getOrElse(ghToken, () => Redacted.make("")))
        : Option.orElse(ghToken, () => githubToken)
    if (Option.isNone(token)) {
      return yield* new GitHubConfigError({ message: "no GitHub token: set GH_TOKEN or GITHUB_TOKEN" })
    }
    const envUrl = yield* optionalString("GITHUB_API_URL")
    const rawUrl = Option.getOrElse(
      Option.orElse(overrides.apiUrl ?? Option.none(), () => Option.filter(envUrl, (u) => u.trim() !== "")),
      () => DEFAULT_API_URL
    )
    // Name where a bad URL came from: a variable set long ago is easy to forget.
    const fromFlag = Option.isSome(overrides.apiUrl ?? Option.none())
    const apiUrl = yield* normalizeApiUrl(rawUrl).pipe(
      Effect.mapError((e) =>
        fromFlag || rawUrl === DEFAULT_API_URL ? e : new GitHubConfigError({ message: `GITHUB_API_URL: ${e.message}` })
      )
    )
    const concurrency = Option.getOrElse(overrides.concurrency ?? Option.none(), () => DEFAULT_CONCURRENCY)
    const writesPerMinute = Option.getOrElse(overrides.writesPerMinute ?? Option.none(), () => 60)
    if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 100) {
      return yield* new GitHubConfigError({ message: `concurrency must be from 1 to 100, got ${concurrency}` })
    }
    const maxRetries = Option.getOrElse(overrides.maxRetries ?? Option.none(), () => defaultRetryOptions.maxRetries)
    if (!Number.isInteger(maxRetries) || maxRetries < 0 || maxRetries > 100) {
      return yield* new GitHubConfigError({ message: `the number of retries must be from 0 to 100, got ${maxRetries}` })
    }
    if (!(writesPerMinute > 0) || !Number.isFinite(writesPerMinute)) {
      return yield* new GitHubConfigError({
        message: `the write rate must be a positive number of requests per minute, got ${writesPerMinute}`
      })
    }
    return {
      ...defaultRetryOptions,
      ...githubSecondaryLimits,
      apiUrl,
      token: Redacted.make(Redacted.value(token.value).trim()),
      app,
      concurrency,
      writesPerMinute,
      maxRetries,
      maxWait: Option.getOrUndefined(overrides.maxWait ?? Option.none()),
      userAgent: overrides.userAgent ?? "spaces-vault"
    } satisfies GitHubClientOptions
  }).pipe(
    Effect.catchTag("ConfigError", (e) =>
      Effect.fail(new GitHubConfigError({ message: `invalid configuration: ${e.message}` }))
    )
  )
