import { describe, expect, it } from "@effect/vitest"
import { execFileSync } from "node:child_process"
import { LEAN_HEAP, leanHeapFlags } from "../../src/runtime/LeanHeap.ts"

const all = LEAN_HEAP.map((f) => f.flag)

describe("leanHeapFlags", () => {
  it("sets every lean flag when node was started without heap options", () => {
    expect(leanHeapFlags([])).toEqual(all)
    expect(leanHeapFlags(["--enable-source-maps", "", "--max-old-space-size=4096"])).toEqual(all)
  })

  it("leaves the young generation alone when its size was chosen, in either spelling", () => {
    for (const given of [
      "--max-semi-space-size=16",
      "--max_semi_space_size=16",
      "--min-semi-space-size=4",
      "--semi-space-growth-factor=2",
      "--max-heap-size=512"
    ]) {
      expect(leanHeapFlags([given])).toEqual(["--heap-growing-percent=30"])
    }
  })

  it("leaves heap growth alone when it was chosen, negated flags included", () => {
    expect(leanHeapFlags(["--heap-growing-percent=50"])).toEqual(["--semi-space-growth-factor=1"])
    expect(leanHeapFlags(["--heap_growing_percent=50", "--max-semi-space-size=2"])).toEqual([])
    expect(leanHeapFlags(["--no-semi-space-growth-factor"])).toEqual(["--heap-growing-percent=30"])
  })
})

// V8 flags are process-wide: each case runs in its own node, which churns short-lived objects and reports the young
// generation's size. Without the lean flags it grows to 128 MB; with them it starts at 1 MB and stays within a few
// MB (measured 2 MB, and up to 5 MB with the machine's CPUs busy, as when the whole suite runs).
const youngGenerationAfterChurn = (lean: boolean): number => {
  const script = `
    ${lean ? `const { applyLeanHeap } = await import(${JSON.stringify(new URL("../../src/runtime/LeanHeap.ts", import.meta.url).href)}); applyLeanHeap()` : ""}
    const { getHeapSpaceStatistics } = await import("node:v8")
    let keep = []
    for (let i = 0; i < 2e6; i++) { keep.push({ i, s: "x" + i }); if (keep.length > 100000) keep = [] }
    process.stdout.write(String(getHeapSpaceStatistics().find((s) => s.space_name === "new_space").space_size))`
  const env = { ...process.env, NODE_OPTIONS: "" }
  return Number(execFileSync(process.execPath, ["--input-type=module", "-e", script], { env, encoding: "utf8" }))
}

describe("applyLeanHeap", () => {
  it("keeps the young generation within a few MB under churn that makes V8 grow it", () => {
    const mb = 1024 * 1024
    expect(youngGenerationAfterChurn(false)).toBeGreaterThan(16 * mb)
    expect(youngGenerationAfterChurn(true)).toBeLessThanOrEqual(8 * mb)
  })
})

describe("collectGarbage", () => {
  it("frees dead Buffers at once, which V8 may leave until ~64 MB of them piled up", () => {
    // In a child: the collection and the flag it sets are the whole process's.
    const script = `import { collectGarbage } from ${JSON.stringify(new URL("../../src/runtime/LeanHeap.ts", import.meta.url).pathname)}
      let parts = []
      for (let i = 0; i < 12; i++) parts.push(Buffer.alloc(5 * 1024 * 1024, i))
      parts = []
      const before = process.memoryUsage().arrayBuffers
      collectGarbage()
      collectGarbage()
      process.stdout.write(JSON.stringify([before, process.memoryUsage().arrayBuffers]))`
    const env = { ...process.env, NODE_OPTIONS: "" }
    const [, after] = JSON.parse(
      execFileSync(process.execPath, ["--input-type=module", "-e", script], { env, encoding: "utf8" })
    ) as [number, number]
    const mb = 1024 * 1024
    // Left alone, V8 usually still holds all 60 MB here; but a collection it began while the parts were allocated may
    // finish at any safepoint on a loaded machine, so only what collectGarbage guarantees is asserted.
    expect(after).toBeLessThan(8 * mb)
  })
})
