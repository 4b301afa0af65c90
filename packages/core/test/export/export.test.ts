// The export end to end: the real client over HTTP against fakehub, writing real archives.
import { mkdtemp, readdir } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { startFakeHub, type FakeHub } from "@spaces-vault/fixtures"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Stream } from "effect"
import { checkAndClose } from "../support/hub.ts"
import { openArchive } from "../../src/archive/ArchiveReader.ts"
import { openArchiveWriter } from "../../src/archive/ArchiveWriter.ts"
import { verifyArchive } from "../../src/archive/Verify.ts"
import { org, user, type Owner } from "../../src/domain/Owner.ts"
import { exportSpaces } from "../../src/export/ExportSpaces.ts"
import type { ExportSummary } from "../../src/export/ExportTypes.ts"
import { GitHubClient } from "../../src/github/GitHubClient.ts"
import { testClientOptions } from "../github/testClientOptions.ts"

/** A fakehub for one test, checked against the contract and closed when the test's scope ends. */
const hubOf = (options: Parameters<typeof startFakeHub>[0]) =>
  Effect.acquireRelease(
    Effect.promise(() => startFakeHub(options)),
    (h) => Effect.promise(() => checkAndClose(h))
  )
const demoHub = hubOf({ seed: "demo" })
const tmpDir = Effect.promise(() => mkdtemp(join(tmpdir(), "sv-export-")))
const files = (dir: string) => Effect.promise(() => readdir(dir))

const demoOwners: ReadonlyArray<Owner> = [org("octo-org"), org("octo-archive"), user("mona")]

const clientLayer = (apiUrl: string, token: string) =>
  GitHubClient.layer(testClientOptions({ hub: { url: apiUrl, token }, concurrency: 8 }))

