// How a GitHub answer is judged and when it is tried again, after GitHub's documented guidance:
// https://docs.github.com/en/rest/using-the-rest-api/best-practices-for-using-the-rest-api#handle-rate-limit-errors-appropriately
// 5xx and connection failures back off exponentially with jitter; rate limits wait (in RateGate); other 4xx never retry.
import { Duration, Effect, Schedule } from "effect"
import { GitHubError, isRetryable, type GitHubErrorReason } from "./GitHubError.ts"
import type { RawResponse } from "./Transport.ts"

export interface RetryOptions {
  /** Attempts after the first one. */
  readonly maxRetries: number
  /** First backoff after a transient failure; doubles each time, with jitter. */
  readonly backoffBase: Duration.Duration
  readonly backoffMax: Duration.Duration
  /** Wait after a secondary limit that came without retry-after (GitHub: "at least one minute"). */
  readonly secondaryFloor: Duration.Duration
  /**
   * How long one request may go unanswered before it counts as a connection failure (and is retried).
   * GitHub ends requests that take it over 10 s itself, so this only catches dead connections.
   */
  readonly requestTimeout: Duration.Duration
}

export const defaultRetryOptions: RetryOptions = {
  maxRetries: 5,
  backoffBase: Duration.seconds(1),
  backoffMax: Duration.seconds(30),
  secondaryFloor: Duration.seconds(60),
  requestTimeout: Duration.seconds(60)
}

const header = (res: RawResponse, name: string) => res.headers[name]

const messageOf = (data: unknown): string | undefined =>
  typeof data === "object" && data !== null && typeof (data as { message?: unknown }).message === "string"
    ? (data as { message: string }).message
    : undefined

/** The reason a non-2xx answer failed, following GitHub's order: retry-after, then remaining = 0, then the floor. */
export const reasonOf = (res: RawResponse, options: RetryOptions): GitHubErrorReason => {
  const s = res.status
  if (s === 401) return { _tag: "Unauthorized" }
  if (s === 404) return { _tag: "NotFound" }
  if (s === 422) {
    const errors = (res.data as { errors?: unknown })?.errors
    return { _tag: "Validation", errors: Array.isArray(errors) ? errors : [] }
  }
  if (s === 403 || s === 429) {
    const retryAfter = Number(header(res, "retry-after"))
    const message = messageOf(res.data) ?? ""
    if (header(res, "retry-after") !== undefined && Number.isFinite(retryAfter) && retryAfter >= 0) {
      return { _tag: "SecondaryRateLimited", retryAfterSeconds: retryAfter }
    }
    if (header(res, "x-ratelimit-remaining") === "0") {
      const reset = Number(header(res, "x-ratelimit-reset"))
      return { _tag: "RateLimited", resetAt: Number.isFinite(reset) && reset > 0 ? reset : 0 }
    }
    if (s === 429 || /secondary rate limit|abuse/i.test(message)) {
      return { _tag: "SecondaryRateLimited", retryAfterSeconds: Duration.toSeconds(options.secondaryFloor) }
    }
    return { _tag: "Forbidden" }
  }
  if (s >= 500) return { _tag: "Transient", detail: `GitHub answered ${s}` }
  return { _tag: "UnexpectedStatus" }
}

export const errorOf = (method: string, path: string, res: RawResponse, options: RetryOptions): GitHubError => {
  const message = messageOf(res.data)
  const doc = (res.data as { documentation_url?: unknown } | undefined)?.documentation_url
  return new GitHubError({
    reason: reasonOf(res, options),
    method,
    path,
    status: res.status,
    ...(message !== undefined ? { githubMessage: message.slice(0, 300) } : {}),
    ...(typeof doc === "string" ? { documentationUrl: doc } : {})
  })
}

/**
 * Whether sending a request twice has the effect of sending it once. A POST creates each time. So does a PUT whose
 * `resources_attributes` hold an entry without an `id`: GitHub creates that resource, and would create it again.
 * Other PUTs set a state, and a DELETE of what is gone changes nothing (its 404 is taken as done; see the client).
 */
export const isIdempotent = (method: string, params: Readonly<Record<string, unknown>> | undefined): boolean => {
  if (method === "POST") return false
  if (method !== "PUT") return true
  const resources = params?.resources_attributes
  return !(Array.isArray(resources) && resources.some((r) => typeof r === "object" && r !== null && !("id" in r)))
}

/**
 * Delays between attempts, and whether there is one: up to `maxRetries` retries of what the request may retry.
 * Transient failures back off exponentially with jitter (capped); rate limits add no delay here because RateGate
 * holds every request until the limit has passed. The decision comes before the log line, so a wait is logged
 * only when a retry follows it (never for a write that will not be resent, nor after the last try).
 */
export const retrySchedule = (options: RetryOptions, idempotent = true) =>
  Schedule.exponential(options.backoffBase, 2).pipe(
    Schedule.setInputType<GitHubError>(),
    Schedule.jittered,
    Schedule.while(({ input, attempt }) => attempt <= options.maxRetries && retryableFor(idempotent)(input)),
    Schedule.modifyDelay(({ input, duration }) => {
      if (input.reason._tag !== "Transient") return Effect.succeed(Duration.zero)
      const delay = Duration.min(duration, options.backoffMax)
      return Effect.logWarning(
        `retrying ${input.method} ${input.path} in ${Math.round(Duration.toMillis(delay))} ms: ${input.message}`
      ).pipe(Effect.as(delay))
    })
  )

/**
 * Whether to try again. A request that is not idempotent and failed in transit or with a 5xx may already have been
 * applied, and sending it again could create a second space, collaborator or resource; rate-limit answers reject a
 * request before it is processed, so only those are retried for it. (Replay's journal and its matching of what
 * exists recover a write that did go through, on the next run.)
 */
export const retryableFor =
  (idempotent: boolean) =>
  (e: GitHubError): boolean =>
    idempotent ? isRetryable(e) : e.reason._tag === "RateLimited" || e.reason._tag === "SecondaryRateLimited"

/** Retries what is worth retrying for this request, at most `maxRetries` times. */
export const withRetries =
  (options: RetryOptions, idempotent = true) =>
  <A, R>(self: Effect.Effect<A, GitHubError, R>) =>
    Effect.retry(self, retrySchedule(options, idempotent))
