// Restore and migration end to end against fakehub: export, break things, replay, compare; re-run; crash half-way.
import { mkdtemp, stat, unlink, writeFile } from "node:fs/promises"
import { hostname, tmpdir } from "node:os"
import { join } from "node:path"
import { startFakeHub, type FakeHub } from "@spaces-vault/fixtures"
import { Duration, Effect, ManagedRuntime } from "effect"
import { afterEach, describe, expect, it } from "vitest"
import { checkAndClose } from "../support/hub.ts"
import { org, type Owner } from "../../src/domain/owner.ts"
import { exportSpaces } from "../../src/export/ExportSpaces.ts"
import { GitHubClient } from "../../src/github/GitHubClient.ts"
import { testClientOptions } from "../github/testClientOptions.ts"
import { emptyMaps } from "../../src/replay/MapFiles.ts"
import { replayArchive, replayLockPath, type ReplayOptions } from "../../src/replay/Replay.ts"

let hub: FakeHub | undefined
let runtime: ManagedRuntime.ManagedRuntime<GitHubClient, never> | undefined
afterEach(async () => {
  await runtime?.dispose()
  runtime = undefined
  const secondaryLimited = hub?.counters.secondaryLimited ?? 0
  hub = await checkAndClose(hub)
  expect(secondaryLimited).toBe(0) // paced writes never meet a secondary limit
})

/** One client for the whole test, as one process would have: its pacing windows see every write. */
const setup = async () => {
  hub = await startFakeHub({ seed: "demo" })
  runtime = ManagedRuntime.make(
    GitHubClient.layer(
      testClientOptions({
        hub,
        maxRetries: 2,
        backoffBase: Duration.millis(10),
        concurrency: 8,
        writesPerMinute: 60_000 // tests do not wait a second per write; pacing has its own tests
      })
    )
  )
  const dir = await mkdtemp(join(tmpdir(), "sv-replay-"))
  return { hub, run: <A, E>(e: Effect.Effect<A, E, GitHubClient>) => runtime!.runPromise(e), dir }
}

const replay = (archive: string, options: Partial<ReplayOptions> = {}) =>
  replayArchive({ archive, spaces: [], maps: emptyMaps, onConflict: "skip", strict: false, dryRun: false, ...options })

const writes = (h: FakeHub) =>
  Object.entries(h.counters.byRoute())
    .filter(([k]) => /^(POST|PUT|DELETE) /.test(k))
    .reduce((n, [, v]) => n + v, 0)

const collaboratorsOf = (h: FakeHub, owner: string, number: number) =>
  h.state
    .collaborators(owner, number)
    .map((c) =>
      c.actor_type === "User"
        ? `User/${h.state.accountById(c.userId)!.login}:${c.role}`
        : `Team/${h.state.teamById(c.teamId)!.slug}:${c.role}`
    )
    .sort()

const resourcesOf = (h: FakeHub, owner: string, number: number, repoName: (id: number) => string) =>
  h.state
    .getSpace(owner, number)!
    .resources.map((r) => {
      const { repository_id, ...rest } = r.metadata as { repository_id?: number }
      const fields: Record<string, unknown> = {
        t: r.resource_type,
        repo: repository_id === undefined ? null : repoName(repository_id),
        ...rest
      }
      return JSON.stringify(Object.fromEntries(Object.entries(fields).sort(([a], [b]) => a.localeCompare(b))))
    })
    .sort()

const repoNameOf = (h: FakeHub) => (id: number) => h.state.repos.get(id)!.name

