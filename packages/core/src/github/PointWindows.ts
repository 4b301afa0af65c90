// GitHub's secondary limits as sliding windows: points per endpoint per minute (a GET costs 1, a write 5), and the
// content-creating requests (POST) per minute and per hour. A request takes its room at the moment it leaves.
// https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api#about-secondary-rate-limits
import { Clock, Duration, Effect } from "effect"
import type { PauseTooLong } from "./Pauses.ts"
import type { Lane, RateGateOptions } from "./RateGate.ts"
import { makeWindow, nextFree, spend, type SlidingWindow } from "./SlidingWindow.ts"

export type Windows = ReadonlyArray<readonly [SlidingWindow, number]>

/** `minute`: GitHub's minute in ms (shorter only in benchmarks); `awaitPause`: the gate's pauses, waited out first. */
export const makePointWindows = (
  options: Pick<RateGateOptions, "pointsPerMinute" | "contentPerMinute" | "contentPerHour">,
  minute: number,
  awaitPause: (key: string) => Effect.Effect<void, PauseTooLong>
) => {
  // GitHub counts a request when it arrives. A window 2% longer than GitHub's minute (1.2 s) absorbs the difference
  // in network delay between two requests, so what left within our window never lands within GitHub's.
  const windowMs = minute * 1.02
  const points = new Map<string, SlidingWindow>()
  const contentMinute = makeWindow(options.contentPerMinute, windowMs)
  const contentHour = makeWindow(options.contentPerHour, 60 * windowMs)

  /** The windows a request counts against, with its cost in each. */
  const windowsOf = (endpoint: string, lane: Lane): Windows => {
    let window = points.get(endpoint)
    if (window === undefined) {
      window = makeWindow(options.pointsPerMinute, windowMs)
      points.set(endpoint, window)
    }
    const windows: Array<readonly [SlidingWindow, number]> = [[window, lane === "write" ? 5 : 1]]
    if (endpoint.startsWith("POST ")) windows.push([contentMinute, 1], [contentHour, 1])
    return windows
  }
  const freeAt = (windows: Windows, now: number) =>
    Math.max(...windows.map(([w, units]) => (Number.isFinite(w.limit) ? nextFree(w, now, units) : now)))

  /**
   * Sleeps until every window the request counts against has room. Queueing for a permit (`take` false), it only
   * waits. Holding the permit, right before sending (`take` true), it also waits out any pause, then takes the
   * room at the moment the request leaves: a window counts a request at the time it leaves, never earlier, so no
   * more than the limit arrive within one of GitHub's minutes however long requests queued. Check and take are
   * one synchronous step, so concurrent fibers never oversubscribe a window.
   */
  const awaitRoom = (windows: Windows, take: boolean, key: string) =>
    Effect.gen(function* () {
      while (true) {
        if (take) yield* awaitPause(key)
        const now = yield* Clock.currentTimeMillis
        const at = freeAt(windows, now)
        if (at <= now) {
          if (take) for (const [w, units] of windows) if (Number.isFinite(w.limit)) spend(w, now, units)
          return
        }
        yield* Effect.sleep(Duration.millis(at - now))
      }
    })

  return { windowsOf, awaitRoom }
}
