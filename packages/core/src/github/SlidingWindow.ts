// A sliding-window budget: at most `limit` units in any `windowMs`. Used to stay under GitHub's secondary
// limits (points per minute per endpoint, content creation per minute and per hour) instead of tripping them.
export interface SlidingWindow {
  readonly limit: number
  readonly windowMs: number
  readonly spent: Array<{ readonly at: number; readonly units: number }>
}

export const makeWindow = (limit: number, windowMs: number): SlidingWindow => ({ limit, windowMs, spent: [] })

/**
 * When `units` may be spent at or after `now` (epoch ms): `now` itself if the window has room, else the moment
 * enough earlier spending has slid out. Pure apart from dropping entries that are already outside the window.
 */
export const nextFree = (w: SlidingWindow, now: number, units: number): number => {
  while (w.spent.length > 0 && w.spent[0]!.at <= now - w.windowMs) w.spent.shift()
  let total = w.spent.reduce((n, e) => n + e.units, 0)
  if (total + units <= w.limit) return now
  for (const e of w.spent) {
    total -= e.units
    if (total + units <= w.limit) return e.at + w.windowMs + 1
  }
  return now
}

export const spend = (w: SlidingWindow, at: number, units: number): void => {
  w.spent.push({ at, units })
}
