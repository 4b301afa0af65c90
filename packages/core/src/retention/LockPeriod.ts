// Object Lock against retention: a per-object lock must end before retention may drop the archive, or every run would
// find archives it should delete still locked. Pure: the shortest time a retention policy keeps any archive.
import type { RetentionPolicy } from "./Retention.ts"

const DAY_MS = 24 * 60 * 60 * 1000

export interface ShortestKeep {
  /** Milliseconds. */
  readonly ms: number
  /** The rule that gives it, as the config names it: "keepDaily 7". */
  readonly rule: string
}

/**
 * The shortest time any configured rule keeps an archive: keepLast N keeps N runs (N × the interval between runs,
 * when known), keepDaily N days, keepWeekly N weeks, keepMonthly N months of 28 days (the shortest). An archive
 * another rule does not keep can go as soon as the shortest rule lets it. Undefined when no rule is configured.
 */
export const shortestKeep = (policy: RetentionPolicy, runIntervalMs: number | undefined): ShortestKeep | undefined => {
  const windows: Array<ShortestKeep> = []
  const add = (n: number | undefined, unitMs: number | undefined, name: string) => {
    if (n !== undefined && n > 0 && unitMs !== undefined) windows.push({ ms: n * unitMs, rule: `${name} ${n}` })
  }
  add(policy.keepLast, runIntervalMs, "keepLast")
  add(policy.keepDaily, DAY_MS, "keepDaily")
  add(policy.keepWeekly, 7 * DAY_MS, "keepWeekly")
  add(policy.keepMonthly, 28 * DAY_MS, "keepMonthly")
  return windows.sort((a, b) => a.ms - b.ms)[0]
}

const daysText = (ms: number): string => {
  const days = ms / DAY_MS
  return Number.isInteger(days) ? `${days} day${days === 1 ? "" : "s"}` : `${days.toFixed(1)} days`
}

/** Why a lock of `days` does not fit the policy (a sentence without field names' context), or undefined when it does. */
export const lockLongerThanRetention = (
  days: number,
  policy: RetentionPolicy,
  runIntervalMs: number | undefined
): string | undefined => {
  const shortest = shortestKeep(policy, runIntervalMs)
  if (shortest === undefined || days * DAY_MS <= shortest.ms) return undefined
  return `${daysText(days * DAY_MS)} is longer than retention keeps an archive (${shortest.rule}: ${daysText(shortest.ms)}), so retention would find archives it drops still locked`
}
