// Peak RSS of an export of BENCH_RSS_SPACES (default 50,000) spaces to a local directory and to S3 (a local fauxqs
// server over HTTP), plaintext (format 1) and encrypted to a recipient generated for the run (format 2), each in
// its own process, against the bound of 200 MB: `node bench/s3-rss.ts`. Not part of the test suite.
import { execFile } from "node:child_process"
import { mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect } from "effect"
import { generateIdentityFile } from "@spaces-vault/core/crypto/Keygen"
import { seedLarge, startFakeHub } from "@spaces-vault/fixtures"
import { startFakeS3 } from "@spaces-vault/fixtures/s3/FakeS3"
import { bundle } from "../scripts/build.ts"

const SPACES = Number(process.env.BENCH_RSS_SPACES ?? 50_000)
/** Issue #16: an export of 50,000 spaces, to S3 or not, encrypted or not, peaks under 200 MB of RSS. */
const BOUND_MB = 200
const fmt = (n: number) => n.toLocaleString("en-US", { maximumFractionDigits: 1 })

const dir = await mkdtemp(join(tmpdir(), "sv-s3-rss-"))
const hub = await startFakeHub({
  rateLimit: { limit: 10_000_000, pointsPerMinute: 10_000_000, maxConcurrent: 100 },
  validateContract: false
})
const s3 = await startFakeS3({ buckets: ["vault"] })
let over = 0
try {
  seedLarge(hub.state, { owners: ["rss-a", "rss-b"], spacesPerOwner: SPACES / 2 })
  const child = join(dir, "child.mjs")
  await bundle(new URL("./s3-export-child.ts", import.meta.url).pathname, child)
  const { recipient } = await Effect.runPromise(generateIdentityFile(join(dir, "bench.key")))
  const targets = [
    ["local", join(dir, "out"), false],
    ["S3", "s3://vault/nightly", false],
    ["local", join(dir, "out-encrypted"), true],
    ["S3", "s3://vault/encrypted", true]
  ] as const
  // BENCH_ONLY=S3 or local, BENCH_ENCRYPTED=1 or 0: some of the four.
  const chosen = targets.filter(
    ([l, , encrypted]) =>
      (process.env.BENCH_ONLY ?? l) === l &&
      (process.env.BENCH_ENCRYPTED === undefined || (process.env.BENCH_ENCRYPTED === "1") === encrypted)
  )
  console.log(`# peak RSS: ${fmt(SPACES)} spaces, no latency, each export in its own process; bound ${BOUND_MB} MB`)
  for (const [label, out, encrypted] of chosen) {
    const t0 = performance.now()
    const env = { ...process.env, ...s3.env, ...(encrypted ? { BENCH_ENCRYPT_TO: recipient } : {}) }
    const r = await new Promise<{ maxRssKb: number; archive: string; atPeak?: NodeJS.MemoryUsage }>((resolve, reject) =>
      execFile(
        process.execPath,
        [child, hub.url, hub.token, out, "rss-a", "rss-b"],
        { maxBuffer: 1 << 20, env },
        (e, stdout, stderr) => (e ? reject(new Error(`${e.message}\n${stderr}`)) : resolve(JSON.parse(stdout)))
      )
    )
    const mb = (r.maxRssKb * 1024) / 1e6
    if (r.atPeak !== undefined) {
      const { rss, heapTotal, heapUsed, external, arrayBuffers } = r.atPeak
      const mib = (n: number) => `${fmt(n / 2 ** 20)} MiB`
      console.log(
        `  at the sampled peak: rss ${mib(rss)}, heap ${mib(heapUsed)} used of ${mib(heapTotal)}, external ${mib(external)} (array buffers ${mib(arrayBuffers)})`
      )
    }
    if (mb >= BOUND_MB) over++
    console.log(
      `${`${label}, ${encrypted ? "encrypted" : "plain"}`.padEnd(17)} peak RSS ${fmt(r.maxRssKb / 1024)} MiB (${fmt(mb)} MB; bound ${BOUND_MB} MB${mb < BOUND_MB ? "" : ", OVER"}), ${fmt(SPACES)} spaces, ${fmt((performance.now() - t0) / 1000)} s: ${r.archive}`
    )
  }
} finally {
  await s3.close()
  await hub.close()
  await rm(dir, { recursive: true, force: true })
}
if (over > 0) {
  console.error(`s3-rss: ${over} export(s) peaked over the bound of ${BOUND_MB} MB`)
  process.exitCode = 1
}
