// The pauses GitHub asks for, kept by budget: a secondary limit holds every request (EVERY), a primary limit only the
// requests spending that budget (one token's). Pauses only ever extend. Read and written synchronously, so fibers
// never see half an update.
import { Clock, Duration, Effect, Schema } from "effect"

/** A request not sent: the pause in force (`why`) lasts until `until` (epoch ms), longer than `maxWait`. */
export class PauseTooLong extends Schema.TaggedError<PauseTooLong>()("PauseTooLong", {
  until: Schema.Number,
  why: Schema.String,
  maxWaitMs: Schema.Number
}) {}

/** The key of the pause every request waits for (secondary limits, and pauses without a budget). */
export const EVERY = "*"

interface Pause {
  readonly until: number
  readonly why: string
}

export const makePauses = (maxWaitMs: number | undefined) => {
  const paused = new Map<string, Pause>()
  const pauseOf = (key: string): Pause => paused.get(key) ?? { until: 0, why: "" }
  /** The pause a request spending `key` waits for: the longer of its budget's and the every-request one. */
  const pauseFor = (key: string): Pause => {
    const own = pauseOf(key)
    const every = pauseOf(EVERY)
    return own.until > every.until ? own : every
  }
  return {
    pauseFor,
    /** Extends the pause of `key` to `untilMs`; returns when it ended before (0: none), to judge what is news. */
    extend: (key: string, untilMs: number, why: string): number => {
      const before = pauseOf(key).until
      if (untilMs > before) paused.set(key, { until: untilMs, why })
      return before
    },
    /** Sleeps until no pause holds `key`; loops because a pause may be extended while we sleep. */
    awaitPause: (key: string): Effect.Effect<void, PauseTooLong> =>
      Effect.gen(function* () {
        while (true) {
          const now = yield* Clock.currentTimeMillis
          const { until, why } = pauseFor(key)
          if (until <= now) return
          if (maxWaitMs !== undefined && until - now > maxWaitMs)
            return yield* new PauseTooLong({ until, why, maxWaitMs })
          yield* Effect.sleep(Duration.millis(until - now))
        }
      })
  }
}
