// Sends one request the way GitHub asks to be called: through the RateGate, cut when silent, judged by RetryPolicy,
// pausing every request on a rate limit, retried when that is safe, and counted. Decoding is the caller's.
import { Clock, Duration, Effect, Ref, Schema } from "effect"
import { missingPermission } from "./AppPermissions.ts"
import { ownerOfPath, RequestOwner, type Credential } from "./GitHubAuth.ts"
import type { Owner } from "../domain/Owner.ts"
import type { RequestStats } from "./GitHubClient.ts"
import type { GitHubClientOptions } from "./GitHubConfig.ts"
import { GitHubError } from "./GitHubError.ts"
import type { PauseTooLong } from "./Pauses.ts"
import type { Lane, RateGate } from "./RateGate.ts"
import { errorOf, isIdempotent, withRetries } from "./RetryPolicy.ts"
import { methodOf, pathOf } from "./Routes.ts"
import { TransportFailure, type RawResponse, type TransportRequest, type TransportShape } from "./Transport.ts"

/** Repeated secondary limits double the wait up to this; a longer retry-after from GitHub is still obeyed. */
const SECONDARY_BACKOFF_CAP_MS = 15 * 60 * 1000

/** System errors that mean the API URL is wrong, not that a connection dropped: what a person is told instead. */
const UNREACHABLE = {
  ECONNREFUSED: "connection refused",
  ENOTFOUND: "host name not found",
  EAI_AGAIN: "host name not found"
} as const

/**
 * GitHub's clock at the time of an answer (its `date` header), else ours. x-ratelimit-reset is a moment on GitHub's
 * clock: measured against ours, a clock running ahead would end the wait early and spend the retries in vain.
 * `date` has whole seconds, so the wait may be up to a second long; callers add a second anyway.
 */
const githubNow = (res: RawResponse, localNow: number): number => {
  const date = Date.parse(res.headers.date ?? "")
  return Number.isFinite(date) ? date : localNow
}

/** When to send again after a primary limit resetting at `resetMs` on GitHub's clock: a second after it, on ours. */
const afterReset = (resetMs: number, res: RawResponse, localNow: number): number =>
  localNow + Math.max(resetMs - githubNow(res, localNow), 0) + 1000

/** What a request is, for its errors and log lines. */
interface Where {
  readonly method: string
  readonly path: string
}

/** One request's secondary-limit history: the wait after its last secondary limit, undefined before the first. */
interface SecondaryBackoff {
  lastWaitMs: number | undefined
}

export interface RequestExecutor {
  /**
   * Sends `request` until it succeeds or may not be tried again. `endpoint` names the route template for
   * per-endpoint budgets (a Link URL belongs to its list route).
   */
  readonly execute: (lane: Lane, request: ExecutorRequest, endpoint?: string) => Effect.Effect<RawResponse, GitHubError>
  /** Decodes a 2xx body; a body that does not match is an InvalidResponse. */
  readonly decode: <A>(
    schema: Schema.Decoder<A>,
    res: RawResponse,
    method: string,
    path: string
  ) => Effect.Effect<A, GitHubError>
  readonly count: (f: (s: RequestStats) => Partial<RequestStats>) => Effect.Effect<void>
  readonly stats: Effect.Effect<RequestStats>
}

/** A request that got no answer: Unreachable while no request ever got one, else Transient (worth a retry). */
const failedInTransit = (f: TransportFailure, answered: boolean, url: string, method: string, path: string) => {
  const cause = f.code !== undefined && !answered ? UNREACHABLE[f.code as keyof typeof UNREACHABLE] : undefined
  return new GitHubError({
    reason: cause !== undefined ? { _tag: "Unreachable", url, cause } : { _tag: "Transient", detail: f.detail },
    method,
    path
  })
}

/** A request the gate would not send: the pause in force is longer than the caller's maximum wait. */
const notSent = (e: GitHubError | PauseTooLong, method: string, path: string): GitHubError =>
  e._tag === "GitHubError"
    ? e
    : new GitHubError({
        reason: { _tag: "WaitTooLong", until: e.until, why: e.why, maxWaitMs: e.maxWaitMs },
        method,
        path
      })

/** When a successful answer spent the last point of primary budget: hold everything until the window resets. */
const budgetSpentUntil = (res: RawResponse, now: number): number | undefined => {
  if (res.headers["x-ratelimit-remaining"] !== "0") return undefined
  const reset = Number(res.headers["x-ratelimit-reset"]) * 1000
  return reset > githubNow(res, now) ? afterReset(reset, res, now) : undefined
}

