// Restore and migration end to end against fakehub: export, break things, replay, compare; re-run; crash half-way.
// Real time (fakehub over HTTP); journals and locks go to a temporary state directory.
import { copyFile, mkdir, mkdtemp, readdir, stat, unlink, writeFile } from "node:fs/promises"
import { hostname, tmpdir } from "node:os"
import { join } from "node:path"
import { type FakeHub, startFakeHub } from "@spaces-vault/fixtures"
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Exit } from "effect"
import { checkAndClose } from "../support/hub.ts"
import { org, type Owner } from "../../src/domain/Owner.ts"
import { exportSpaces } from "../../src/export/ExportSpaces.ts"
import { GitHubClient } from "../../src/github/GitHubClient.ts"
import { emptyMaps } from "../../src/replay/MapFiles.ts"
import { replayArchive, replayLockPath, type ReplayOptions, type ReplaySummary } from "../../src/replay/Replay.ts"
import { testClientOptions } from "../github/testClientOptions.ts"

interface Ctx {
  readonly h: FakeHub
  /** Where exports go. */
  readonly dir: string
  readonly stateDir: string
}

/**
 * A fresh fakehub and one client for the whole test, as one process would have (its pacing windows see every
 * write). Afterwards: paced writes never met a secondary limit, and every exchange followed GitHub's contract.
 */
const withHub = <A, E>(body: (ctx: Ctx) => Effect.Effect<A, E, GitHubClient>) =>
  Effect.gen(function* () {
    const h = yield* Effect.acquireRelease(
      Effect.promise(() => startFakeHub({ seed: "demo" })),
      (hub) => Effect.promise(() => checkAndClose(hub))
    )
    const dir = yield* Effect.promise(() => mkdtemp(join(tmpdir(), "sv-replay-")))
    const client = GitHubClient.layer(
      testClientOptions({
        hub: h,
        maxRetries: 2,
        backoffBase: Duration.millis(10),
        concurrency: 8,
        writesPerMinute: 60_000 // tests do not wait a second per write; pacing has its own tests
      })
    )
    const result = yield* body({ h, dir, stateDir: join(dir, "state") }).pipe(Effect.provide(client))
    assert.strictEqual(h.counters.secondaryLimited, 0)
    return result
  }).pipe(Effect.scoped)

const replay = (ctx: Ctx, archive: string, options: Partial<ReplayOptions> = {}) =>
  replayArchive({
    archive,
    spaces: [],
    maps: emptyMaps,
    onConflict: "skip",
    strict: false,
    dryRun: false,
    stateDir: ctx.stateDir,
    ...options
  })

const exportOf = (ctx: Ctx, login: string) =>
  exportSpaces({ owners: [org(login)], outDir: ctx.dir }).pipe(Effect.map((r) => r.archive))

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

const resourcesOf = (h: FakeHub, owner: string, number: number) =>
  h.state
    .getSpace(owner, number)!
    .resources.map((r) => {
      const { repository_id, ...rest } = r.metadata as { repository_id?: number }
      const fields: Record<string, unknown> = {
        t: r.resource_type,
        repo: repository_id === undefined ? null : h.state.repos.get(repository_id)!.name,
        ...rest
      }
      return JSON.stringify(Object.fromEntries(Object.entries(fields).sort(([a], [b]) => a.localeCompare(b))))
    })
    .sort()

const numbers = (list: ReadonlyArray<{ readonly source: { readonly number: number } }>) =>
  list.map((x) => x.source.number)

/** What octo-migrated can hold of an octo-org space: its docs-team and linus are not there. */
const carriedCollaborators = (h: FakeHub, number: number) =>
  collaboratorsOf(h, "octo-org", number).filter((x) => !x.startsWith("Team/docs-team") && !x.startsWith("User/linus"))

