// The worker's log lines. Off a terminal, one JSON object per line with a stable shape for log collectors: `time`,
// `level`, `msg` (always a string) and the fields as keys, without the framework's fiber ids, spans or annotations
// objects. On a terminal, effect's readable lines.
import { Cause, Logger, References } from "effect"

const RESERVED = new Set(["time", "level", "msg"])

const isFields = (u: unknown): u is Record<string, unknown> =>
  typeof u === "object" && u !== null && !Array.isArray(u) && !(u instanceof Error) && !Cause.isCause(u)

/** A cause's one-line account: its first error's message, or "interrupted". */
const causeText = (cause: Cause.Cause<unknown>): string =>
  Cause.hasInterruptsOnly(cause) ? "interrupted" : (Cause.pretty(cause).split("\n")[0] ?? "")

/** One log line as a JSON object: time, level, msg, then the message's fields and the log annotations. */
export const formatLine = (options: Logger.Options<unknown>): string => {
  const parts = Array.isArray(options.message) ? options.message : [options.message]
  const texts: Array<string> = []
  const fields: Record<string, unknown> = {}
  const addFields = (record: Readonly<Record<string, unknown>>) => {
    for (const [key, value] of Object.entries(record)) fields[RESERVED.has(key) ? `field.${key}` : key] = value
  }
  for (const part of parts) {
    if (isFields(part)) addFields(part)
    else if (Cause.isCause(part)) fields.error = causeText(part)
    else if (part instanceof Error) fields.error = part.message
    else texts.push(typeof part === "string" ? part : JSON.stringify(part))
  }
  addFields(options.fiber.getRef(References.CurrentLogAnnotations))
  if (options.cause.reasons.length > 0 && fields.error === undefined) fields.error = causeText(options.cause)
  return JSON.stringify({
    time: options.date.toISOString(),
    level: options.logLevel.toUpperCase(),
    msg: texts.join(" "),
    ...fields
  })
}

/** JSON lines on stdout. */
export const jsonLogger = Logger.withConsoleLog(Logger.make(formatLine))

/** Structured JSON log lines when stdout is not a terminal; readable lines on a terminal. */
export const loggerLayer = (tty: boolean) => Logger.layer([tty ? Logger.consolePretty() : jsonLogger])
