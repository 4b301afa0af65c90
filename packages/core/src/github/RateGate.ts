// The one gate every request of the process passes: a cap on concurrent requests, a write lane that lets
// POST/PUT/DELETE out one at a time and spaced apart, and shared pauses — when GitHub says "wait", every fiber waits,
// not just the one told. A secondary limit pauses every request; a primary limit pauses only the requests that spend
// the same budget (one token's, e.g. one App installation's), so one org spending its budget never stops the others.
// https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api
import { Clock, Duration, Effect, Ref, Semaphore } from "effect"
import type { RateBudget } from "./GitHubClient.ts"
import { EVERY, makePauses, type PauseTooLong } from "./Pauses.ts"
import { makePointWindows, type Windows } from "./PointWindows.ts"
import { describeWait, formatWait } from "./WaitText.ts"

export type Lane = "read" | "write"

export interface RateGateOptions {
  /** Concurrent requests, all lanes together (GitHub allows 100; stay well under). */
  readonly concurrency: number
  /** Mutating requests per minute (GitHub: at least one second between them). */
  readonly writesPerMinute: number
  /** Secondary-limit points per minute per endpoint (GitHub: 900; GET costs 1, writes 5). */
  readonly pointsPerMinute: number
  /** Content-creating requests (POST) per minute and per hour (GitHub: 80 and 500). */
  readonly contentPerMinute: number
  readonly contentPerHour: number
  /**
   * Length of a "minute" in real minutes (default 1). Only benchmarks change it, together with fakehub's
   * `minuteSeconds`, to replay hours of paced traffic in minutes with the same dynamics.
   */
  readonly timeScale?: number | undefined
  /**
   * The longest pause a request waits out; a request facing a longer one fails with PauseTooLong instead (for a
   * person who would rather stop than wait for a primary reset an hour away). None: as long as GitHub asks.
   */
  readonly maxWait?: Duration.Duration | undefined
}

/**
 * Requests in flight when a pause begins come back limited too, each moving its end by a moment: those are the same
 * pause and not logged again. A move by more than this is a different limit, worth a line of its own.
 */
const NEW_PAUSE_MS = 60_000

export const githubSecondaryLimits = { pointsPerMinute: 900, contentPerMinute: 80, contentPerHour: 500 } as const

/**
 * Whose primary budget a request spends: one per token holder. `key` is stable (e.g. "token", "installation:42");
 * `label` names it in log lines ("octo-org's installation"), undefined when the process has a single budget.
 */
export interface BudgetKey {
  readonly key: string
  readonly label?: string | undefined
}

/** The budget of a process with one token: every request spends it. */
export const singleBudget: BudgetKey = { key: "token" }

export interface RateGate {
  /**
   * Runs `send` once the pause is over and the endpoint's points budget allows it, holding one concurrency
   * permit. Writes also wait their turn in the write lane (one in flight, each leaving at least
   * 60000 / writesPerMinute ms after the previous one) and for the content-creation budget.
   * `endpoint` is "METHOD /path/{template}". Fails with PauseTooLong, without sending, when the pause in force
   * ends later than `maxWait` from now. `budget` (default: the single budget) picks the primary pause it waits for.
   */
  readonly run: <A, E, R>(
    lane: Lane,
    endpoint: string,
    send: Effect.Effect<A, E, R>,
    budget?: BudgetKey
  ) => Effect.Effect<A, E | PauseTooLong, R>
  /**
   * Holds requests until `untilMs` (epoch ms): every request, or only those spending `budget` (a primary limit).
   * Pauses only ever extend; each is logged once.
   */
  readonly pauseUntil: (untilMs: number, why: string, budget?: BudgetKey) => Effect.Effect<void>
  /** Records the x-ratelimit-* headers of an answer, as the state of `budget` (default: the single budget). */
  readonly observe: (headers: Readonly<Record<string, string | undefined>>, budget?: BudgetKey) => Effect.Effect<void>
  /** The single budget (or the one named) as the last answer reported it. */
  readonly budget: Effect.Effect<RateBudget | undefined>
  readonly budgetOf: (budget: BudgetKey) => Effect.Effect<RateBudget | undefined>
  /** Until when requests of the single budget (or the one named) wait, every-request pauses included. */
  readonly pausedUntil: Effect.Effect<number | undefined>
  readonly pausedUntilOf: (budget: BudgetKey) => Effect.Effect<number | undefined>
  readonly waits: Effect.Effect<number>
}

