// The times restore and history take: an ISO 8601 date or date-time (UTC unless it has an offset), or a duration
// back from now ("36h", "7d"). Pure: "now" is given.
const DURATION = /^(\d+)\s*(m|h|d|w)$/
const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 } as const
const DATE = /^\d{4}-\d{2}-\d{2}$/
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/

/** Epoch ms, or undefined when the text is neither an ISO date/date-time nor a duration. */
export const parseTimeSpec = (text: string, now: number): number | undefined => {
  const t = text.trim()
  const d = DURATION.exec(t)
  if (d !== null) return now - Number(d[1]) * UNIT_MS[d[2] as keyof typeof UNIT_MS]
  if (DATE.test(t)) return orUndefined(Date.parse(`${t}T00:00:00Z`))
  const m = DATE_TIME.exec(t)
  if (m === null) return undefined
  return orUndefined(Date.parse(m[3] === undefined ? `${t}Z` : t))
}

const orUndefined = (ms: number) => (Number.isNaN(ms) ? undefined : ms)

/** What the flag takes, for the one sentence a bad value gets. */
export const TIME_SPEC_HELP =
  "an ISO 8601 date or date-time (UTC unless it has an offset), or a duration back such as 36h or 7d"