describe("restore after deletion", () => {
  it("recreates deleted spaces field by field and collaborator by collaborator, and a re-run changes nothing", async () => {
    const { hub: h, run, dir } = await setup()
    const { archive } = await run(exportSpaces({ owners: [org("octo-archive")], outDir: dir }))
    const originals = [4, 9, 10].map((n) => ({
      space: { ...h.state.getSpace("octo-archive", n)! },
      collaborators: collaboratorsOf(h, "octo-archive", n),
      resources: resourcesOf(h, "octo-archive", n, repoNameOf(h))
    }))
    for (const n of [4, 9, 10]) h.state.deleteSpace("octo-archive", n)

    const summary = await run(replay(archive))
    expect(summary.failed).toEqual([])
    expect(summary.created.map((c) => c.source.number)).toEqual([4, 9, 10])
    expect(summary.skipped).toHaveLength(57)
    for (const [i, created] of summary.created.entries()) {
      const now = h.state.getSpace("octo-archive", created.number!)!
      const before = originals[i]!
      expect([now.name, now.description, now.general_instructions, now.base_role]).toEqual([
        before.space.name,
        before.space.description,
        before.space.general_instructions,
        before.space.base_role
      ])
      expect(collaboratorsOf(h, "octo-archive", now.number)).toEqual(before.collaborators)
      // Uploads cannot be recreated through the API: reported, everything else is there.
      const uploads = before.resources.filter((r) => /media_content|uploaded_text_file/.test(r))
      expect(resourcesOf(h, "octo-archive", now.number, repoNameOf(h))).toEqual(
        before.resources.filter((r) => !uploads.includes(r))
      )
      const reported = summary.unmapped.find((u) => u.source.number === before.space.number)?.items ?? []
      expect(reported.filter((x) => x.kind === "upload")).toHaveLength(uploads.length)
    }

    const writesBefore = writes(h)
    const again = await run(replay(archive))
    expect(again.created).toEqual([])
    expect(again.skipped).toHaveLength(60)
    expect(writes(h)).toBe(writesBefore)
    expect(h.state.listSpaces("octo-archive")).toHaveLength(60)
  })
})

describe("restore finds what still exists", () => {
  it("skips a space that was only renamed, and keeps a renamed repository by its id", async () => {
    const { hub: h, run, dir } = await setup()
    const { archive } = await run(exportSpaces({ owners: [org("octo-archive")], outDir: dir }))
    const withRepo = h.state
      .listSpaces("octo-archive")
      .filter((s) => s.resources.some((r) => typeof r.metadata.repository_id === "number"))
    const [renamed, deleted] = [withRepo[0]!, withRepo[1]!]
    const originalName = renamed.name
    h.state.updateSpace("octo-archive", renamed.number, { name: `${originalName} (renamed)` })
    const repoId = deleted.resources.find((r) => typeof r.metadata.repository_id === "number")!.metadata
      .repository_id as number
    const repo = h.state.repos.get(repoId)!
    h.state.repos.set(repoId, { ...repo, name: `${repo.name}-renamed` })
    h.state.deleteSpace("octo-archive", deleted.number)

    const summary = await run(replay(archive))
    expect(summary.failed).toEqual([])
    expect(summary.created.map((c) => c.source.number)).toEqual([deleted.number])
    expect(summary.skipped.find((s) => s.source.number === renamed.number)).toMatchObject({
      number: renamed.number,
      reason: "the space still exists"
    })
    expect(h.state.listSpaces("octo-archive").filter((s) => s.name === originalName)).toEqual([])
    const recreated = h.state.getSpace("octo-archive", summary.created[0]!.number!)!
    expect(recreated.resources.map((r) => r.metadata.repository_id)).toContain(repoId)
    expect(summary.unmapped.flatMap((u) => u.items).filter((i) => i.kind === "repository")).toEqual([])
  })
})

