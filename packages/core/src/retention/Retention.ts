// Which archives to keep: restic `forget` semantics over archive times, as a pure function. Newest first;
// keep-last keeps the N newest; keep-daily/weekly/monthly keep the newest archive of each of the last N days,
// ISO weeks or months (in a time zone) that have archives. Safety on top: a day, week or month is represented by its
// newest complete archive when it has one (a partial archive never takes a complete one's place), the newest
// complete archive is always kept, and an empty policy keeps everything rather than deleting all.
import { DateTime } from "effect"

/** Counts of 0 or absent mean "this rule keeps nothing"; callers validate that counts are non-negative integers. */
export interface RetentionPolicy {
  readonly keepLast?: number | undefined
  readonly keepDaily?: number | undefined
  readonly keepWeekly?: number | undefined
  readonly keepMonthly?: number | undefined
}

export interface ArchiveInfo {
  readonly name: string
  /** Creation time, epoch ms. */
  readonly createdAt: number
  /** False for partial archives (an owner failed). */
  readonly complete: boolean
}

export interface Decision {
  readonly archive: ArchiveInfo
  /** Why it is kept, e.g. "last", "daily 2026-11-25", "newest complete archive"; one entry per rule. */
  readonly reasons: ReadonlyArray<string>
}

export interface RetentionPlan {
  /** Newest first. */
  readonly keep: ReadonlyArray<Decision>
  /** Newest first. */
  readonly remove: ReadonlyArray<ArchiveInfo>
}

const count = (n: number | undefined): number =>
  n === undefined || !Number.isFinite(n) ? 0 : Math.max(0, Math.floor(n))

export const isEmptyPolicy = (p: RetentionPolicy): boolean =>
  count(p.keepLast) + count(p.keepDaily) + count(p.keepWeekly) + count(p.keepMonthly) === 0

const pad = (n: number, width = 2) => String(n).padStart(width, "0")

/** The calendar date of an instant in a time zone (IANA name, default UTC). */
const calendarDate = (ms: number, timeZone: string) => {
  const p = DateTime.toParts(DateTime.makeZonedUnsafe(ms, { timeZone }))
  return { year: p.year, month: p.month, day: p.day }
}

/** ISO 8601 week of a calendar date, e.g. "2026-W48" (weeks start on Monday; week 1 holds the year's first Thursday). */
export const isoWeekOf = (year: number, month: number, day: number): string => {
  // Pure date arithmetic on a UTC midnight stands for the calendar day; no clock is read.
  const date = Date.UTC(year, month - 1, day)
  const mondayBased = (new Date(date).getUTCDay() + 6) % 7
  const thursday = new Date(date + (3 - mondayBased) * 86_400_000)
  const week = 1 + Math.floor((thursday.getTime() - Date.UTC(thursday.getUTCFullYear(), 0, 1)) / (7 * 86_400_000))
  return `${thursday.getUTCFullYear()}-W${pad(week)}`
}

type Bucket = (ms: number, timeZone: string) => string

const dayBucket: Bucket = (ms, tz) => {
  const d = calendarDate(ms, tz)
  return `${d.year}-${pad(d.month)}-${pad(d.day)}`
}
const weekBucket: Bucket = (ms, tz) => {
  const d = calendarDate(ms, tz)
  return isoWeekOf(d.year, d.month, d.day)
}
const monthBucket: Bucket = (ms, tz) => {
  const d = calendarDate(ms, tz)
  return `${d.year}-${pad(d.month)}`
}

/** Newest first; equal times fall back to the name so the plan never depends on input order. */
const newestFirst = (a: ArchiveInfo, b: ArchiveInfo) =>
  b.createdAt - a.createdAt || (a.name < b.name ? 1 : a.name > b.name ? -1 : 0)

/**
 * Plans retention. `timeZone` (an IANA name, default "UTC") decides where days, weeks and months begin.
 * Throws only for an unknown time zone; validate it at the edge.
 */
export const planRetention = (
  archives: ReadonlyArray<ArchiveInfo>,
  policy: RetentionPolicy,
  timeZone = "UTC"
): RetentionPlan => {
  const sorted = [...archives].sort(newestFirst)
  if (isEmptyPolicy(policy)) {
    // A policy that keeps nothing is a mistake, never an instruction to delete every archive.
    return { keep: sorted.map((archive) => ({ archive, reasons: ["no retention policy"] })), remove: [] }
  }
  const reasons = new Map<ArchiveInfo, Array<string>>()
  const add = (a: ArchiveInfo, why: string) => {
    const list = reasons.get(a)
    if (list === undefined) reasons.set(a, [why])
    else list.push(why)
  }

  for (const a of sorted.slice(0, count(policy.keepLast))) add(a, "last")
  const rules: ReadonlyArray<readonly [string, number, Bucket]> = [
    ["daily", count(policy.keepDaily), dayBucket],
    ["weekly", count(policy.keepWeekly), weekBucket],
    ["monthly", count(policy.keepMonthly), monthBucket]
  ]
  for (const [label, limit, bucketOf] of rules) {
    if (limit === 0) continue
    // Like restic, buckets are walked newest first and each kept bucket keeps one archive: its newest complete
    // one, else its newest partial one (restic would keep the newest whatever it holds).
    const buckets: Array<{ readonly bucket: string; readonly archives: Array<ArchiveInfo> }> = []
    for (const a of sorted) {
      const bucket = bucketOf(a.createdAt, timeZone)
      const last = buckets.at(-1)
      if (last?.bucket === bucket) last.archives.push(a)
      else buckets.push({ bucket, archives: [a] })
    }
    for (const { bucket, archives: inBucket } of buckets.slice(0, limit)) {
      add(inBucket.find((a) => a.complete) ?? inBucket[0]!, `${label} ${bucket}`)
    }
  }
  const newestComplete = sorted.find((a) => a.complete)
  if (newestComplete !== undefined && !reasons.has(newestComplete)) add(newestComplete, "newest complete archive")

  return {
    keep: sorted.filter((a) => reasons.has(a)).map((a) => ({ archive: a, reasons: reasons.get(a)! })),
    remove: sorted.filter((a) => !reasons.has(a))
  }
}
