// The cron schedule: firings in a time zone across DST, and a loop that outlives a failed run (on the TestClock).
import { assert, describe, it } from "@effect/vitest"
import { Cron, Deferred, Effect, Fiber, Logger, Result } from "effect"
import { TestClock } from "effect/testing"
import { nextRun, runOnSchedule } from "../src/Scheduler.ts"

const cron = (expr: string, tz: string) => Result.getOrThrow(Cron.parse(expr, tz))

describe("Scheduler", () => {
  it("fires at 02:30 Berlin time across a day boundary and both DST changes", () => {
    const c = cron("30 2 * * *", "Europe/Berlin")
    const fire = (from: string) => new Date(nextRun(c, Date.parse(from))).toISOString()
    assert.strictEqual(fire("2026-11-24T23:59:00Z"), "2026-11-25T01:30:00.000Z") // across midnight UTC, CET = UTC+1
    assert.strictEqual(fire("2026-03-28T12:00:00Z"), "2026-03-29T01:30:00.000Z") // spring forward: 02:30 does not exist
    assert.strictEqual(fire("2026-03-29T12:00:00Z"), "2026-03-30T00:30:00.000Z") // CEST = UTC+2
    assert.strictEqual(fire("2026-10-24T12:00:00Z"), "2026-10-25T00:30:00.000Z") // fall back: 02:30 twice, fire once
    assert.strictEqual(fire("2026-10-25T00:31:00Z"), "2026-10-26T01:30:00.000Z")
  })

  it.effect("runs the job at each firing on the TestClock, and a failed run does not stop the schedule", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(Date.parse("2026-10-24T12:00:00Z"))
      const fired: Array<string> = []
      const fiber = yield* Effect.forkChild(
        runOnSchedule(cron("30 2 * * *", "Europe/Berlin"), (at) =>
          Effect.suspend(() => {
            fired.push(new Date(at).toISOString())
            return fired.length === 1 ? Effect.fail("boom") : Effect.void
          })
        )
      )
      yield* Effect.yieldNow // let the scheduler read the clock and go to sleep
      yield* TestClock.adjust("13 hours")
      assert.deepStrictEqual(fired, ["2026-10-25T00:30:00.000Z"])
      yield* TestClock.adjust("25 hours") // the 26th, 02:30 CET = 01:30Z
      assert.deepStrictEqual(fired, ["2026-10-25T00:30:00.000Z", "2026-10-26T01:30:00.000Z"])
      yield* Fiber.interrupt(fiber)
    })
  )

  it.effect("a stop during a run ends the schedule without calling it a failed run", () =>
    Effect.gen(function* () {
      const logged: Array<unknown> = []
      const started = yield* Deferred.make<void>()
      const fiber = yield* Effect.forkChild(
        runOnSchedule(cron("* * * * *", "UTC"), () =>
          Effect.andThen(Deferred.succeed(started, undefined), Effect.never)
        ).pipe(Effect.provide(Logger.layer([Logger.make((o) => void logged.push(o.message))])))
      )
      yield* Effect.yieldNow
      yield* TestClock.adjust("1 minute")
      yield* Deferred.await(started)
      yield* Fiber.interrupt(fiber)
      assert.isFalse(logged.some((m) => JSON.stringify(m).includes("run failed")))
    })
  )
})
