// The one constructor of client options for tests: GitHub's defaults, a test token and URL, and what a test
// overrides. Given a fakehub (`hub`), its URL and token, and waits short enough for tests that run in real time.
import { Duration, Redacted } from "effect"
import type { GitHubClientOptions } from "../../src/github/GitHubConfig.ts"
import { githubSecondaryLimits } from "../../src/github/RateGate.ts"
import { defaultRetryOptions } from "../../src/github/RetryPolicy.ts"

export interface TestClientOverrides extends Partial<GitHubClientOptions> {
  /** A fake GitHub on loopback (fakehub): its URL and token, a 20 ms backoff and a 1 s secondary floor. */
  readonly hub?: { readonly url: string; readonly token: string } | undefined
}

export const testClientOptions = ({ hub, ...overrides }: TestClientOverrides = {}): GitHubClientOptions => ({
  ...defaultRetryOptions,
  ...githubSecondaryLimits,
  apiUrl: "https://api.github.com",
  token: Redacted.make("ghp_test"),
  concurrency: 4,
  writesPerMinute: 60,
  userAgent: "test",
  ...(hub !== undefined
    ? {
        apiUrl: hub.url,
        token: Redacted.make(hub.token),
        backoffBase: Duration.millis(20),
        secondaryFloor: Duration.seconds(1)
      }
    : {}),
  ...overrides
})
