// The shared gate on its own: the write lane, the shared pause and how they combine, on the test clock.
import { assert, describe, expect, it } from "@effect/vitest"
import { Clock, Duration, Effect, Fiber, Logger } from "effect"
import { TestClock } from "effect/testing"
import { githubSecondaryLimits, makeRateGate, type Lane, type RateGateOptions } from "../../src/github/RateGate.ts"

const gateOptions = (overrides: Partial<RateGateOptions> = {}): RateGateOptions => ({
  concurrency: 8,
  writesPerMinute: 60,
  ...githubSecondaryLimits,
  ...overrides
})

/** A request that records when it left and stays in flight for `latency`. */
const recorder = () => {
  const left: Array<{ readonly lane: Lane; readonly at: number }> = []
  const send = (lane: Lane, latency: Duration.Input = Duration.zero) =>
    Effect.gen(function* () {
      left.push({ lane, at: yield* Clock.currentTimeMillis })
      yield* Effect.sleep(latency)
    })
  return { left, send }
}

describe("RateGate", () => {
  it.effect("writes queued when a pause begins still leave one interval apart when it ends", () =>
    Effect.gen(function* () {
      const gate = yield* makeRateGate(gateOptions())
      const { left, send } = recorder()
      const writes = yield* Effect.forkChild(
        Effect.all(
          [1, 2, 3, 4].map(() => gate.run("write", "POST /orgs/{org}/copilot-spaces", send("write"))),
          { concurrency: 4 }
        )
      )
      yield* TestClock.adjust("500 millis") // the first write has left; the others wait for their turn
      yield* gate.pauseUntil(30_000, "test")
      yield* TestClock.adjust("29 seconds")
      expect(left.map((l) => l.at)).toEqual([0])
      yield* TestClock.adjust("5 seconds")
      yield* Fiber.join(writes)
      expect(left.map((l) => l.at)).toEqual([0, 30_000, 31_000, 32_000])
    })
  )

  it.effect("keeps one write in flight at a time, while reads go on", () =>
    Effect.gen(function* () {
      const gate = yield* makeRateGate(gateOptions({ writesPerMinute: 6000 }))
      const { left, send } = recorder()
      const writes = yield* Effect.forkChild(
        Effect.all(
          [1, 2].map(() =>
            gate.run("write", "PUT /orgs/{org}/copilot-spaces/{space_number}", send("write", "5 seconds"))
          ),
          { concurrency: 2 }
        )
      )
      const read = yield* Effect.forkChild(gate.run("read", "GET /orgs/{org}/copilot-spaces", send("read")))
      yield* TestClock.adjust("11 seconds")
      yield* Fiber.join(writes)
      yield* Fiber.join(read)
      expect(left.filter((l) => l.lane === "write").map((l) => l.at)).toEqual([0, 5000])
      expect(left.find((l) => l.lane === "read")!.at).toBe(0)
    })
  )

  it.effect("pauses only ever extend, and report until when", () =>
    Effect.gen(function* () {
      const gate = yield* makeRateGate(gateOptions())
      expect(yield* gate.pausedUntil).toBeUndefined()
      yield* gate.pauseUntil(10_000, "long")
      yield* gate.pauseUntil(5_000, "short")
      expect(yield* gate.pausedUntil).toBe(10_000)
      expect(yield* gate.waits).toBe(2)
      const { left, send } = recorder()
      const read = yield* Effect.forkChild(gate.run("read", "GET /x", send("read")))
      yield* TestClock.adjust("9 seconds")
      expect(left).toEqual([])
      yield* TestClock.adjust("1 second")
      yield* Fiber.join(read)
      expect(left[0]!.at).toBe(10_000)
      expect(yield* gate.pausedUntil).toBeUndefined()
    })
  )

  it.effect("a pause announced while a request waits for a permit holds it too", () =>
    Effect.gen(function* () {
      const gate = yield* makeRateGate(gateOptions({ concurrency: 1 }))
      const { left, send } = recorder()
      const first = yield* Effect.forkChild(gate.run("read", "GET /x", send("read", "1 second")))
      const second = yield* Effect.forkChild(gate.run("read", "GET /x", send("read")))
      yield* TestClock.adjust("500 millis")
      yield* gate.pauseUntil(20_000, "announced by another answer")
      yield* TestClock.adjust("21 seconds")
      yield* Fiber.join(first)
      yield* Fiber.join(second)
      expect(left.map((l) => l.at)).toEqual([0, 20_000])
    })
  )

  it.effect("counts a request against the points budget when it leaves, not when it queued for a permit", () =>
    Effect.gen(function* () {
      // Three points a minute, two permits: the third request queues behind a 30 s one and leaves at 30 s.
      const gate = yield* makeRateGate(gateOptions({ concurrency: 2, pointsPerMinute: 3 }))
      const { left, send } = recorder()
      const latencies = [50, 30, 1, 1, 1, 1]
      const all = yield* Effect.forkChild(
        Effect.all(
          latencies.map((s) => gate.run("read", "GET /x", send("read", Duration.seconds(s)))),
          { concurrency: "unbounded" }
        )
      )
      yield* TestClock.adjust("5 minutes")
      yield* Fiber.join(all)
      const times = left.map((l) => l.at).sort((a, b) => a - b)
      expect(times[2]).toBe(30_000)
      // GitHub counts arrivals: no minute may see more than three, whenever it starts.
      for (const t of times) expect(times.filter((u) => u >= t && u < t + 60_000).length).toBeLessThanOrEqual(3)
    })
  )

  it.effect("tracks the budget from x-ratelimit-* headers and ignores answers without them", () =>
    Effect.gen(function* () {
      const gate = yield* makeRateGate(gateOptions())
      yield* gate.observe({
        "x-ratelimit-limit": "5000",
        "x-ratelimit-remaining": "4990",
        "x-ratelimit-used": "10",
        "x-ratelimit-reset": "1700000000"
      })
      yield* gate.observe({ etag: `"x"` })
      expect(yield* gate.budget).toEqual({ limit: 5000, remaining: 4990, used: 10, resetAt: 1700000000 })
    })
  )

  it.effect("with maxWait, a request facing a longer pause fails without being sent; a shorter one waits", () =>
    Effect.gen(function* () {
      const gate = yield* makeRateGate(gateOptions({ maxWait: Duration.minutes(10) }))
      const { left, send } = recorder()
      yield* gate.pauseUntil(30_000, "short")
      const waited = yield* Effect.forkChild(gate.run("read", "GET /x", send("read")))
      yield* TestClock.adjust("31 seconds")
      yield* Fiber.join(waited)
      yield* gate.pauseUntil(31_000 + 3_600_000, "primary rate limit on GET /x")
      const error = yield* Effect.flip(gate.run("write", "POST /x", send("write")))
      assert.deepStrictEqual(
        { ...error },
        { _tag: "PauseTooLong", until: 3_631_000, why: "primary rate limit on GET /x", maxWaitMs: 600_000 }
      )
      assert.deepStrictEqual(
        left.map((l) => l.at),
        [30_000]
      )
    })
  )

  it.effect("logs a pause when it begins, not each time answers in flight move its end a little", () =>
    Effect.gen(function* () {
      const lines: Array<string> = []
      const logger = Logger.make((o) => void lines.push(String(Array.isArray(o.message) ? o.message[0] : o.message)))
      yield* Effect.gen(function* () {
        const gate = yield* makeRateGate(gateOptions())
        for (let i = 0; i < 16; i++) yield* gate.pauseUntil(30_000 + i * 100, "secondary rate limit on GET /x")
        yield* gate.pauseUntil(200_000, "primary rate limit on GET /y") // a different limit: a line of its own
        yield* TestClock.adjust("201 seconds")
        yield* gate.pauseUntil(230_000, "secondary rate limit on GET /x") // the first pause is over: a new one
      }).pipe(Effect.provide(Logger.layer([logger])))
      assert.deepStrictEqual(lines, [
        "rate limit: pausing all requests for 30 s (secondary rate limit on GET /x)",
        "rate limit: pausing all requests for 3 min, until 00:03 UTC (primary rate limit on GET /y)",
        "rate limit: pausing all requests for 29 s (secondary rate limit on GET /x)"
      ])
    })
  )

  it.effect("a primary pause holds only its budget's requests; an every-request pause holds them all", () =>
    Effect.gen(function* () {
      const gate = yield* makeRateGate(gateOptions())
      const a = { key: "installation:1", label: "a's installation" }
      const b = { key: "installation:2", label: "b's installation" }
      const { left, send } = recorder()
      const warnings: Array<string> = []
      const logger = Logger.make((o) => {
        if (o.logLevel === "Warn") warnings.push(String(o.message))
      })
      yield* gate.pauseUntil(60_000, "primary rate limit on GET /x", a).pipe(Effect.provide(Logger.layer([logger])))
      const waiting = yield* Effect.forkChild(gate.run("read", "GET /x", send("read"), a))
      const going = yield* Effect.forkChild(gate.run("read", "GET /x", send("read"), b))
      yield* TestClock.adjust("1 second")
      yield* Fiber.join(going)
      expect(left.map((l) => l.at)).toEqual([0])
      expect(yield* gate.pausedUntilOf(a)).toBe(60_000)
      expect(yield* gate.pausedUntilOf(b)).toBeUndefined()
      expect(warnings).toEqual([
        "rate limit: pausing the requests of a's installation for 60 s (primary rate limit on GET /x)"
      ])
      // A secondary limit is not documented per token: it holds b too.
      yield* gate.pauseUntil(30_000, "secondary rate limit on GET /x")
      const held = yield* Effect.forkChild(gate.run("read", "GET /x", send("read"), b))
      yield* TestClock.adjust("28 seconds")
      expect(left.length).toBe(1)
      yield* TestClock.adjust("2 seconds")
      yield* Fiber.join(held)
      expect(left.map((l) => l.at)).toEqual([0, 30_000])
      yield* TestClock.adjust("30 seconds")
      yield* Fiber.join(waiting)
      expect(left.map((l) => l.at)).toEqual([0, 30_000, 60_000])
    })
  )
})
