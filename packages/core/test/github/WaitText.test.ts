// How waits read in logs and errors.
import { assert, describe, it } from "@effect/vitest"
import { clockTime, describeWait, formatWait } from "../../src/github/WaitText.ts"

describe("WaitText", () => {
  it("reads seconds up to a minute, then minutes with the UTC clock time the wait ends", () => {
    assert.strictEqual(formatWait(30_000), "30 s")
    assert.strictEqual(formatWait(60_000), "60 s")
    assert.strictEqual(formatWait(51 * 60_000), "51 min")
    assert.strictEqual(describeWait(0, 5_000), "5 s")
    const start = Date.parse("2026-12-08T02:00:10Z")
    assert.strictEqual(describeWait(start, start + 51 * 60_000), "51 min, until 02:51 UTC")
    assert.strictEqual(clockTime(Date.parse("2026-12-08T23:59:50Z")), "00:00 UTC")
  })
})