describe("restore after deletion", () => {
  it.live(
    "recreates deleted spaces field by field and collaborator by collaborator, and a re-run changes nothing",
    () =>
      withHub((ctx) =>
        Effect.gen(function* () {
          const { h } = ctx
          const archive = yield* exportOf(ctx, "octo-archive")
          const originals = [4, 9, 10].map((n) => ({
            space: { ...h.state.getSpace("octo-archive", n)! },
            collaborators: collaboratorsOf(h, "octo-archive", n),
            resources: resourcesOf(h, "octo-archive", n)
          }))
          for (const n of [4, 9, 10]) h.state.deleteSpace("octo-archive", n)

          const summary = yield* replay(ctx, archive)
          assert.deepStrictEqual(summary.failed, [])
          assert.deepStrictEqual(numbers(summary.created), [4, 9, 10])
          assert.strictEqual(summary.skipped.length, 57)
          assert.isTrue(summary.skipped.every((s) => s.kind === "exists"))
          for (const [i, created] of summary.created.entries()) {
            const now = h.state.getSpace("octo-archive", created.number!)!
            const before = originals[i]!
            assert.deepStrictEqual(
              [now.name, now.description, now.general_instructions, now.base_role],
              [before.space.name, before.space.description, before.space.general_instructions, before.space.base_role]
            )
            assert.deepStrictEqual(collaboratorsOf(h, "octo-archive", now.number), before.collaborators)
            // Uploads cannot be recreated through the API: reported, everything else is there.
            const uploads = before.resources.filter((r) => /media_content|uploaded_text_file/.test(r))
            const kept = before.resources.filter((r) => !uploads.includes(r))
            assert.deepStrictEqual(resourcesOf(h, "octo-archive", now.number), kept)
            const reported = summary.unmapped.find((u) => u.source.number === before.space.number)?.items ?? []
            assert.strictEqual(reported.filter((x) => x.kind === "upload").length, uploads.length)
            // The summary says what each created space holds.
            assert.deepStrictEqual(created.contents, {
              resources: kept.length,
              collaborators: before.collaborators.length,
              baseRole: before.space.base_role
            })
          }
          // One POST per space and one per collaborator.
          const posts = summary.created.reduce((n, c) => n + 1 + c.contents.collaborators, 0)
          assert.deepStrictEqual(summary.writes, { total: posts, creating: posts })

          const writesBefore = writes(h)
          const again = yield* replay(ctx, archive)
          assert.deepStrictEqual(again.created, [])
          assert.strictEqual(again.skipped.length, 60)
          assert.strictEqual(writes(h), writesBefore)
          assert.strictEqual(h.state.listSpaces("octo-archive").length, 60)
        })
      )
  )

  it.live("keeps its journal in the state directory, so a copy of the archive elsewhere finds what it restored", () =>
    withHub((ctx) =>
      Effect.gen(function* () {
        const { h } = ctx
        const archive = yield* exportOf(ctx, "octo-archive")
        const space = h.state.getSpace("octo-archive", 4)!
        // Renamed in the target after the restore below: only the journal can still find it.
        h.state.deleteSpace("octo-archive", 4)
        const first = yield* replay(ctx, archive, { spaces: ["octo-archive/4"] })
        assert.strictEqual(first.created.length, 1)
        const files = yield* Effect.promise(() => readdir(ctx.dir))
        assert.deepStrictEqual(files.sort(), [archive.split("/").pop(), "state"].sort())
        h.state.updateSpace("octo-archive", first.created[0]!.number!, { name: `${space.name} (renamed)` })

        const elsewhere = join(yield* Effect.promise(() => mkdtemp(join(tmpdir(), "sv-copy-"))), "copy.zip")
        yield* Effect.promise(() => copyFile(archive, elsewhere))
        const again = yield* replay(ctx, elsewhere, { spaces: ["octo-archive/4"] })
        assert.deepStrictEqual(again.created, [])
        assert.deepStrictEqual(
          again.skipped.map((s) => [s.number, s.reason]),
          [[first.created[0]!.number, "an earlier replay into this owner made it"]]
        )
      })
    )
  )
})

