// Which archives to keep: restic `forget` semantics over archive times, as a pure function. Newest first;
// keep-last keeps the N newest; keep-daily/weekly/monthly keep the newest archive of each of the last N days,
// ISO weeks or months that have archives. An archive may be kept for several reasons. Safety rules on top:
// the newest complete archive is always kept, and a policy that keeps nothing is refused by the caller.

export interface RetentionPolicy {
  readonly keepLast: number
  readonly keepDaily: number
  readonly keepWeekly: number
  readonly keepMonthly: number
}

export interface ArchiveInfo {
  readonly name: string
  /** epoch ms */
  readonly createdAt: number
  /** false for partial archives */
  readonly complete: boolean
}

export interface Decision {
  readonly archive: ArchiveInfo
  readonly reasons: ReadonlyArray<string>
}

export interface RetentionPlan {
  readonly keep: ReadonlyArray<Decision>
  readonly remove: ReadonlyArray<ArchiveInfo>
}

export const isEmptyPolicy = (p: RetentionPolicy): boolean =>
  p.keepLast <= 0 && p.keepDaily <= 0 && p.keepWeekly <= 0 && p.keepMonthly <= 0

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10)
const month = (ms: number) => new Date(ms).toISOString().slice(0, 7)
/** ISO 8601 week, e.g. "2026-W48" (weeks start on Monday; week 1 holds the year's first Thursday). */
export const isoWeek = (ms: number): string => {
  const d = new Date(ms)
  const date = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate())
  const dow = (new Date(date).getUTCDay() + 6) % 7 // Monday = 0
  const thursday = new Date(date - dow * 86_400_000 + 3 * 86_400_000)
  const yearStart = Date.UTC(thursday.getUTCFullYear(), 0, 1)
  const week = 1 + Math.floor((thursday.getTime() - yearStart) / (7 * 86_400_000))
  return `${thursday.getUTCFullYear()}-W${String(week).padStart(2, "0")}`
}

export const planRetention = (archives: ReadonlyArray<ArchiveInfo>, policy: RetentionPolicy): RetentionPlan => {
  const sorted = [...archives].sort((a, b) => b.createdAt - a.createdAt || b.name.localeCompare(a.name))
  const reasons = new Map<string, Array<string>>()
  const add = (a: ArchiveInfo, why: string) => reasons.set(a.name, [...(reasons.get(a.name) ?? []), why])

  sorted.slice(0, Math.max(0, policy.keepLast)).forEach((a) => add(a, "last"))
  const buckets: ReadonlyArray<[string, number, (ms: number) => string]> = [
    ["daily", policy.keepDaily, day],
    ["weekly", policy.keepWeekly, isoWeek],
    ["monthly", policy.keepMonthly, month]
  ]
  for (const [label, count, bucketOf] of buckets) {
    let kept = 0
    let lastBucket: string | undefined
    for (const a of sorted) {
      if (kept >= count) break
      const bucket = bucketOf(a.createdAt)
      if (bucket !== lastBucket) {
        add(a, `${label} ${bucket}`)
        lastBucket = bucket
        kept++
      }
    }
  }
  const newestComplete = sorted.find((a) => a.complete)
  if (newestComplete !== undefined && !reasons.has(newestComplete.name)) add(newestComplete, "newest complete archive")

  return {
    keep: sorted.filter((a) => reasons.has(a.name)).map((a) => ({ archive: a, reasons: reasons.get(a.name)! })),
    remove: sorted.filter((a) => !reasons.has(a.name))
  }
}
