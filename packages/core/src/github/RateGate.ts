// The one gate every request of the process passes: a cap on concurrent requests, a write lane that spaces
// POST/PUT/DELETE apart, and a shared pause — when GitHub says "wait", every fiber waits, not just the one told.
// https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api
import { Clock, Duration, Effect, Ref, Semaphore } from "effect"
import type { RateBudget } from "./GitHubClient.ts"

export type Lane = "read" | "write"

export interface RateGateOptions {
  /** Concurrent requests, all lanes together (GitHub allows 100; stay well under). */
  readonly concurrency: number
  /** Mutating requests per minute (GitHub: at least one second between them). */
  readonly writesPerMinute: number
}

export interface RateGate {
  /** Runs `send` once the pause is over, a permit is held and (for writes) the write slot has come. */
  readonly run: <A, E, R>(lane: Lane, send: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  /** Holds every request until `untilMs` (epoch ms). Pauses only ever extend. */
  readonly pauseUntil: (untilMs: number, why: string) => Effect.Effect<void>
  /** Records the x-ratelimit-* headers of an answer. */
  readonly observe: (headers: Readonly<Record<string, string | undefined>>) => Effect.Effect<void>
  readonly budget: Effect.Effect<RateBudget | undefined>
  readonly pausedUntil: Effect.Effect<number | undefined>
  readonly waits: Effect.Effect<number>
}

export const makeRateGate = (options: RateGateOptions) =>
  Effect.gen(function* () {
    const permits = yield* Semaphore.make(Math.max(1, options.concurrency))
    const paused = yield* Ref.make(0)
    const nextWrite = yield* Ref.make(0)
    const budget = yield* Ref.make<RateBudget | undefined>(undefined)
    const waits = yield* Ref.make(0)
    const writeInterval = options.writesPerMinute > 0 ? 60_000 / options.writesPerMinute : 0

    /** Sleeps until no pause is in force; loops because a pause may be extended while we sleep. */
    const awaitPause: Effect.Effect<void> = Effect.gen(function* () {
      while (true) {
        const now = yield* Clock.currentTimeMillis
        const until = yield* Ref.get(paused)
        if (until <= now) return
        yield* Effect.sleep(Duration.millis(until - now))
      }
    })

    /** Reserves the next write slot atomically, then waits for it: writes go out at least `writeInterval` apart. */
    const awaitWriteSlot = Effect.gen(function* () {
      const now = yield* Clock.currentTimeMillis
      const slot = yield* Ref.modify(nextWrite, (next) => {
        const at = Math.max(now, next)
        return [at, at + writeInterval] as const
      })
      if (slot > now) yield* Effect.sleep(Duration.millis(slot - now))
    })

    const gate: RateGate = {
      run: (lane, send) =>
        Effect.gen(function* () {
          yield* awaitPause
          if (lane === "write" && writeInterval > 0) yield* awaitWriteSlot
          return yield* permits.withPermits(1)(
            // Check again holding the permit: a pause may have begun while we queued.
            Effect.andThen(awaitPause, send)
          )
        }),
      pauseUntil: (untilMs, why) =>
        Effect.gen(function* () {
          const now = yield* Clock.currentTimeMillis
          const extended = yield* Ref.modify(paused, (current) => (untilMs > current ? [true, untilMs] : [false, current]))
          yield* Ref.update(waits, (n) => n + 1)
          if (extended) {
            yield* Effect.logWarning(`rate limit: pausing all requests for ${Math.ceil(Math.max(0, untilMs - now) / 1000)} s (${why})`)
          }
        }),
      observe: (headers) =>
        Effect.gen(function* () {
          const limit = Number(headers["x-ratelimit-limit"])
          const remaining = Number(headers["x-ratelimit-remaining"])
          const used = Number(headers["x-ratelimit-used"])
          const resetAt = Number(headers["x-ratelimit-reset"])
          if (![limit, remaining, resetAt].every(Number.isFinite) || headers["x-ratelimit-remaining"] === undefined) return
          yield* Ref.set(budget, { limit, remaining, used: Number.isFinite(used) ? used : limit - remaining, resetAt })
        }),
      budget: Ref.get(budget),
      pausedUntil: Effect.gen(function* () {
        const until = yield* Ref.get(paused)
        const now = yield* Clock.currentTimeMillis
        return until > now ? until : undefined
      }),
      waits: Ref.get(waits)
    }
    return gate
  })
