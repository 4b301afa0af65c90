// The export end to end: the real client over HTTP against fakehub, writing real archives.
import { mkdtemp, readdir } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { startFakeHub, type FakeHub } from "@spaces-vault/fixtures"
import { assert, it as effectIt } from "@effect/vitest"
import { Effect, Stream } from "effect"
import { afterEach, describe, expect, it } from "vitest"
import { checkAndClose } from "../support/hub.ts"
import { openArchive } from "../../src/archive/ArchiveReader.ts"
import { openArchiveWriter } from "../../src/archive/ArchiveWriter.ts"
import { verifyArchive } from "../../src/archive/Verify.ts"
import { org, user, type Owner } from "../../src/domain/owner.ts"
import { exportSpaces } from "../../src/export/ExportSpaces.ts"
import type { ExportSummary } from "../../src/export/ExportTypes.ts"
import { GitHubClient } from "../../src/github/GitHubClient.ts"
import { testClientOptions } from "../github/testClientOptions.ts"

let hub: FakeHub | undefined
afterEach(async () => {
  hub = await checkAndClose(hub)
})

const demoOwners: ReadonlyArray<Owner> = [org("octo-org"), org("octo-archive"), user("mona")]

const clientLayer = (apiUrl: string, token: string) =>
  GitHubClient.layer(testClientOptions({ hub: { url: apiUrl, token }, concurrency: 8 }))

const runExport = async (
  h: FakeHub,
  outDir: string,
  owners = demoOwners,
  token = h.token,
  warnings: Array<string> = []
) =>
  Effect.runPromise(
    exportSpaces({ owners, outDir, concurrency: 8, onWarning: (w) => Effect.sync(() => void warnings.push(w)) }).pipe(
      Effect.provide(clientLayer(h.url, token))
    )
  )

/** The fewest requests a complete export can make: list pages + 2 per space + 1 per distinct repository. */
const minimumRequests = (h: FakeHub, owners: ReadonlyArray<Owner>) => {
  let requests = 0
  const repos = new Set<number>()
  for (const o of owners) {
    const spaces = h.state.listSpaces(o.login)
    requests += Math.max(1, Math.ceil(spaces.length / 100)) + 2 * spaces.length
    for (const s of spaces)
      for (const r of s.resources)
        if (typeof r.metadata.repository_id === "number") repos.add(r.metadata.repository_id as number)
  }
  return requests + repos.size
}

const tmp = () => mkdtemp(join(tmpdir(), "sv-export-"))

const readArchive = (path: string) =>
  Effect.runPromise(
    Effect.scoped(
      Effect.gen(function* () {
        const a = yield* openArchive(path)
        const spaces = Array.from(yield* Stream.runCollect(a.spaces))
        return { manifest: a.manifest, spaces, repositories: yield* a.repositories }
      })
    )
  )