describe("restore finds what still exists", () => {
  it.live("skips a space that was only renamed, and keeps a renamed repository by its id", () =>
    withHub((ctx) =>
      Effect.gen(function* () {
        const { h } = ctx
        const archive = yield* exportOf(ctx, "octo-archive")
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

        const summary = yield* replay(ctx, archive)
        assert.deepStrictEqual(summary.failed, [])
        assert.deepStrictEqual(numbers(summary.created), [deleted.number])
        const skipped = summary.skipped.find((s) => s.source.number === renamed.number)
        assert.deepStrictEqual([skipped?.number, skipped?.reason], [renamed.number, "the space still exists"])
        assert.deepStrictEqual(
          h.state.listSpaces("octo-archive").filter((s) => s.name === originalName),
          []
        )
        const recreated = h.state.getSpace("octo-archive", summary.created[0]!.number!)!
        assert.include(
          recreated.resources.map((r) => r.metadata.repository_id),
          repoId
        )
        assert.deepStrictEqual(
          summary.unmapped.flatMap((u) => u.items).filter((i) => i.kind === "repository"),
          []
        )
        // The rename is shown among the mappings applied.
        assert.deepStrictEqual(
          summary.mappings.filter((m) => m.to === `octo-archive/${repo.name}-renamed`),
          [
            {
              kind: "repository",
              from: `octo-archive/${repo.name}`,
              to: `octo-archive/${repo.name}-renamed`,
              by: "id",
              target: "octo-archive"
            }
          ]
        )
      })
    )
  )
})

describe("selecting and refusing", () => {
  it.live("selects every space of one owner with owner/*, and names what the archive does not hold", () =>
    withHub((ctx) =>
      Effect.gen(function* () {
        const { h } = ctx
        const archive = yield* exportSpaces({ owners: [org("octo-archive"), org("octo-org")], outDir: ctx.dir }).pipe(
          Effect.map((r) => r.archive)
        )
        const plan = yield* replay(ctx, archive, { spaces: ["Octo-Org/*"], dryRun: true })
        const all = plan.skipped.length + plan.created.length
        assert.strictEqual(all, h.state.listSpaces("octo-org").length)
        assert.isTrue(plan.skipped.every((s) => s.source.owner === "octo-org"))

        const error = yield* Effect.flip(replay(ctx, archive, { spaces: ["octo-archive/99999", "ghost-org/*"] }))
        assert.deepStrictEqual(error.reason, {
          _tag: "NotInArchive",
          spaces: ["octo-archive/99999"],
          owners: ["ghost-org"]
        })
        assert.strictEqual(
          error.message,
          "octo-archive/99999: not in the archive; ghost-org: the archive holds no space of this owner"
        )
      })
    )
  )

  it.live("refuses an archive that does not verify, saying why", () =>
    withHub((ctx) =>
      Effect.gen(function* () {
        const bad = join(ctx.dir, "bad.zip")
        yield* Effect.promise(() => writeFile(bad, "nope"))
        const error = yield* Effect.flip(replay(ctx, bad))
        assert.strictEqual(error.reason._tag, "ArchiveInvalid")
        assert.match(error.message, /not a readable zip file/)
      })
    )
  )
})

describe("one replay at a time", () => {
  it.live(
    "refuses to replay into a target while another replay into it runs, from any archive; a dry run is not held",
    () =>
      withHub((ctx) =>
        Effect.gen(function* () {
          const { h } = ctx
          const archive = yield* exportOf(ctx, "octo-archive")
          h.state.deleteSpace("octo-archive", 4)
          // A live holder: this very process, as another replay would be.
          const lock = replayLockPath(ctx.stateDir, h.url, org("octo-archive"))
          assert.isTrue(lock.startsWith(join(ctx.stateDir, "replay")))
          yield* Effect.promise(async () => {
            await mkdir(join(ctx.stateDir, "replay"), { recursive: true })
            await writeFile(lock, JSON.stringify({ pid: process.pid, hostname: hostname(), startedAt: "earlier" }))
          })
          const writesBefore = writes(h)
          const error = yield* Effect.flip(replay(ctx, archive))
          assert.strictEqual(error.reason._tag, "Locked")
          assert.match(
            error.message,
            /^replaying into octo-archive is locked by pid \d+ .*another replay into it is running/
          )
          assert.strictEqual(writes(h), writesBefore)
          assert.strictEqual((yield* replay(ctx, archive, { dryRun: true })).created.length, 1)
          yield* Effect.promise(() => unlink(lock))
          assert.strictEqual((yield* replay(ctx, archive)).created.length, 1)
          // released at the end
          assert.isTrue(Exit.isFailure(yield* Effect.exit(Effect.promise(() => stat(lock)))))
        })
      )
  )

  it.live("says the state directory cannot be used when its place is taken by a file", () =>
    withHub((ctx) =>
      Effect.gen(function* () {
        const archive = yield* exportOf(ctx, "octo-archive")
        const stateDir = join(ctx.dir, "not-a-dir")
        yield* Effect.promise(() => writeFile(stateDir, ""))
        const error = yield* Effect.flip(replay(ctx, archive, { stateDir }))
        assert.strictEqual(error.reason._tag, "StateDirUnusable")
        assert.match(error.message, /^cannot use the state directory .*not-a-dir: /)
      })
    )
  )
})

