// Fires a job on a cron schedule in a time zone (effect's Cron handles DST), sleeping on the Clock between runs
// so tests drive it with TestClock. A failed run never stops the schedule.
import { Cause, Clock, Cron, Duration, Effect } from "effect"

/** The next firing strictly after `nowMs`. */
export const nextRun = (cron: Cron.Cron, nowMs: number): number => Cron.next(cron, new Date(nowMs)).getTime()

export const runOnSchedule = <E, R>(cron: Cron.Cron, job: (scheduledAt: number) => Effect.Effect<void, E, R>) =>
  Effect.gen(function* () {
    while (true) {
      const now = yield* Clock.currentTimeMillis
      const at = nextRun(cron, now)
      yield* Effect.logInfo(`next run at ${new Date(at).toISOString()}`)
      yield* Effect.sleep(Duration.millis(at - now))
      yield* job(at).pipe(
        // A stop (SIGTERM/SIGINT) ends the schedule; it is not a failed run.
        Effect.catchCause((cause) =>
          Cause.hasInterruptsOnly(cause) ? Effect.failCause(cause) : Effect.logError("run failed", cause)
        )
      )
    }
  })
