// V8 sizes its heap for throughput. Left alone, an export of 50,000 spaces peaks near 400 MB of RSS for ~50 MB of
// live objects: the young generation keeps doubling up to 128 MB, and the old generation may grow to several times
// its live size before a full collection. A nightly export is paced by GitHub's rate limits, not by CPU, so
// the programs trade 10–25% more CPU for half the memory (docs/performance.md).
//
// These two flags take effect when set at run time, as V8 reads them at each collection; heap sizes such as
// --max-semi-space-size are fixed when V8 starts, which is why this is not done with them.
import { setFlagsFromString } from "node:v8"
import { runInNewContext } from "node:vm"

interface LeanFlag {
  /** The flag as set. */
  readonly flag: string
  /** Flags that, given on the node command line or in NODE_OPTIONS, mean someone chose otherwise: leave it. */
  readonly overriddenBy: ReadonlyArray<string>
}

export const LEAN_HEAP: ReadonlyArray<LeanFlag> = [
  // The young generation stays within a few MB instead of doubling whenever many objects survive a scavenge.
  {
    flag: "--semi-space-growth-factor=1",
    overriddenBy: ["semi-space-growth-factor", "max-semi-space-size", "min-semi-space-size", "max-heap-size"]
  },
  // A full collection once the old generation has grown 30% past what survived the last one (V8 allows up to 4x).
  { flag: "--heap-growing-percent=30", overriddenBy: ["heap-growing-percent"] }
]

/** The name of a V8 flag as given (`--max_semi_space_size=4` → `max-semi-space-size`), or undefined if not a flag. */
const flagName = (arg: string): string | undefined =>
  arg.startsWith("--") ? arg.slice(2).split("=")[0]!.replaceAll("_", "-").replace(/^no-/, "") : undefined

/** The lean flags to set, given the node options already in force (command line, then NODE_OPTIONS). */
export const leanHeapFlags = (given: ReadonlyArray<string>): ReadonlyArray<string> => {
  const names = new Set(given.map(flagName).filter((n) => n !== undefined))
  return LEAN_HEAP.filter((f) => !f.overriddenBy.some((n) => names.has(n))).map((f) => f.flag)
}

/** Sets the lean flags unless the node command line or NODE_OPTIONS chose a heap; call first thing in a program. */
export const applyLeanHeap = (): ReadonlyArray<string> => {
  const flags = leanHeapFlags([...process.execArgv, ...(process.env.NODE_OPTIONS ?? "").split(/\s+/)])
  for (const flag of flags) setFlagsFromString(flag)
  return flags
}

let fullCollection: (() => void) | undefined

/**
 * Runs a full collection now. For code that drops large Buffers at a known pace (an S3 upload's 5 MiB parts): V8
 * frees dead Buffers' memory only once ~64 MB of them have piled up, which is then the process's peak.
 */
export const collectGarbage = (): void => {
  if (fullCollection === undefined) {
    // `gc` exists only in contexts created after --expose-gc is set; setting it at run time is enough for those.
    setFlagsFromString("--expose-gc")
    fullCollection = runInNewContext("gc") as () => void
  }
  fullCollection()
}
