// The JSON log line's shape is what log collectors parse: time, level, msg as a string, fields as keys, nothing else.
import { assert, describe, it } from "@effect/vitest"
import { Effect, Logger } from "effect"
import { formatLine } from "../src/WorkerLogger.ts"

/** Runs `log` with a logger that keeps the JSON lines. */
const linesOf = (log: Effect.Effect<void>) =>
  Effect.gen(function* () {
    const lines: Array<Record<string, unknown>> = []
    yield* log.pipe(
      Effect.provide(Logger.layer([Logger.map(Logger.make(formatLine), (l) => void lines.push(JSON.parse(l)))]))
    )
    return lines
  })

describe("WorkerLogger", () => {
  it.effect("writes time, level, msg and the fields as keys, without fiber ids, spans or annotation objects", () =>
    Effect.gen(function* () {
      const [line] = yield* linesOf(
        Effect.logInfo("export finished", { archive: "/a.zip", spaces: 7, notModified: 5, durationMs: 1200 })
      )
      assert.deepStrictEqual(Object.keys(line!), [
        "time",
        "level",
        "msg",
        "archive",
        "spaces",
        "notModified",
        "durationMs"
      ])
      assert.deepInclude(line, { level: "INFO", msg: "export finished", archive: "/a.zip", spaces: 7 })
      assert.match(String(line!.time), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
    })
  )

  it.effect(
    "keeps msg a string, folds annotations into fields, and never lets a field replace time, level or msg",
    () =>
      Effect.gen(function* () {
        const lines = yield* linesOf(
          Effect.gen(function* () {
            yield* Effect.logWarning("retention kept", "x.zip")
            yield* Effect.logError("export failed", { msg: "shadow", error: "GitHub is down" })
            yield* Effect.logInfo("plain").pipe(Effect.annotateLogs({ owner: "octo-org" }), Effect.withLogSpan("run"))
            yield* Effect.logError("run failed", new Error("boom"))
          })
        )
        assert.deepStrictEqual(
          lines.map(({ time: _, ...rest }) => rest),
          [
            { level: "WARN", msg: "retention kept x.zip" },
            { level: "ERROR", msg: "export failed", "field.msg": "shadow", error: "GitHub is down" },
            { level: "INFO", msg: "plain", owner: "octo-org" },
            { level: "ERROR", msg: "run failed", error: "boom" }
          ]
        )
      })
  )
})