export const makeRateGate = (options: RateGateOptions) =>
  Effect.gen(function* () {
    const permits = yield* Semaphore.make(Math.max(1, options.concurrency))
    const maxWaitMs = options.maxWait === undefined ? undefined : Duration.toMillis(options.maxWait)
    const { pauseFor, extend, awaitPause } = makePauses(maxWaitMs)
    const writeLane = yield* Semaphore.make(1)
    // When the previous write left (epoch ms); -Infinity so the first write never waits.
    const lastWrite = yield* Ref.make(Number.NEGATIVE_INFINITY)
    const budgets = new Map<string, RateBudget>()
    const waits = yield* Ref.make(0)
    const minute = 60_000 * (options.timeScale ?? 1)
    const writeInterval = options.writesPerMinute > 0 ? minute / options.writesPerMinute : 0
    const { windowsOf, awaitRoom } = makePointWindows(options, minute, awaitPause)

    /** Sleeps until `writeInterval` has passed since the previous write left. Only the write-lane holder calls it. */
    const awaitWriteSpacing = Effect.gen(function* () {
      const now = yield* Clock.currentTimeMillis
      const at = (yield* Ref.get(lastWrite)) + writeInterval
      if (at > now) yield* Effect.sleep(Duration.millis(at - now))
    })

    /** Checked holding the permit, right before sending: a pause may have begun while we queued. */
    const sendWhenClear = <A, E, R>(lane: Lane, windows: Windows, send: Effect.Effect<A, E, R>, key: string) =>
      Effect.gen(function* () {
        yield* awaitRoom(windows, true, key)
        if (lane === "write") yield* Ref.set(lastWrite, yield* Clock.currentTimeMillis)
        return yield* send
      })

    function pausedUntilOf(budget: BudgetKey) {
      return Effect.gen(function* () {
        const { until } = pauseFor(budget.key)
        const now = yield* Clock.currentTimeMillis
        return until > now ? until : undefined
      })
    }

    const gate: RateGate = {
      run: (lane, endpoint, send, budget = singleBudget) => {
        const key = budget.key
        const windows = windowsOf(endpoint, lane)
        const inPermit = permits.withPermits(1)(sendWhenClear(lane, windows, send, key))
        if (lane === "read")
          return Effect.andThen(Effect.andThen(awaitPause(key), awaitRoom(windows, false, key)), inPermit)
        // The write lane, as octokit's throttling plugin has it: one write at a time, each leaving at least
        // `writeInterval` after the previous one left — also after a pause, when queued writes would otherwise
        // all leave together. https://docs.github.com/en/rest/using-the-rest-api/best-practices-for-using-the-rest-api#pause-between-mutative-requests
        return writeLane.withPermits(1)(
          Effect.gen(function* () {
            yield* awaitPause(key)
            yield* awaitWriteSpacing
            yield* awaitRoom(windows, false, key)
            return yield* inPermit
          })
        )
      },
      pauseUntil: (untilMs, why, budget) =>
        Effect.gen(function* () {
          const now = yield* Clock.currentTimeMillis
          const before = extend(budget?.key ?? EVERY, untilMs, why)
          yield* Ref.update(waits, (n) => n + 1)
          if (untilMs <= before || (before > now && untilMs - before <= NEW_PAUSE_MS)) return
          const wait = describeWait(now, untilMs)
          const whom = budget?.label === undefined ? "all requests" : `the requests of ${budget.label}`
          yield* Effect.logWarning(
            maxWaitMs !== undefined && untilMs - now > maxWaitMs
              ? `rate limit: GitHub asks to pause ${whom} for ${wait} (${why}), longer than the maximum wait of ${formatWait(maxWaitMs)}: the requests waiting fail instead`
              : `rate limit: pausing ${whom} for ${wait} (${why})`
          )
        }),
      observe: (headers, budget = singleBudget) =>
        Effect.sync(() => {
          const limit = Number(headers["x-ratelimit-limit"])
          const remaining = Number(headers["x-ratelimit-remaining"])
          const used = Number(headers["x-ratelimit-used"])
          const resetAt = Number(headers["x-ratelimit-reset"])
          if (![limit, remaining, resetAt].every(Number.isFinite) || headers["x-ratelimit-remaining"] === undefined)
            return
          budgets.set(budget.key, {
            limit,
            remaining,
            used: Number.isFinite(used) ? used : limit - remaining,
            resetAt
          })
        }),
      budget: Effect.sync(() => budgets.get(singleBudget.key)),
      budgetOf: (budget) => Effect.sync(() => budgets.get(budget.key)),
      pausedUntil: pausedUntilOf(singleBudget),
      pausedUntilOf,
      waits: Ref.get(waits)
    }
    return gate
  })