const runExport = (h: FakeHub, outDir: string, owners = demoOwners, token = h.token, warnings: Array<string> = []) =>
  exportSpaces({ owners, outDir, concurrency: 8, onWarning: (w) => Effect.sync(() => void warnings.push(w)) }).pipe(
    Effect.provide(clientLayer(h.url, token))
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

const readArchive = (path: string) =>
  Effect.scoped(
    Effect.gen(function* () {
      const a = yield* openArchive(path)
      const spaces = Array.from(yield* Stream.runCollect(a.spaces))
      return { manifest: a.manifest, spaces, repositories: yield* a.repositories }
    })
  )

describe("export", () => {
  it.live("writes a shard's archive under its own name, with the shard and run id in the manifest", () =>
    Effect.gen(function* () {
      const hub = yield* demoHub
      const dir = yield* tmpDir
      const run = (index: number) =>
        exportSpaces({
          owners: [org("octo-archive")],
          outDir: dir,
          concurrency: 8,
          shard: { index, count: 2 },
          runId: "2026-11-25T02:10:00Z"
        }).pipe(Effect.provide(clientLayer(hub.url, hub.token)))
      const first = yield* run(0)
      const second = yield* run(1)
      assert.match(first.archive, /spaces-vault-\d{8}T\d{6}Z-shard-0-of-2\.zip$/)
      assert.match(second.archive, /spaces-vault-\d{8}T\d{6}Z-shard-1-of-2\.zip$/)
      assert.strictEqual((yield* files(dir)).filter((n) => n.endsWith(".zip")).length, 2)
      const manifest = (yield* readArchive(second.archive)).manifest
      assert.deepStrictEqual(manifest.shard, { index: 1, count: 2 })
      assert.strictEqual(manifest.runId, "2026-11-25T02:10:00Z")
      assert.isTrue((yield* verifyArchive(second.archive)).ok)
    })
  )

  it.live("a shard's next run reuses its own earlier archive's ETags, not another shard's newer one", () =>
    Effect.gen(function* () {
      const hub = yield* demoHub
      const dir = yield* tmpDir
      const run = (index: number, owner: Owner) =>
        exportSpaces({ owners: [owner], outDir: dir, concurrency: 8, shard: { index, count: 2 } }).pipe(
          Effect.provide(clientLayer(hub.url, hub.token))
        )
      yield* run(0, org("octo-archive"))
      yield* run(1, user("mona"))
      const again = yield* run(0, org("octo-archive"))
      // Every space of octo-archive answered 304 against shard 0's first archive (its GET and its collaborators);
      // against shard 1's archive, which holds only mona, none would.
      assert.isAtLeast(again.notModified, 2 * 60)
    })
  )

  it.live("archives every space of every owner with the minimum number of requests", () =>
    Effect.gen(function* () {
      const hub = yield* demoHub
      const dir = yield* tmpDir
      const summary: ExportSummary = yield* runExport(hub, dir)
      assert.isFalse(summary.partial)
      assert.deepStrictEqual(summary.owners, [
        { owner: "octo-org", kind: "org", spaces: 240, failed: 0, failures: [] },
        { owner: "octo-archive", kind: "org", spaces: 60, failed: 0, failures: [] },
        { owner: "mona", kind: "user", spaces: 8, failed: 0, failures: [] }
      ])
      assert.strictEqual(summary.requests, minimumRequests(hub, demoOwners))
      assert.strictEqual(hub.counters.requests, summary.requests)
      assert.isTrue((yield* verifyArchive(summary.archive)).ok)

      const archive = yield* readArchive(summary.archive)
      const one = archive.spaces.find((s) => s.ownerLogin === "octo-org" && s.number === 1)!
      const live = hub.state.getSpace("octo-org", 1)!
      assert.strictEqual(one.space.general_instructions, live.general_instructions)
      assert.deepStrictEqual(
        one.space.resources_attributes?.map((r) => r.id),
        live.resources.map((r) => r.id)
      )
      assert.strictEqual(one.space.collaborators.length, live.collaborators.length)
      assert.containSubset(one.raw.owner, { login: "octo-org", type: "Organization" }) // kept as GitHub sent it
      assert.match(one.space.etags.space ?? "", /^"/)
      for (const id of live.resources.flatMap((r) =>
        typeof r.metadata.repository_id === "number" ? [r.metadata.repository_id] : []
      )) {
        assert.match(archive.repositories[String(id)]!.full_name ?? "", /^octo-org\//)
      }
      assert.notInclude(JSON.stringify(archive), hub.token)
    }).pipe(Effect.scoped)
  )

  it.live("re-exports unchanged spaces with 304s that cost only the list pages of budget", () =>
    Effect.gen(function* () {
      const hub = yield* demoHub
      const dir = yield* tmpDir
      const first = yield* runExport(hub, dir)
      const spentBefore = hub.counters.budgetConsumed()
      hub.state.updateSpace("octo-org", 7, { name: "changed overnight" })
      const second = yield* runExport(hub, dir)
      const pages = 3 + 1 + 1
      // list pages + the changed space's GET (its collaborators still answer 304)
      assert.strictEqual(hub.counters.budgetConsumed() - spentBefore, pages + 1)
      assert.strictEqual(second.notModified, second.requests - pages - 1)
      const a = yield* readArchive(first.archive)
      const b = yield* readArchive(second.archive)
      // Entries come in list order; everything but the edited space is byte-for-byte the earlier copy.
      const edited = (s: { ownerLogin: string; number: number }) => s.ownerLogin === "octo-org" && s.number === 7
      assert.deepStrictEqual(
        b.spaces.filter((s) => !edited(s)).map((s) => s.raw),
        a.spaces.filter((s) => !edited(s)).map((s) => s.raw)
      )
      assert.strictEqual(b.spaces.find(edited)!.space.name, "changed overnight")
      assert.deepStrictEqual(b.repositories, a.repositories)
      assert.strictEqual((yield* files(dir)).filter((n) => n.endsWith(".zip")).length, 2)
    }).pipe(Effect.scoped)
  )

  it.live("takes ETags from the newest complete archive in DIR, not from a partial one made in between", () =>
    Effect.gen(function* () {
      const hub = yield* demoHub
      const dir = yield* tmpDir
      yield* runExport(hub, dir, [org("octo-archive")])
      hub.faults.failOwner("octo-archive", 403) // a night GitHub refused octo-archive: an archive with none of it
      assert.isTrue((yield* runExport(hub, dir, [org("octo-archive"), user("mona")])).partial)
      hub.faults.clear()
      const third = yield* runExport(hub, dir, [org("octo-archive")])
      assert.isFalse(third.partial)
      assert.strictEqual(third.notModified, third.requests - 1) // all but the list page
    }).pipe(Effect.scoped)
  )

  it.live(
    "asks each owner against its own last good copy: an ad-hoc export of one owner costs the others nothing",
    () =>
      Effect.gen(function* () {
        const hub = yield* demoHub
        const dir = yield* tmpDir
        yield* runExport(hub, dir) // the night: every owner
        // An ad-hoc export of mona alone, newer and complete: it holds none of the organizations' ETags.
        yield* runExport(hub, dir, [user("mona")])
        const nextNight = yield* runExport(hub, dir)
        const spaces = demoOwners.reduce((n, o) => n + hub.state.listSpaces(o.login).length, 0)
        // Both halves of every space answered 304: octo-org's and octo-archive's against the night's archive, mona's
        // against her ad-hoc one, and so did every repository lookup: only the five list pages were answered in full.
        assert.strictEqual(nextNight.notModified, nextNight.requests - 5)
        assert.isAtLeast(nextNight.notModified, 2 * spaces)
      }).pipe(Effect.scoped)
  )

  it.live("keeps going when one owner fails: the others are archived and the archive is partial", () =>
    Effect.gen(function* () {
      const hub = yield* demoHub
      hub.faults.failOwner("octo-archive", 403)
      const summary = yield* runExport(hub, yield* tmpDir, [org("octo-org"), org("octo-archive"), org("no-such-org")])
      assert.isTrue(summary.partial)
      assert.deepStrictEqual(
        summary.owners.map((o) => [o.owner, o.spaces, o.failed]),
        [
          ["octo-org", 240, 0],
          ["octo-archive", 0, 1],
          ["no-such-org", 0, 1]
        ]
      )
      const archive = yield* readArchive(summary.archive)
      assert.isTrue(archive.manifest.partial)
      assert.strictEqual(archive.manifest.owners[1]!.status, "partial")
      assert.deepStrictEqual(
        archive.manifest.owners[1]!.failures.map((f) => [f.scope, f.status]),
        [["list", 403]]
      )
      assert.match(archive.manifest.owners[2]!.failures[0]!.message, /not found/)
      assert.containSubset(yield* verifyArchive(summary.archive), { ok: false, intact: true, complete: false })
    }).pipe(Effect.scoped)
  )

  it.live("keeps the spaces listed before a list fails part-way, and the owners after it are complete", () =>
    Effect.gen(function* () {
      const hub = yield* demoHub
      // octo-org's first page is served; then the token loses access and every later page answers 403.
      hub.faults.failListAfter("octo-org", 1, 403)
      const summary = yield* runExport(hub, yield* tmpDir, [org("octo-org"), org("octo-archive")])
      assert.isTrue(summary.partial)
      assert.deepStrictEqual(
        summary.owners.map((o) => [o.owner, o.spaces, o.failed]),
        [
          ["octo-org", 100, 1],
          ["octo-archive", 60, 0]
        ]
      )
      const archive = yield* readArchive(summary.archive)
      assert.deepStrictEqual(
        archive.manifest.owners.map((o) => [o.login, o.status]),
        [
          ["octo-org", "partial"],
          ["octo-archive", "complete"]
        ]
      )
      assert.deepStrictEqual(
        archive.manifest.owners[0]!.failures.map((f) => [f.scope, f.status]),
        [["list", 403]]
      )
      assert.deepStrictEqual(
        archive.spaces.filter((s) => s.ownerLogin === "octo-org").map((s) => s.number),
        hub.state
          .listSpaces("octo-org")
          .slice(0, 100)
          .map((s) => s.number)
      )
      assert.containSubset(yield* verifyArchive(summary.archive), { ok: false, intact: true, complete: false })
    }).pipe(Effect.scoped)
  )

  it.live("archives a space carrying values GitHub added after its published description, exactly as sent", () =>
    Effect.gen(function* () {
      // GitHub ahead of the OpenAPI description: the contract check would flag the new values, so it is off here.
      const hub = yield* hubOf({ seed: "demo", validateContract: false })
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
      const summary = yield* runExport(hub, yield* tmpDir, [org("octo-org")])
      assert.isFalse(summary.partial)
      assert.containSubset(summary.owners[0], { spaces: 240, failed: 0 })
      assert.isTrue((yield* verifyArchive(summary.archive)).ok)
      const archive = yield* readArchive(summary.archive)
      const one = archive.spaces.find((s) => s.number === 1)!
      assert.strictEqual(one.space.base_role, "org_members")
      assert.strictEqual(one.space.collaborators[0]!.role, "maintainer")
      assert.deepInclude(one.raw.resources_attributes as ReadonlyArray<unknown>, added)
      // Its repository is resolved like any other, so a migration can still remap it by name.
      assert.strictEqual(archive.repositories["424242"]!.full_name, null)
    }).pipe(Effect.scoped)
  )

  it.live("records a space that vanishes between list and get without failing", () =>
    Effect.gen(function* () {
      const hub = yield* demoHub
      hub.faults.vanishAfterList("octo-archive", 4)
      const summary = yield* runExport(hub, yield* tmpDir, [org("octo-archive")])
      assert.isFalse(summary.partial)
      assert.containSubset(summary.owners[0], { spaces: 59, failed: 0 })
      assert.deepStrictEqual((yield* readArchive(summary.archive)).manifest.owners[0]!.vanished, [4])
    }).pipe(Effect.scoped)
  )

  it.live("gets through 5xx bursts, resets and secondary limits and still writes a complete archive", () =>
    Effect.gen(function* () {
      const hub = yield* demoHub
      hub.faults.serverErrors(5, { route: "GET /orgs/{org}/copilot-spaces/{space_number}" })
      hub.faults.connectionResets(3, { route: "GET /orgs/{org}/copilot-spaces/{space_number}/collaborators" })
      hub.faults.secondaryLimit(1, { retryAfterSeconds: 1 })
      const summary = yield* runExport(hub, yield* tmpDir, [org("octo-archive")])
      assert.isFalse(summary.partial)
      assert.strictEqual(summary.owners[0]!.spaces, 60)
    }).pipe(Effect.scoped)
  )

  it.live(
    "warns about fine-grained tokens and, when GitHub refuses user spaces, says that they need a classic token",
    () =>
      Effect.gen(function* () {
        const hub = yield* demoHub
        hub.state.addToken("github_pat_finegrained", "octocat")
        const warnings: Array<string> = []
        const summary = yield* runExport(
          hub,
          yield* tmpDir,
          [org("octo-archive"), user("mona")],
          "github_pat_finegrained",
          warnings
        )
        assert.match(warnings[0]!, /fine-grained token: GitHub omits from lists every space/)
        assert.containSubset(summary.owners[1], { owner: "mona", spaces: 0, failed: 1 })
        assert.strictEqual(summary.owners[1]!.failures.length, 1)
        assert.match(
          summary.owners[1]!.failures[0]!,
          /^list: GET \/users\/mona\/copilot-spaces .*classic personal access token/
        )
        const archive = yield* readArchive(summary.archive)
        assert.containSubset(archive.manifest.owners[1]!.failures[0], { scope: "list", status: 403 })
        assert.match(archive.manifest.owners[1]!.failures[0]!.message, /classic personal access token/)
        // GitHub has the last word: the list was asked for, and refused.
        assert.strictEqual(hub.counters.byRoute()["GET /users/{username}/copilot-spaces"], 1)
      }).pipe(Effect.scoped)
  )

  it.live(
    "with a token GitHub documents as unable to read user spaces: archives what GitHub serves, never an empty complete owner",
    () =>
      Effect.gen(function* () {
        const hub = yield* demoHub
        // A GitHub App user token (ghu_): documented as refused for user endpoints; this fake serves it anyway.
        hub.state.addToken("ghu_appuser", "mona")
        const warnings: Array<string> = []
        const served = yield* runExport(hub, yield* tmpDir, [user("mona")], "ghu_appuser", warnings)
        assert.strictEqual(warnings.length, 1)
        assert.match(warnings[0]!, /^mona: user-owned spaces can only be read with a classic personal access token/)
        assert.isFalse(served.partial)
        assert.deepStrictEqual(
          served.owners.map((o) => [o.owner, o.spaces, o.failed]),
          [["mona", 8, 0]]
        )

        for (const s of hub.state.listSpaces("mona").slice()) hub.state.deleteSpace("mona", s.number)
        hub.state.addMember("octo-archive", "mona")
        const empty = yield* runExport(hub, yield* tmpDir, [org("octo-archive"), user("mona")], "ghu_appuser", [])
        assert.isTrue(empty.partial)
        assert.deepStrictEqual(
          empty.owners.map((o) => [o.owner, o.owner === "mona" ? [o.spaces, o.failed] : null]),
          [
            ["octo-archive", null],
            ["mona", [0, 1]]
          ]
        )
        assert.match(
          (yield* readArchive(empty.archive)).manifest.owners[1]!.failures[0]!.message,
          /GitHub listed no spaces, and user-owned spaces/
        )
        // With mona alone, nothing at all was read: no archive (the NoOwnerRead tests below).
        const alone = yield* Effect.flip(runExport(hub, yield* tmpDir, [user("mona")], "ghu_appuser", []))
        assert.strictEqual(alone.reason._tag, "NoOwnerRead")
        assert.match(alone.message, /no owner could be read.*GitHub listed no spaces, and user-owned spaces/)
      }).pipe(Effect.scoped)
  )

  it.live("never replaces an archive: two exports finishing into one directory in the same second keep both", () =>
    Effect.gen(function* () {
      const dir = yield* tmpDir
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
      const paths = yield* Effect.all([write("first"), write("second")], { concurrency: 2 })
      assert.deepStrictEqual(new Set(paths), new Set([name(1), name(2)]))
      assert.deepStrictEqual((yield* files(dir)).sort(), ["a-2.zip", "a.zip"])
      // A plain path has no second choice: finishing onto an existing file fails and leaves it alone.
      const error = yield* Effect.flip(
        Effect.scoped(
          Effect.flatMap(openArchiveWriter(name(1)), (w) =>
            w.finish({ toolVersion: "t", createdAt: "x", sourceApiUrl: "x", partial: false, owners: [] })
          )
        )
      )
      assert.match(error.message, /already exists/)
      assert.deepStrictEqual((yield* files(dir)).sort(), ["a-2.zip", "a.zip"])
    }).pipe(Effect.scoped)
  )

  it.live("stops on a rejected token and leaves no archive behind", () =>
    Effect.gen(function* () {
      const hub = yield* demoHub
      const dir = yield* tmpDir
      const error = yield* Effect.flip(runExport(hub, dir, demoOwners, "ghp_revoked"))
      assert.strictEqual(error.reason._tag, "TokenRejected")
      assert.match(error.message, /GitHub rejected the token/)
      assert.deepStrictEqual(yield* files(dir), [])
    }).pipe(Effect.scoped)
  )
})

/** The export's failure; dies when the export succeeds. */
const exportFailure = (apiUrl: string, token: string, owners: ReadonlyArray<Owner>, outDir: string) =>
  exportSpaces({ owners, outDir, concurrency: 8 }).pipe(Effect.provide(clientLayer(apiUrl, token)), Effect.flip)

describe("an export that could read no owner at all", () => {
  it.live("fails with NoOwnerRead naming each owner's failure, and leaves no archive, not even a temp file", () =>
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

  it.live("says when a login is the other kind of owner: a user given as an org, an org given as a user", () =>
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

  it.live("writes a partial archive when another owner was read, with the owner's kind in its failure", () =>
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

  it.live("fails the same way when the API cannot be reached", () =>
    Effect.gen(function* () {
      const dir = yield* tmpDir
      // Nothing listens on port 9 (discard) of loopback: every request is refused.
      const error = yield* exportFailure("http://127.0.0.1:9", "ghp_unused", [org("octo-org")], dir)
      assert.strictEqual(error.reason._tag, "NoOwnerRead")
      assert.deepStrictEqual(yield* files(dir), [])
    })
  )
})