describe("migrate to another org", () => {
  const selection = Array.from({ length: 12 }, (_, i) => `octo-org/${i + 1}`)
  const target: Owner = org("octo-migrated")

  it.live("remaps repositories, teams and users by name and reports what it cannot carry over", () =>
    withHub((ctx) =>
      Effect.gen(function* () {
        const { h } = ctx
        const archive = yield* exportOf(ctx, "octo-org")

        const plan = yield* replay(ctx, archive, { to: target, spaces: selection, dryRun: true })
        assert.strictEqual(writes(h), 0)
        assert.strictEqual(plan.created.length, 12)
        assert.isTrue(plan.writes.total >= 12)
        assert.isTrue(plan.mappings.some((m) => m.kind === "repository" && m.to.startsWith("octo-migrated/")))

        const summary = yield* replay(ctx, archive, { to: target, spaces: selection })
        assert.deepStrictEqual(summary.failed, [])
        assert.strictEqual(summary.created.length, 12)
        assert.deepStrictEqual(summary.writes, plan.writes)
        for (const c of summary.created) {
          const source = h.state.getSpace("octo-org", c.source.number)!
          const migrated = h.state.getSpace("octo-migrated", c.number!)!
          assert.strictEqual(migrated.name, source.name)
          assert.strictEqual(migrated.general_instructions, source.general_instructions)
          // every repository id now points at octo-migrated's repository of the same name
          for (const r of migrated.resources) {
            const id = r.metadata.repository_id
            if (typeof id === "number") assert.strictEqual(h.state.repos.get(id)!.ownerLogin, "octo-migrated")
          }
          const items = summary.unmapped.find((u) => u.source.number === c.source.number)?.items ?? []
          const expectedResources = resourcesOf(h, "octo-org", source.number).filter(
            (r) => !/media_content|uploaded_text_file/.test(r) && !r.includes(`"repo":"sdk"`)
          )
          assert.deepStrictEqual(resourcesOf(h, "octo-migrated", migrated.number), expectedResources)
          const expectedCollaborators = carriedCollaborators(h, source.number)
          assert.deepStrictEqual(collaboratorsOf(h, "octo-migrated", migrated.number), expectedCollaborators)
          const dropped = collaboratorsOf(h, "octo-org", source.number).length - expectedCollaborators.length
          assert.strictEqual(items.filter((i) => i.kind === "team" || i.kind === "user").length, dropped)
        }
        assert.isTrue(
          summary.unmapped
            .flatMap((u) => u.items)
            .some((i) => i.kind === "repository" && i.detail.includes("octo-org/sdk"))
        )

        // Re-run: the journal and the names find every space; nothing is written.
        const writesBefore = writes(h)
        const again = yield* replay(ctx, archive, { to: target, spaces: selection })
        assert.deepStrictEqual(again.created, [])
        assert.strictEqual(again.skipped.length, 12)
        assert.strictEqual(writes(h), writesBefore)

        // --on-conflict update makes a changed target equal to the archive again, then has nothing left to do.
        const first = summary.created[0]!
        h.state.updateSpace("octo-migrated", first.number!, { name: "edited in the target", base_role: "admin" })
        const someone = h.state.collaborators("octo-migrated", first.number!).find((c) => c.actor_type === "User") as {
          userId: number
        }
        const login = h.state.accountById(someone.userId)!.login
        h.state.setCollaboratorRole("octo-migrated", first.number!, "User", login, "admin")
        const updated = yield* replay(ctx, archive, { to: target, spaces: [selection[0]!], onConflict: "update" })
        // renamed in the target, so it is found through the journal
        assert.deepStrictEqual(
          updated.updated.map((u) => u.number),
          [first.number]
        )
        const now = h.state.getSpace("octo-migrated", first.number!)!
        assert.strictEqual(now.name, h.state.getSpace("octo-org", 1)!.name)
        assert.strictEqual(now.base_role, h.state.getSpace("octo-org", 1)!.base_role)
        assert.deepStrictEqual(collaboratorsOf(h, "octo-migrated", first.number!), carriedCollaborators(h, 1))
        const settled = yield* replay(ctx, archive, { to: target, spaces: [selection[0]!], onConflict: "update" })
        assert.deepStrictEqual(settled.updated, [])
        assert.deepStrictEqual(
          settled.skipped.map((s) => [s.number, s.reason, s.kind]),
          [[first.number, "already equal to the archive", "equal"]]
        )
      })
    )
  )

  it.live("stops on a conflict under the policy fail, and strict mode refuses spaces with unmapped items", () =>
    withHub((ctx) =>
      Effect.gen(function* () {
        const { h } = ctx
        const archive = yield* exportOf(ctx, "octo-org")
        h.state.createSpace("octo-migrated", { name: h.state.getSpace("octo-org", 2)!.name })
        const failed = yield* replay(ctx, archive, {
          to: target,
          spaces: ["octo-org/2", "octo-org/3"],
          onConflict: "fail"
        })
        assert.deepStrictEqual(
          failed.failed.map((f) => [f.source.number, f.kind, f.error]),
          [[2, "conflict", "space octo-migrated/1 already exists"]]
        )
        assert.deepStrictEqual(failed.created, []) // the run stopped there
        assert.deepStrictEqual(
          failed.skipped.map((s) => [s.source.number, s.reason, s.kind]),
          [[3, "not tried: the run stopped at the conflict with octo-migrated/1", "stopped"]]
        )

        const strict = yield* replay(ctx, archive, { to: target, spaces: ["octo-org/3"], strict: true, dryRun: true })
        assert.isTrue(strict.unmapped.length > 0)
        assert.deepStrictEqual(
          strict.failed.map((f) => [f.kind, f.error]),
          [["strict", `${strict.unmapped[0]!.items.length} item(s) cannot be carried over`]]
        )
      })
    )
  )

  it.live("never duplicates after a crash half-way, and an interrupted run says what it had created", () =>
    withHub((ctx) =>
      Effect.gen(function* () {
        const { h } = ctx
        const archive = yield* exportOf(ctx, "octo-org")
        // Crash 1: the process is stopped after a few spaces (interrupted mid-run).
        let seen = 0
        let soFar: ReplaySummary | undefined
        const stopped = yield* Effect.exit(
          replay(ctx, archive, {
            to: target,
            spaces: selection,
            onProgress: (line) => (line.includes("/12 spaces") && ++seen === 4 ? Effect.interrupt : Effect.void),
            onInterrupt: (summary) =>
              Effect.sync(() => {
                soFar = summary
              })
          })
        )
        assert.isTrue(Exit.isFailure(stopped))
        assert.deepStrictEqual(numbers(soFar?.created ?? []), [1, 2, 3, 4])
        assert.strictEqual(h.state.listSpaces("octo-migrated").length, 4)
        // Crash 2: a space gets created but adding its collaborators keeps failing.
        h.faults.serverErrors(3, { route: "POST /orgs/{org}/copilot-spaces/{space_number}/collaborators" })
        const partial = yield* replay(ctx, archive, { to: target, spaces: selection })
        assert.isTrue(partial.failed.length > 0)
        assert.isTrue(partial.failed.every((f) => f.kind === "github"))
        // The space exists by then: the failure names it, so the summary says which target space to look at.
        const existing = new Set(h.state.listSpaces("octo-migrated").map((s) => s.number))
        assert.isTrue(partial.failed.every((f) => f.number !== undefined && existing.has(f.number)))

        const final = yield* replay(ctx, archive, { to: target, spaces: selection })
        assert.deepStrictEqual(final.failed, [])
        const names = h.state.listSpaces("octo-migrated").map((s) => s.name)
        for (const n of selection) {
          const name = h.state.getSpace("octo-org", Number(n.split("/")[1]))!.name
          assert.strictEqual(names.filter((x) => x === name).length, 1)
        }
        for (const s of h.state.listSpaces("octo-migrated")) {
          const keys = collaboratorsOf(h, "octo-migrated", s.number)
          assert.strictEqual(new Set(keys).size, keys.length)
          const source = h.state.listSpaces("octo-org").find((x) => x.name === s.name)!
          assert.deepStrictEqual(keys, carriedCollaborators(h, source.number))
        }
      })
    )
  )
})