/**
 * Until when a rate-limited answer pauses every request (epoch ms), or undefined for any other failure. GitHub asks
 * for exponentially longer waits when a secondary limit keeps coming back: from the second one on, this request
 * waits at least twice its last wait (from 1 s, so that `retry-after: 0` grows too), which `secondary` keeps.
 */
const pauseAfter = (
  error: GitHubError,
  res: RawResponse,
  now: number,
  secondary: SecondaryBackoff,
  options: GitHubClientOptions
): number | undefined => {
  const reason = error.reason
  if (reason._tag === "SecondaryRateLimited") {
    const last = secondary.lastWaitMs
    const backoff = last === undefined ? 0 : Math.min(Math.max(2 * last, 1000), SECONDARY_BACKOFF_CAP_MS)
    secondary.lastWaitMs = Math.max(reason.retryAfterSeconds * 1000, backoff)
    return now + secondary.lastWaitMs
  }
  if (reason._tag !== "RateLimited") return undefined
  // x-ratelimit-reset is in whole seconds: wait until it has surely passed. Without a usable reset, GitHub's advice
  // for an unexplained limit applies: wait at least the floor (a minute).
  const resetMs = reason.resetAt * 1000
  return resetMs > 0 ? afterReset(resetMs, res, now) : now + Duration.toMillis(options.secondaryFloor)
}

/** Decodes a 2xx body; one that does not match GitHub's documented schema is an InvalidResponse. */
const decode = <A>(schema: Schema.Decoder<A>, res: RawResponse, method: string, path: string) =>
  Schema.decodeUnknownEffect(schema)(res.data).pipe(
    Effect.mapError(
      (e) =>
        new GitHubError({
          reason: { _tag: "InvalidResponse", detail: e.message.split("\n").slice(0, 3).join(" ") },
          method,
          path,
          status: res.status
        })
    )
  )

/** Where the credential of a request comes from: the auth of the client, given the owner the request is about. */
/** A request for the executor: its credential, when the caller chose it (the App's JWT), else the owner's. */
export type ExecutorRequest = Omit<TransportRequest, "credential"> & { readonly credential?: Credential | undefined }

export type CredentialFor = (owner: Owner | undefined) => Effect.Effect<Credential, GitHubError>

