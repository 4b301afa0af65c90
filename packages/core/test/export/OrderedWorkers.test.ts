// The export's worker pool on its own, on the test clock: results in source order whatever order the work
// finishes in, a bounded number at work and held, and a failure anywhere stops everything.
import { describe, expect, it } from "@effect/vitest"
import { Data, Duration, Effect, Exit, Fiber, Stream } from "effect"
import { TestClock } from "effect/testing"
import { forEachOrdered } from "../../src/export/OrderedWorkers.ts"

/**
 * Moves the test clock one millisecond at a time: each step lets the pool's fibers (a reader, the workers, the
 * deliverer) run before the next sleeps are due, as they would between two ticks of a real clock.
 */
const advance = (ms: number) =>
  Effect.forEach(Array.from({ length: ms }), () => TestClock.adjust("1 millis"), { discard: true })

class Boom extends Data.TaggedError("Boom")<{ readonly at: number }> {}

/** Work that takes `delay(n)` ms; records how many run at once and how far ahead of delivery the pool gets. */
const harness = (delay: (n: number) => number, options: { concurrency: number; window: number }) => {
  const delivered: Array<number> = []
  let working = 0
  let maxWorking = 0
  let started = 0
  let maxAhead = 0
  const run = (source: Stream.Stream<number, Boom>) =>
    forEachOrdered(source, {
      ...options,
      readAhead: 4,
      work: (n) =>
        Effect.gen(function* () {
          working++
          started++
          maxWorking = Math.max(maxWorking, working)
          maxAhead = Math.max(maxAhead, started - delivered.length)
          yield* Effect.sleep(Duration.millis(delay(n)))
          working--
          return n * 10
        }),
      deliver: (b) => Effect.sync(() => void delivered.push(b))
    })
  /** Runs the pool over `source` and moves the clock `ms` for it to finish. */
  const runToEnd = (source: Stream.Stream<number, Boom>, ms: number) =>
    Effect.gen(function* () {
      const fiber = yield* Effect.forkChild(run(source))
      yield* advance(ms)
      yield* Fiber.join(fiber)
    })
  return { run, runToEnd, delivered, stats: () => ({ maxWorking, maxAhead }) }
}

describe("forEachOrdered", () => {
  it.effect("delivers every result in source order although later elements finish first", () =>
    Effect.gen(function* () {
      // Element 0 is slow; the others finish in reverse order of their index.
      const h = harness((n) => (n === 0 ? 500 : 100 - n), { concurrency: 4, window: 16 })
      yield* h.runToEnd(Stream.range(0, 29), 2_000)
      expect(h.delivered).toEqual(Array.from({ length: 30 }, (_, i) => i * 10))
      expect(h.stats().maxWorking).toBe(4)
    })
  )

  it.effect("a slow element does not hold the other workers back, within the window", () =>
    Effect.gen(function* () {
      const h = harness((n) => (n === 0 ? 1000 : 10), { concurrency: 4, window: 12 })
      const fiber = yield* Effect.forkChild(h.run(Stream.range(0, 99)))
      yield* advance(500)
      // While element 0 is still at work the three other workers went on, up to the window, and then waited.
      expect(h.delivered).toEqual([])
      expect(h.stats().maxAhead).toBe(12)
      yield* advance(2_000)
      yield* Fiber.join(fiber)
      expect(h.delivered).toHaveLength(100)
      expect(h.stats().maxAhead).toBe(12)
    })
  )

  it.effect("a failure in the work or in the source stops the pool with that error", () =>
    Effect.gen(function* () {
      const failing = forEachOrdered(Stream.range(0, 99), {
        concurrency: 4,
        window: 8,
        readAhead: 4,
        work: (n) =>
          n === 5 ? Effect.fail(new Boom({ at: n })) : Effect.sleep(Duration.millis(10)).pipe(Effect.as(n)),
        deliver: () => Effect.void
      })
      const fiber = yield* Effect.forkChild(Effect.exit(failing))
      yield* advance(200)
      expect(yield* Fiber.join(fiber)).toEqual(Exit.fail(new Boom({ at: 5 })))

      const h = harness(() => 10, { concurrency: 2, window: 4 })
      const source = Stream.range(0, 2).pipe(Stream.concat(Stream.fail(new Boom({ at: -1 }))))
      const fromSource = yield* Effect.forkChild(Effect.exit(h.run(source)))
      yield* advance(200)
      expect(yield* Fiber.join(fromSource)).toEqual(Exit.fail(new Boom({ at: -1 })))
    })
  )

  it.effect("ends with more workers than places in the window", () =>
    Effect.gen(function* () {
      const h = harness(() => 10, { concurrency: 8, window: 2 })
      yield* h.runToEnd(Stream.range(0, 9), 500)
      expect(h.delivered).toEqual(Array.from({ length: 10 }, (_, i) => i * 10))
      expect(h.stats().maxAhead).toBe(2)
    })
  )

  it.effect("an empty source delivers nothing and ends", () =>
    Effect.gen(function* () {
      const h = harness(() => 10, { concurrency: 3, window: 6 })
      yield* h.run(Stream.empty)
      expect(h.delivered).toEqual([])
    })
  )
})