describe("one replay at a time", () => {
  it("refuses to replay into a target while another replay into it runs, from any archive; a dry run is not held", async () => {
    const { hub: h, run, dir } = await setup()
    const { archive } = await run(exportSpaces({ owners: [org("octo-archive")], outDir: dir }))
    h.state.deleteSpace("octo-archive", 4)
    // A live holder: this very process, as another replay would be.
    const lock = replayLockPath(h.url, org("octo-archive"))
    await writeFile(lock, JSON.stringify({ pid: process.pid, hostname: hostname(), startedAt: "earlier" }))
    const writesBefore = writes(h)
    const error = await run(Effect.flip(replay(archive)))
    expect(error.message).toMatch(
      /^replaying into octo-archive is locked by pid \d+ .*another replay into it is running/
    )
    expect(writes(h)).toBe(writesBefore)
    expect((await run(replay(archive, { dryRun: true }))).created).toHaveLength(1)
    await unlink(lock)
    expect((await run(replay(archive))).created).toHaveLength(1)
    await expect(stat(lock)).rejects.toThrow() // released at the end
  })
})

describe("migrate to another org", () => {
  const selection = Array.from({ length: 12 }, (_, i) => `octo-org/${i + 1}`)

  it("remaps repositories, teams and users by name and reports what it cannot carry over", async () => {
    const { hub: h, run, dir } = await setup()
    const { archive } = await run(exportSpaces({ owners: [org("octo-org")], outDir: dir }))
    const target: Owner = org("octo-migrated")

    const plan = await run(replay(archive, { to: target, spaces: selection, dryRun: true }))
    expect(writes(h)).toBe(0)
    expect(plan.created).toHaveLength(12)

    const summary = await run(replay(archive, { to: target, spaces: selection }))
    expect(summary.failed).toEqual([])
    expect(summary.created).toHaveLength(12)
    for (const c of summary.created) {
      const source = h.state.getSpace("octo-org", c.source.number)!
      const migrated = h.state.getSpace("octo-migrated", c.number!)!
      expect(migrated.name).toBe(source.name)
      expect(migrated.general_instructions).toBe(source.general_instructions)
      // every repository id now points at octo-migrated's repository of the same name
      for (const r of migrated.resources) {
        const id = r.metadata.repository_id
        if (typeof id === "number") expect(h.state.repos.get(id)!.ownerLogin).toBe("octo-migrated")
      }
      const items = summary.unmapped.find((u) => u.source.number === c.source.number)?.items ?? []
      const expectedResources = resourcesOf(h, "octo-org", source.number, repoNameOf(h)).filter(
        (r) => !/media_content|uploaded_text_file/.test(r) && !r.includes(`"repo":"sdk"`)
      )
      expect(resourcesOf(h, "octo-migrated", migrated.number, repoNameOf(h))).toEqual(expectedResources)
      const expectedCollaborators = collaboratorsOf(h, "octo-org", source.number).filter(
        (x) => !x.startsWith("Team/docs-team") && !x.startsWith("User/linus")
      )
      expect(collaboratorsOf(h, "octo-migrated", migrated.number)).toEqual(expectedCollaborators)
      const dropped = collaboratorsOf(h, "octo-org", source.number).length - expectedCollaborators.length
      expect(items.filter((i) => i.kind === "team" || i.kind === "user")).toHaveLength(dropped)
    }
    expect(
      summary.unmapped.flatMap((u) => u.items).some((i) => i.kind === "repository" && i.detail.includes("octo-org/sdk"))
    ).toBe(true)

    // Re-run: the journal and the names find every space; nothing is written.
    const writesBefore = writes(h)
    const again = await run(replay(archive, { to: target, spaces: selection }))
    expect(again.created).toEqual([])
    expect(again.skipped).toHaveLength(12)
    expect(writes(h)).toBe(writesBefore)

    // --on-conflict update makes a changed target equal to the archive again, then has nothing left to do.
    const first = summary.created[0]!
    h.state.updateSpace("octo-migrated", first.number!, { name: "edited in the target", base_role: "admin" })
    const someone = h.state.collaborators("octo-migrated", first.number!).find((c) => c.actor_type === "User") as {
      userId: number
    }
    h.state.setCollaboratorRole(
      "octo-migrated",
      first.number!,
      "User",
      h.state.accountById(someone.userId)!.login,
      "admin"
    )
    const updated = await run(replay(archive, { to: target, spaces: [selection[0]!], onConflict: "update" }))
    // renamed in the target, so it is found through the journal
    expect(updated.updated.map((u) => u.number)).toEqual([first.number])
    expect(h.state.getSpace("octo-migrated", first.number!)!.name).toBe(h.state.getSpace("octo-org", 1)!.name)
    expect(h.state.getSpace("octo-migrated", first.number!)!.base_role).toBe(h.state.getSpace("octo-org", 1)!.base_role)
    expect(collaboratorsOf(h, "octo-migrated", first.number!)).toEqual(
      collaboratorsOf(h, "octo-org", 1).filter((x) => !x.startsWith("Team/docs-team") && !x.startsWith("User/linus"))
    )
    const settled = await run(replay(archive, { to: target, spaces: [selection[0]!], onConflict: "update" }))
    expect(settled.updated).toEqual([])
    expect(settled.skipped).toMatchObject([{ number: first.number, reason: "already equal to the archive" }])
  })

  it("stops on a conflict with --on-conflict fail, and --strict refuses spaces with unmapped items", async () => {
    const { hub: h, run, dir } = await setup()
    const { archive } = await run(exportSpaces({ owners: [org("octo-org")], outDir: dir }))
    h.state.createSpace("octo-migrated", { name: h.state.getSpace("octo-org", 2)!.name })
    const failed = await run(
      replay(archive, { to: org("octo-migrated"), spaces: ["octo-org/2", "octo-org/3"], onConflict: "fail" })
    )
    expect(failed.failed.map((f) => f.source.number)).toEqual([2])
    expect(failed.created).toEqual([]) // the run stopped there
    expect(failed.skipped).toMatchObject([
      { source: { number: 3 }, reason: "not tried: the run stopped at the conflict with octo-migrated/1" }
    ])

    const strict = await run(
      replay(archive, { to: org("octo-migrated"), spaces: ["octo-org/3"], strict: true, dryRun: true })
    )
    const hasUnmapped = strict.unmapped.length > 0
    expect(strict.failed.length).toBe(hasUnmapped ? 1 : 0)
  })

  it("never duplicates after a crash half-way", async () => {
    const { hub: h, run, dir } = await setup()
    const { archive } = await run(exportSpaces({ owners: [org("octo-org")], outDir: dir }))
    const target = org("octo-migrated")
    // Crash 1: the process dies after a few spaces (interrupted mid-run).
    let seen = 0
    await run(
      replay(archive, {
        to: target,
        spaces: selection,
        onProgress: (line) => (line.includes("/12 spaces") && ++seen === 4 ? Effect.interrupt : Effect.void)
      })
    ).catch(() => undefined)
    // Crash 2: a space gets created but adding its collaborators keeps failing.
    h.faults.serverErrors(3, { route: "POST /orgs/{org}/copilot-spaces/{space_number}/collaborators" })
    const partial = await run(replay(archive, { to: target, spaces: selection }))
    expect(partial.failed.length).toBeGreaterThan(0)

    const final = await run(replay(archive, { to: target, spaces: selection }))
    expect(final.failed).toEqual([])
    const names = h.state.listSpaces("octo-migrated").map((s) => s.name)
    for (const n of selection) {
      const name = h.state.getSpace("octo-org", Number(n.split("/")[1]))!.name
      expect(names.filter((x) => x === name)).toHaveLength(1)
    }
    for (const s of h.state.listSpaces("octo-migrated")) {
      const keys = collaboratorsOf(h, "octo-migrated", s.number)
      expect(new Set(keys).size).toBe(keys.length)
      const source = h.state.listSpaces("octo-org").find((x) => x.name === s.name)!
      expect(keys).toEqual(
        collaboratorsOf(h, "octo-org", source.number).filter(
          (x) => !x.startsWith("Team/docs-team") && !x.startsWith("User/linus")
        )
      )
    }
  })
})