describe("export", () => {
  it("archives every space of every owner with the minimum number of requests", async () => {
    hub = await startFakeHub({ seed: "demo" })
    const dir = await tmp()
    const summary: ExportSummary = await runExport(hub, dir)
    expect(summary.partial).toBe(false)
    expect(summary.owners).toEqual([
      { owner: "octo-org", kind: "org", spaces: 240, failed: 0, failures: [] },
      { owner: "octo-archive", kind: "org", spaces: 60, failed: 0, failures: [] },
      { owner: "mona", kind: "user", spaces: 8, failed: 0, failures: [] }
    ])
    expect(summary.requests).toBe(minimumRequests(hub, demoOwners))
    expect(hub.counters.requests).toBe(summary.requests)
    expect((await Effect.runPromise(verifyArchive(summary.archive))).ok).toBe(true)

    const archive = await readArchive(summary.archive)
    const one = archive.spaces.find((s) => s.ownerLogin === "octo-org" && s.number === 1)!
    const live = hub.state.getSpace("octo-org", 1)!
    expect(one.space.general_instructions).toBe(live.general_instructions)
    expect(one.space.resources_attributes?.map((r) => r.id)).toEqual(live.resources.map((r) => r.id))
    expect(one.space.collaborators).toHaveLength(live.collaborators.length)
    expect(one.raw.owner).toMatchObject({ login: "octo-org", type: "Organization" }) // kept as GitHub sent it
    expect(one.space.etags.space).toMatch(/^"/)
    for (const id of live.resources.flatMap((r) =>
      typeof r.metadata.repository_id === "number" ? [r.metadata.repository_id] : []
    )) {
      expect(archive.repositories[String(id)]!.full_name).toMatch(/^octo-org\//)
    }
    expect(JSON.stringify(archive)).not.toContain(hub.token)
  })

  it("re-exports unchanged spaces with 304s that cost only the list pages of budget", async () => {
    hub = await startFakeHub({ seed: "demo" })
    const dir = await tmp()
    const first = await runExport(hub, dir)
    const spentBefore = hub.counters.budgetConsumed()
    hub.state.updateSpace("octo-org", 7, { name: "changed overnight" })
    const second = await runExport(hub, dir)
    const pages = 3 + 1 + 1
    // list pages + the changed space's GET (its collaborators still answer 304)
    expect(hub.counters.budgetConsumed() - spentBefore).toBe(pages + 1)
    expect(second.notModified).toBe(second.requests - pages - 1)
    const a = await readArchive(first.archive)
    const b = await readArchive(second.archive)
    // Entries come in list order; everything but the edited space is byte-for-byte the earlier copy.
    const edited = (s: { ownerLogin: string; number: number }) => s.ownerLogin === "octo-org" && s.number === 7
    expect(b.spaces.filter((s) => !edited(s)).map((s) => s.raw)).toEqual(
      a.spaces.filter((s) => !edited(s)).map((s) => s.raw)
    )
    expect(b.spaces.find(edited)!.space.name).toBe("changed overnight")
    expect(b.repositories).toEqual(a.repositories)
    expect((await readdir(dir)).filter((n) => n.endsWith(".zip"))).toHaveLength(2)
  })

  it("takes ETags from the newest complete archive in DIR, not from a partial one made in between", async () => {
    hub = await startFakeHub({ seed: "demo" })
    const dir = await tmp()
    await runExport(hub, dir, [org("octo-archive")])
    hub.faults.failOwner("octo-archive", 403) // a night GitHub refused octo-archive: an archive with none of it
    expect((await runExport(hub, dir, [org("octo-archive"), user("mona")])).partial).toBe(true)
    hub.faults.clear()
    const third = await runExport(hub, dir, [org("octo-archive")])
    expect(third.partial).toBe(false)
    expect(third.notModified).toBe(third.requests - 1) // all but the list page
  })

  it("keeps going when one owner fails: the others are archived and the archive is partial", async () => {
    hub = await startFakeHub({ seed: "demo" })
    hub.faults.failOwner("octo-archive", 403)
    const summary = await runExport(hub, await tmp(), [org("octo-org"), org("octo-archive"), org("no-such-org")])
    expect(summary.partial).toBe(true)
    expect(summary.owners.map((o) => [o.owner, o.spaces, o.failed])).toEqual([
      ["octo-org", 240, 0],
      ["octo-archive", 0, 1],
      ["no-such-org", 0, 1]
    ])
    const archive = await readArchive(summary.archive)
    expect(archive.manifest.partial).toBe(true)
    expect(archive.manifest.owners[1]).toMatchObject({ status: "partial", failures: [{ scope: "list", status: 403 }] })
    expect(archive.manifest.owners[2]!.failures[0]!.message).toMatch(/not found/)
    expect(await Effect.runPromise(verifyArchive(summary.archive))).toMatchObject({
      ok: false,
      intact: true,
      complete: false
    })
  })

  it("keeps the spaces listed before a list fails part-way, and the owners after it are complete", async () => {
    hub = await startFakeHub({ seed: "demo" })
    // octo-org's first page is served; then the token loses access and every later page answers 403.
    hub.faults.failListAfter("octo-org", 1, 403)
    const summary = await runExport(hub, await tmp(), [org("octo-org"), org("octo-archive")])
    expect(summary.partial).toBe(true)
    expect(summary.owners.map((o) => [o.owner, o.spaces, o.failed])).toEqual([
      ["octo-org", 100, 1],
      ["octo-archive", 60, 0]
    ])
    const archive = await readArchive(summary.archive)
    expect(archive.manifest.owners.map((o) => [o.login, o.status])).toEqual([
      ["octo-org", "partial"],
      ["octo-archive", "complete"]
    ])
    expect(archive.manifest.owners[0]!.failures).toMatchObject([{ scope: "list", status: 403 }])
    expect(archive.spaces.filter((s) => s.ownerLogin === "octo-org").map((s) => s.number)).toEqual(
      hub.state
        .listSpaces("octo-org")
        .slice(0, 100)
        .map((s) => s.number)
    )
    expect(await Effect.runPromise(verifyArchive(summary.archive))).toMatchObject({
      ok: false,
      intact: true,
      complete: false
    })
  })

  it("archives a space carrying values GitHub added after its published description, exactly as sent", async () => {
    // GitHub ahead of the OpenAPI description: the contract check would flag the new values, so it is off here.
    hub = await startFakeHub({ seed: "demo", validateContract: false })
    const live = hub.state.getSpace("octo-org", 1)!
    const added = {
      id: 999_001,
      resource_type: "github_discussion",
      metadata: { repository_id: 424242, number: 7 },
      copilot_chat_attachment_id: null,
      created_at: live.created_at,
      updated_at: live.updated_at
    }
    live.resources.push(added as never)
    live.base_role = "org_members" as never
    live.collaborators[0]!.role = "maintainer" as never
    const summary = await runExport(hub, await tmp(), [org("octo-org")])
    expect(summary.partial).toBe(false)
    expect(summary.owners[0]).toMatchObject({ spaces: 240, failed: 0 })
    expect((await Effect.runPromise(verifyArchive(summary.archive))).ok).toBe(true)
    const archive = await readArchive(summary.archive)
    const one = archive.spaces.find((s) => s.number === 1)!
    expect(one.space.base_role).toBe("org_members")
    expect(one.space.collaborators[0]!.role).toBe("maintainer")
    expect(one.raw.resources_attributes).toContainEqual(added)
    // Its repository is resolved like any other, so a migration can still remap it by name.
    expect(archive.repositories["424242"]).toEqual(expect.objectContaining({ full_name: null }))
  })

  it("records a space that vanishes between list and get without failing", async () => {
    hub = await startFakeHub({ seed: "demo" })
    hub.faults.vanishAfterList("octo-archive", 4)
    const summary = await runExport(hub, await tmp(), [org("octo-archive")])
    expect(summary.partial).toBe(false)
    expect(summary.owners[0]).toMatchObject({ spaces: 59, failed: 0 })
    expect((await readArchive(summary.archive)).manifest.owners[0]!.vanished).toEqual([4])
  })

  it("gets through 5xx bursts, resets and secondary limits and still writes a complete archive", async () => {
    hub = await startFakeHub({ seed: "demo" })
    hub.faults.serverErrors(5, { route: "GET /orgs/{org}/copilot-spaces/{space_number}" })
    hub.faults.connectionResets(3, { route: "GET /orgs/{org}/copilot-spaces/{space_number}/collaborators" })
    hub.faults.secondaryLimit(1, { retryAfterSeconds: 1 })
    const summary = await runExport(hub, await tmp(), [org("octo-archive")])
    expect(summary.partial).toBe(false)
    expect(summary.owners[0]!.spaces).toBe(60)
  })

  it("warns about fine-grained tokens and, when GitHub refuses user spaces, says that they need a classic token", async () => {
    hub = await startFakeHub({ seed: "demo" })
    hub.state.addToken("github_pat_finegrained", "octocat")
    const warnings: Array<string> = []
    const summary = await runExport(
      hub,
      await tmp(),
      [org("octo-archive"), user("mona")],
      "github_pat_finegrained",
      warnings
    )
    expect(warnings[0]).toMatch(/fine-grained token: GitHub omits from lists every space/)
    expect(summary.owners[1]).toMatchObject({ owner: "mona", spaces: 0, failed: 1 })
    expect(summary.owners[1]!.failures).toEqual([
      expect.stringMatching(/^list: GET \/users\/mona\/copilot-spaces .*classic personal access token/)
    ])
    const archive = await readArchive(summary.archive)
    expect(archive.manifest.owners[1]!.failures[0]).toMatchObject({
      scope: "list",
      status: 403,
      message: expect.stringMatching(/classic personal access token/)
    })
    // GitHub has the last word: the list was asked for, and refused.
    expect(hub.counters.byRoute()["GET /users/{username}/copilot-spaces"]).toBe(1)
  })

  it("with a token GitHub documents as unable to read user spaces: archives what GitHub serves, never an empty complete owner", async () => {
    hub = await startFakeHub({ seed: "demo" })
    // A GitHub App user token (ghu_): documented as refused for user endpoints; this fake serves it anyway.
    hub.state.addToken("ghu_appuser", "mona")
    const warnings: Array<string> = []
    const served = await runExport(hub, await tmp(), [user("mona")], "ghu_appuser", warnings)
    expect(warnings).toEqual([
      expect.stringMatching(/^mona: user-owned spaces can only be read with a classic personal access token/)
    ])
    expect(served).toMatchObject({ partial: false, owners: [{ owner: "mona", spaces: 8, failed: 0 }] })

    for (const s of hub.state.listSpaces("mona").slice()) hub.state.deleteSpace("mona", s.number)
    hub.state.addMember("octo-archive", "mona")
    const empty = await runExport(hub, await tmp(), [org("octo-archive"), user("mona")], "ghu_appuser", [])
    expect(empty).toMatchObject({
      partial: true,
      owners: [{ owner: "octo-archive" }, { owner: "mona", spaces: 0, failed: 1 }]
    })
    expect((await readArchive(empty.archive)).manifest.owners[1]!.failures[0]!.message).toMatch(
      /GitHub listed no spaces, and user-owned spaces/
    )
    // With mona alone, nothing at all was read: no archive (the NoOwnerRead tests below).
    const alone = await runExport(hub, await tmp(), [user("mona")], "ghu_appuser", []).then(
      () => undefined,
      (e: unknown) => e
    )
    expect(String(alone)).toMatch(/no owner could be read.*GitHub listed no spaces, and user-owned spaces/)
  })

  it("never replaces an archive: two exports finishing into one directory in the same second keep both", async () => {
    const dir = await tmp()
    const name = (n: number) => join(dir, n === 1 ? "a.zip" : `a-${n}.zip`)
    const write = (login: string) =>
      Effect.scoped(
        Effect.gen(function* () {
          const w = yield* openArchiveWriter(name)
          yield* w.addSpace(login, 1, { number: 1, name: login })
          return yield* w.finish({
            toolVersion: "t",
            createdAt: "2026-11-26T00:00:00Z",
            sourceApiUrl: "x",
            partial: false,
            owners: []
          })
        })
      )
    // Both are open before either finishes, as with two exports started in the same second.
    const paths = await Effect.runPromise(Effect.all([write("first"), write("second")], { concurrency: 2 }))
    expect(new Set(paths)).toEqual(new Set([name(1), name(2)]))
    expect((await readdir(dir)).sort()).toEqual(["a-2.zip", "a.zip"])
    // A plain path has no second choice: finishing onto an existing file fails and leaves it alone.
    const error = await Effect.runPromise(
      Effect.flip(
        Effect.scoped(
          Effect.flatMap(openArchiveWriter(name(1)), (w) =>
            w.finish({ toolVersion: "t", createdAt: "x", sourceApiUrl: "x", partial: false, owners: [] })
          )
        )
      )
    )
    expect(error.message).toMatch(/already exists/)
    expect((await readdir(dir)).sort()).toEqual(["a-2.zip", "a.zip"])
  })

  it("stops on a rejected token and leaves no archive behind", async () => {
    hub = await startFakeHub({ seed: "demo" })
    const dir = await tmp()
    const error = await runExport(hub, dir, demoOwners, "ghp_revoked").then(
      () => undefined,
      (e: unknown) => e
    )
    expect(String(error)).toMatch(/GitHub rejected the token/)
    expect(await readdir(dir)).toEqual([])
  })
})

/** A demo fakehub for one test, checked against the contract and closed when the test's scope ends. */
const demoHub = Effect.acquireRelease(
  Effect.promise(() => startFakeHub({ seed: "demo" })),
  (h) => Effect.promise(() => checkAndClose(h))
)
const tmpDir = Effect.promise(tmp)
const files = (dir: string) => Effect.promise(() => readdir(dir))
/** The export's failure; dies when the export succeeds. */
const exportFailure = (apiUrl: string, token: string, owners: ReadonlyArray<Owner>, outDir: string) =>
  exportSpaces({ owners, outDir, concurrency: 8 }).pipe(Effect.provide(clientLayer(apiUrl, token)), Effect.flip)

describe("an export that could read no owner at all", () => {
  effectIt.live("fails with NoOwnerRead naming each owner's failure, and leaves no archive, not even a temp file", () =>
    Effect.gen(function* () {
      const hub = yield* demoHub
      const dir = yield* tmpDir
      const error = yield* exportFailure(hub.url, hub.token, [org("octo-orgg"), org("ghost-org")], dir)
      assert.strictEqual(error.reason._tag, "NoOwnerRead")
      if (error.reason._tag !== "NoOwnerRead") return
      assert.deepStrictEqual(
        error.reason.owners.map((o) => [o.login, o.kind, o.actualKind]),
        [
          ["octo-orgg", "org", undefined],
          ["ghost-org", "org", undefined]
        ]
      )
      assert.match(error.reason.owners[0]!.failure, /^list: GET \/orgs\/octo-orgg\/copilot-spaces was not found/)
      assert.match(error.message, /^no owner could be read, so no archive was written: octo-orgg: list: /)
      assert.deepStrictEqual(yield* files(dir), [])
    }).pipe(Effect.scoped)
  )

  effectIt.live("says when a login is the other kind of owner: a user given as an org, an org given as a user", () =>
    Effect.gen(function* () {
      const hub = yield* demoHub
      const dir = yield* tmpDir
      const error = yield* exportFailure(hub.url, hub.token, [org("mona"), user("octo-org")], dir)
      assert.strictEqual(error.reason._tag, "NoOwnerRead")
      if (error.reason._tag !== "NoOwnerRead") return
      assert.deepStrictEqual(
        error.reason.owners.map((o) => [o.login, o.actualKind]),
        [
          ["mona", "user"],
          ["octo-org", "org"]
        ]
      )
      assert.match(error.reason.owners[0]!.failure, /\(mona is a user, not an organization\)$/)
      assert.match(error.reason.owners[1]!.failure, /\(octo-org is an organization, not a user\)$/)
      // One lookup per 404, and no flag named in core's words.
      assert.strictEqual(hub.counters.byRoute()["GET /users/{username}"], 2)
      assert.notMatch(error.message, /--/)
      assert.deepStrictEqual(yield* files(dir), [])
    }).pipe(Effect.scoped)
  )

  effectIt.live("writes a partial archive when another owner was read, with the owner's kind in its failure", () =>
    Effect.gen(function* () {
      const hub = yield* demoHub
      const summary = yield* exportSpaces({
        owners: [org("octo-archive"), org("mona")],
        outDir: yield* tmpDir,
        concurrency: 8
      }).pipe(Effect.provide(clientLayer(hub.url, hub.token)))
      assert.isTrue(summary.partial)
      assert.deepStrictEqual(
        summary.owners.map((o) => [o.owner, o.spaces, o.failed, o.actualKind]),
        [
          ["octo-archive", 60, 0, undefined],
          ["mona", 0, 1, "user"]
        ]
      )
      assert.match(summary.owners[1]!.failures[0]!, /mona is a user, not an organization/)
    }).pipe(Effect.scoped)
  )

  effectIt.live("fails the same way when the API cannot be reached", () =>
    Effect.gen(function* () {
      const dir = yield* tmpDir
      // Nothing listens on port 9 (discard) of loopback: every request is refused.
      const error = yield* exportFailure("http://127.0.0.1:9", "ghp_unused", [org("octo-org")], dir)
      assert.strictEqual(error.reason._tag, "NoOwnerRead")
      assert.deepStrictEqual(yield* files(dir), [])
    })
  )
})