export const makeRequestExecutor = (
  options: GitHubClientOptions,
  transport: TransportShape,
  gate: RateGate,
  credentialFor: CredentialFor
) =>
  Effect.gen(function* () {
    const stats = yield* Ref.make<RequestStats>({ sent: 0, notModified: 0, retries: 0, rateLimitWaits: 0 })
    const count = (f: (s: RequestStats) => Partial<RequestStats>) => Ref.update(stats, (s) => ({ ...s, ...f(s) }))
    const timeout = options.requestTimeout
    // Whether any request got an HTTP answer: until one has, a refused connection means the URL is wrong.
    let answered = false

    /** One exchange; a silent connection is cut (interrupting the fetch) and treated like a reset. */
    const exchange = (request: TransportRequest, method: string, path: string) =>
      transport.send(request).pipe(
        Effect.timeoutOrElse({
          duration: timeout,
          orElse: () => Effect.fail(new TransportFailure({ detail: `no answer within ${Duration.format(timeout)}` }))
        }),
        Effect.tap(() =>
          Effect.sync(() => {
            answered = true
          })
        ),
        Effect.mapError((f) => failedInTransit(f, answered, options.apiUrl, method, path))
      )

    /** Judges an answer. A rate limit pauses the gate for every fiber before this request fails (and retries). */
    const judge = (
      res: RawResponse,
      method: string,
      path: string,
      secondary: SecondaryBackoff,
      credential: Credential
    ) =>
      Effect.gen(function* () {
        const budget = credential.budget
        yield* gate.observe(res.headers, budget)
        const now = yield* Clock.currentTimeMillis
        if ((res.status >= 200 && res.status < 300) || res.status === 304) {
          const until = budgetSpentUntil(res, now)
          if (until !== undefined) yield* gate.pauseUntil(until, "primary budget used up", budget)
          return res
        }
        const judged = errorOf(method, path, res, options)
        // A JWT refused is the App's id or key, not a token to set.
        const error =
          credential.scheme === "bearer" && judged.reason._tag === "Unauthorized"
            ? new GitHubError({ ...judged, reason: { _tag: "AppRejected" } })
            : judged
        const until = pauseAfter(error, res, now, secondary, options)
        if (until !== undefined) {
          yield* count((s) => ({ rateLimitWaits: s.rateLimitWaits + 1 }))
          const secondaryLimit = error.reason._tag === "SecondaryRateLimited"
          // Secondary limits are not documented per principal: they pause every request. A primary limit is
          // the budget of the token that met it.
          yield* gate.pauseUntil(
            until,
            `${secondaryLimit ? "secondary" : "primary"} rate limit on ${method} ${path}`,
            secondaryLimit ? undefined : budget
          )
        }
        return yield* error
      })

    /**
     * One try with `credential`: through the gate of its budget (counted as sent when it leaves), then judged. A 401
     * is sent once more with the credential's renewal (a new installation token, a JWT on GitHub's clock): the
     * request did nothing, so no work is lost or repeated.
     */
    const attemptWith = (
      lane: Lane,
      endpoint: string,
      request: ExecutorRequest,
      where: Where,
      secondary: SecondaryBackoff,
      credential: Credential
    ): Effect.Effect<RawResponse, GitHubError> => {
      const installation = credential.installation
      const missing =
        installation === undefined ? undefined : missingPermission(where.method, where.path, installation.permissions)
      if (installation !== undefined && missing !== undefined) {
        return Effect.fail(
          new GitHubError({
            reason: {
              _tag: "MissingPermission",
              account: installation.account,
              permission: missing.title,
              access: missing.access
            },
            method: where.method,
            path: where.path
          })
        )
      }
      const sent = { ...request, credential }
      return gate
        .run(
          lane,
          endpoint,
          Effect.andThen(
            count((s) => ({ sent: s.sent + 1 })),
            exchange(sent, where.method, where.path)
          ),
          credential.budget
        )
        .pipe(
          Effect.mapError((e) => notSent(e, where.method, where.path)),
          Effect.flatMap((res) =>
            res.status === 401 && credential.renew !== undefined
              ? credential
                  .renew(res)
                  .pipe(
                    Effect.flatMap((renewed) =>
                      renewed === undefined
                        ? judge(res, where.method, where.path, secondary, credential)
                        : attemptWith(lane, endpoint, request, where, secondary, renewed)
                    )
                  )
              : judge(res, where.method, where.path, secondary, credential)
          )
        )
    }

    /** One try: the credential of the owner the request is about (renewed when due), then `attemptWith`. */
    const attempt = (
      lane: Lane,
      endpoint: string,
      request: ExecutorRequest,
      where: Where,
      secondary: SecondaryBackoff
    ) =>
      Effect.gen(function* () {
        const credential =
          request.credential ??
          (yield* credentialFor(ownerOfPath(where.path) ?? (yield* RequestOwner)).pipe(
            Effect.mapError((e) =>
              e.reason._tag === "NoInstallationFor"
                ? new GitHubError({ ...e, method: where.method, path: where.path })
                : e
            )
          ))
        return yield* attemptWith(lane, endpoint, request, where, secondary, credential)
      })

    const execute = (lane: Lane, request: ExecutorRequest, endpoint = request.route) => {
      const method = methodOf(request.route)
      const where: Where = { method, path: pathOf(request.route, request.params) }
      let attempts = 0
      const secondary: SecondaryBackoff = { lastWaitMs: undefined }
      return Effect.suspend(() => {
        attempts++
        const once = attempt(lane, endpoint, request, where, secondary)
        // A DELETE resent after a lost answer finds the thing gone because the first one went through: done.
        return method === "DELETE" && attempts > 1
          ? Effect.catchIf(
              once,
              (e) => e.reason._tag === "NotFound",
              () => Effect.succeed<RawResponse>({ status: 204, headers: {}, data: undefined })
            )
          : once
      }).pipe(
        withRetries(options, isIdempotent(method, request.params)),
        // No span per request: nothing exports traces, and a span per request was ~5% of an export's CPU. Waits,
        // retries and failures are logged and counted in `stats` instead.
        Effect.ensuring(
          Effect.suspend(() => (attempts > 1 ? count((s) => ({ retries: s.retries + attempts - 1 })) : Effect.void))
        )
      )
    }

    return { execute, decode, count, stats: Ref.get(stats) } satisfies RequestExecutor
  })
