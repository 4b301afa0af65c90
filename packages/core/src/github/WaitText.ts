// How a wait reads to a person: seconds up to a minute, then minutes and the clock time (UTC) it ends at.

/** "30 s" up to a minute, else "51 min". */
export const formatWait = (ms: number): string => {
  const seconds = Math.ceil(Math.max(0, ms) / 1000)
  return seconds <= 60 ? `${seconds} s` : `${Math.round(seconds / 60)} min`
}

/** "02:51 UTC": the minute nearest to `epochMs`. */
export const clockTime = (epochMs: number): string =>
  `${new Date(Math.round(epochMs / 60_000) * 60_000).toISOString().slice(11, 16)} UTC`

/** "30 s", or "51 min, until 02:51 UTC" for a wait over a minute, which a person plans around. */
export const describeWait = (fromMs: number, untilMs: number): string => {
  const text = formatWait(untilMs - fromMs)
  return untilMs - fromMs > 60_000 ? `${text}, until ${clockTime(untilMs)}` : text
}
