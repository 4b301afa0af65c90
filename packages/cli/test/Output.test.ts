// The live progress line: one terminal row, overwritten in place.
import { describe, expect, it } from "vitest"
import { fitProgressLine } from "../src/Output.ts"

describe("fitProgressLine", () => {
  const line = "octo-org: 12/240 spaces · budget 4,970/5,000"

  it("keeps a line that fits, leaving the last column free so the cursor never wraps", () => {
    expect(fitProgressLine(line, 80)).toBe(line)
    expect(fitProgressLine(line, 20)).toBe(line.slice(0, 19))
  })

  it("treats a terminal that reports no width as 100 columns instead of cutting the line", () => {
    expect(fitProgressLine(line, 0)).toBe(line)
    expect(fitProgressLine(line, undefined)).toBe(line)
    expect(fitProgressLine("x".repeat(150), 0)).toHaveLength(99)
  })
})
