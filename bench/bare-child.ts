// The bench's floor: the export's requests (list pages, each space's GET and collaborators, each repository) with
// the same concurrency, through a bare `fetch`, bodies parsed and dropped — no retries, no pacing, no archive. Its
// wall time is what the machine and fakehub allow any client; the gap to spaces-vault's is spaces-vault's own.
import { nextLink } from "@spaces-vault/core/github/Link"

const [url, token, concurrency, ...owners] = process.argv.slice(2) as [string, string, string, ...Array<string>]
const headers = {
  authorization: `token ${token}`,
  accept: "application/vnd.github+json",
  "x-github-api-version": "2026-03-10"
}

let requests = 0
const get = async (path: string) => {
  const res = await fetch(path.startsWith("http") ? path : `${url}${path}`, { headers })
  requests++
  return { body: (await res.json()) as any, link: res.headers.get("link") }
}

const started = performance.now()
// List pages are read one after another (they chain by Link) while workers fetch the spaces already listed.
const queue: Array<{ owner: string; number: number }> = []
let listing = true
let waiting: Array<() => void> = []
const wake = () => {
  const ws = waiting
  waiting = []
  for (const w of ws) w()
}
const lister = (async () => {
  for (const owner of owners) {
    let next: string | undefined = `/orgs/${owner}/copilot-spaces?per_page=100`
    while (next !== undefined) {
      const page = await get(next)
      for (const s of page.body.spaces) queue.push({ owner, number: s.number })
      wake()
      next = nextLink(page.link ?? undefined)
    }
  }
  listing = false
  wake()
})()
const repositories = new Set<number>()
const worker = async () => {
  while (true) {
    const item = queue.shift()
    if (item === undefined) {
      if (!listing) return
      await new Promise<void>((r) => waiting.push(r))
      continue
    }
    const space = await get(`/orgs/${item.owner}/copilot-spaces/${item.number}`)
    await get(`/orgs/${item.owner}/copilot-spaces/${item.number}/collaborators`)
    for (const r of space.body.resources_attributes)
      if (typeof r.metadata.repository_id === "number") repositories.add(r.metadata.repository_id)
  }
}
const n = Number(concurrency)
await Promise.all([lister, ...Array.from({ length: n }, worker)])
const ids = [...repositories]
await Promise.all(
  Array.from({ length: n }, async () => {
    for (let id = ids.shift(); id !== undefined; id = ids.shift()) await get(`/repositories/${id}`)
  })
)
const usage = process.resourceUsage()
process.stdout.write(
  JSON.stringify({
    requests,
    durationMs: performance.now() - started,
    cpuMs: (usage.userCPUTime + usage.systemCPUTime) / 1000
  })
)
