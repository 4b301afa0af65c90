// TIME for restore and history: ISO dates (UTC unless an offset), date-times, and durations back from now.
import { assert, describe, it } from "@effect/vitest"
import { parseTimeSpec } from "../../src/history/TimeSpec.ts"

const now = Date.parse("2026-12-08T12:00:00Z")

describe("parseTimeSpec", () => {
  it("reads dates and date-times as UTC unless they carry an offset", () => {
    assert.strictEqual(parseTimeSpec("2026-12-01", now), Date.parse("2026-12-01T00:00:00Z"))
    assert.strictEqual(parseTimeSpec("2026-12-01T02:30", now), Date.parse("2026-12-01T02:30:00Z"))
    assert.strictEqual(parseTimeSpec("2026-12-01T02:30:00+02:00", now), Date.parse("2026-12-01T00:30:00Z"))
  })

  it("reads durations back from now", () => {
    assert.strictEqual(parseTimeSpec("36h", now), now - 36 * 3_600_000)
    assert.strictEqual(parseTimeSpec("7d", now), now - 7 * 86_400_000)
  })

  it("refuses anything else", () => {
    for (const bad of ["yesterday", "2026-13-01", "7 days", "", "-3d"])
      assert.strictEqual(parseTimeSpec(bad, now), undefined)
  })
})
