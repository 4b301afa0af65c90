// Which archives to keep: restic `forget` semantics over archive times, as a pure function, run for each owner over
// the archives that hold that owner. keep-last keeps the owner's N newest; keep-daily/weekly/monthly keep its newest
// archive of each of the last N days, ISO weeks or months (in a time zone) that have one. A period is represented by
// the newest archive that covers the owner completely when it has one (a partial one never takes a complete one's
// place), and the newest archive covering each owner completely is always kept. An archive is kept while any owner
// keeps it, so an ad-hoc export of one owner never pushes out the only archive of the others. An empty policy keeps
// everything rather than deleting all.
import { DateTime } from "effect"
import { type ArchiveInfo, coversCompletely, newestFirst, ownerIn } from "../archive/ArchiveDirectory.ts"

export type { ArchiveInfo } from "../archive/ArchiveDirectory.ts"

/** Counts of 0 or absent mean "this rule keeps nothing"; callers validate that counts are non-negative integers. */
export interface RetentionPolicy {
  readonly keepLast?: number | undefined
  readonly keepDaily?: number | undefined
  readonly keepWeekly?: number | undefined
  readonly keepMonthly?: number | undefined
}

export interface Decision {
  readonly archive: ArchiveInfo
  /**
   * Why it is kept, one entry per rule, e.g. "last", "daily 2026-11-25", "newest complete archive"; a rule that keeps
   * it for only some of its owners names them: "daily 2026-11-25 (mona, octo-archive)".
   */
  readonly reasons: ReadonlyArray<string>
  /** The owners it is kept for. */
  readonly keptFor: ReadonlyArray<string>
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

/**
 * The policy of a command's flags or a config's `retention` (absent counts keep nothing), or undefined when it keeps
 * nothing at all: the CLI refuses that and the worker skips retention, and neither ever applies it.
 */
export const policyOf = (counts: RetentionPolicy): Required<RetentionPolicy> | undefined =>
  isEmptyPolicy(counts)
    ? undefined
    : {
        keepLast: count(counts.keepLast),
        keepDaily: count(counts.keepDaily),
        keepWeekly: count(counts.keepWeekly),
        keepMonthly: count(counts.keepMonthly)
      }

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

/** One owner's view: the archives that hold it, newest first, and which of them cover it completely. */
interface OwnerView {
  readonly archives: ReadonlyArray<ArchiveInfo>
  readonly complete: (a: ArchiveInfo) => boolean
}

/** A rule: the archives it keeps for one owner, each with its reason. */
type Rule = (view: OwnerView) => ReadonlyArray<readonly [ArchiveInfo, string]>

const keepLast =
  (n: number): Rule =>
  (view) =>
    view.archives.slice(0, n).map((a) => [a, "last"] as const)

/**
 * Like restic, periods are walked newest first and each kept period keeps one archive: its newest complete one,
 * else its newest partial one (restic would keep the newest whatever it holds).
 */
const keepPeriods =
  (label: string, n: number, bucketOf: Bucket, timeZone: string): Rule =>
  (view) => {
    if (n === 0) return []
    const periods: Array<{ readonly bucket: string; readonly archives: Array<ArchiveInfo> }> = []
    for (const a of view.archives) {
      const bucket = bucketOf(a.createdAt, timeZone)
      const last = periods.at(-1)
      if (last?.bucket === bucket) last.archives.push(a)
      else periods.push({ bucket, archives: [a] })
    }
    return periods
      .slice(0, n)
      .map(({ bucket, archives }) => [archives.find(view.complete) ?? archives[0]!, `${label} ${bucket}`] as const)
  }

const keepNewestComplete: Rule = (view) => {
  const newest = view.archives.find(view.complete)
  return newest === undefined ? [] : [[newest, "newest complete archive"]]
}

/** Every owner of any archive, once (logins compare case-folded), spelled as the newest archive holding it does. */
const ownersOf = (sorted: ReadonlyArray<ArchiveInfo>): ReadonlyArray<string> => {
  const logins = new Map<string, string>()
  for (const a of sorted) {
    for (const o of a.owners) if (!logins.has(o.login.toLowerCase())) logins.set(o.login.toLowerCase(), o.login)
  }
  return [...logins.values()].sort()
}

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
    return {
      keep: sorted.map((archive) => ({
        archive,
        reasons: ["no retention policy"],
        keptFor: archive.owners.map((o) => o.login)
      })),
      remove: []
    }
  }
  const rules: ReadonlyArray<Rule> = [
    keepLast(count(policy.keepLast)),
    keepPeriods("daily", count(policy.keepDaily), dayBucket, timeZone),
    keepPeriods("weekly", count(policy.keepWeekly), weekBucket, timeZone),
    keepPeriods("monthly", count(policy.keepMonthly), monthBucket, timeZone),
    keepNewestComplete
  ]
  const owners = ownersOf(sorted)
  const views = owners.map(
    (login): OwnerView => ({
      archives: sorted.filter((a) => ownerIn(a, login) !== undefined),
      complete: (a) => coversCompletely(a, login)
    })
  )
  // archive -> reason -> the owners it is kept for by that reason; rules outermost, so reasons come in rule order.
  const kept = new Map<ArchiveInfo, Map<string, Array<string>>>()
  const keptFor = (archive: ArchiveInfo, login: string) =>
    [...(kept.get(archive)?.values() ?? [])].some((logins) => logins.includes(login))
  for (const rule of rules) {
    owners.forEach((login, i) => {
      for (const [archive, reason] of rule(views[i]!)) {
        // The safety rule only speaks up for an archive the policy did not keep for this owner already.
        if (rule === keepNewestComplete && keptFor(archive, login)) continue
        const reasons = kept.get(archive) ?? new Map<string, Array<string>>()
        kept.set(archive, reasons)
        reasons.set(reason, [...(reasons.get(reason) ?? []), login])
      }
    })
  }
  const decision = (archive: ArchiveInfo, reasons: Map<string, Array<string>>): Decision => ({
    archive,
    reasons: [...reasons].map(([reason, logins]) =>
      logins.length === archive.owners.length ? reason : `${reason} (${logins.join(", ")})`
    ),
    keptFor: [...new Set([...reasons.values()].flat())].sort()
  })
  return {
    keep: sorted.flatMap((a) => {
      const reasons = kept.get(a)
      return reasons === undefined ? [] : [decision(a, reasons)]
    }),
    remove: sorted.filter((a) => !kept.has(a))
  }
}
