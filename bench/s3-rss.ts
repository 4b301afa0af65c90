// Peak RSS of an export of BENCH_RSS_SPACES (default 50,000) spaces to a local directory and to S3 (a local fauxqs
// server over HTTP), each in its own process: `node bench/s3-rss.ts`. Not part of the test suite.
import { execFile } from "node:child_process"
import { mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { seedLarge, startFakeHub } from "@spaces-vault/fixtures"
import { startFakeS3 } from "@spaces-vault/fixtures/s3/FakeS3"
import { bundle } from "../scripts/build.ts"

const SPACES = Number(process.env.BENCH_RSS_SPACES ?? 50_000)
const fmt = (n: number) => n.toLocaleString("en-US", { maximumFractionDigits: 1 })

const dir = await mkdtemp(join(tmpdir(), "sv-s3-rss-"))
const hub = await startFakeHub({
  rateLimit: { limit: 10_000_000, pointsPerMinute: 10_000_000, maxConcurrent: 100 },
  validateContract: false
})
const s3 = await startFakeS3({ buckets: ["vault"] })
try {
  seedLarge(hub.state, { owners: ["rss-a", "rss-b"], spacesPerOwner: SPACES / 2 })
  const child = join(dir, "child.mjs")
  await bundle(new URL("./s3-export-child.ts", import.meta.url).pathname, child)
  const targets = [
    ["local", join(dir, "out")],
    ["S3", "s3://vault/nightly"]
  ] as const
  // BENCH_ONLY=S3 (or local): one of the two.
  for (const [label, out] of targets.filter(([l]) => (process.env.BENCH_ONLY ?? l) === l)) {
    const t0 = performance.now()
    const r = await new Promise<{ maxRssKb: number; archive: string }>((resolve, reject) =>
      execFile(
        process.execPath,
        [child, hub.url, hub.token, out, "rss-a", "rss-b"],
        { maxBuffer: 1 << 20, env: { ...process.env, ...s3.env } },
        (e, stdout, stderr) => (e ? reject(new Error(`${e.message}\n${stderr}`)) : resolve(JSON.parse(stdout)))
      )
    )
    console.log(
      `${label.padEnd(6)} peak RSS ${fmt(r.maxRssKb / 1024)} MiB (${fmt((r.maxRssKb * 1024) / 1e6)} MB), ${fmt(SPACES)} spaces, ${fmt((performance.now() - t0) / 1000)} s: ${r.archive}`
    )
  }
} finally {
  await s3.close()
  await hub.close()
  await rm(dir, { recursive: true, force: true })
}
