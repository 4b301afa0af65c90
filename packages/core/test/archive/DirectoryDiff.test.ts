// `diff DIR` on real archives written from plain data: each owner against its own last complete archive.
import { mkdtemp, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { NodeServices } from "@effect/platform-node"
import { assert, layer } from "@effect/vitest"
import { Effect } from "effect"
import { archiveFileName } from "../../src/archive/ArchiveDirectory.ts"
import { diffDirectory } from "../../src/archive/DirectoryDiff.ts"
import { type OwnerData, writeOwnersArchive } from "../support/archives.ts"

const tmpDir = Effect.promise(() => mkdtemp(join(tmpdir(), "sv-dirdiff-")))
const put = (dir: string, iso: string, owners: ReadonlyArray<OwnerData>) =>
  writeOwnersArchive(join(dir, archiveFileName(Date.parse(iso))), iso, owners)
const listFailed = [{ scope: "list", status: 502, message: "GET /users/mona/copilot-spaces failed" }]
const refs = (items: ReadonlyArray<{ owner: string; number: number }>) => items.map((s) => `${s.owner}/${s.number}`)

/** Two nights and an ad-hoc export of octo-org; mona failed on the second night. */
const history = (dir: string) =>
  Effect.gen(function* () {
    yield* put(dir, "2026-11-24T02:30:00Z", [
      { login: "octo-org", spaces: [1, 2, 3] },
      { login: "mona", kind: "user", spaces: [7, 8] }
    ])
    yield* put(dir, "2026-11-25T02:30:00Z", [
      { login: "octo-org", spaces: [1, 2] },
      { login: "mona", kind: "user", spaces: [], failures: listFailed }
    ])
    yield* put(dir, "2026-11-25T10:00:00Z", [
      { login: "octo-org", spaces: [1, [2, { name: "renamed", general_instructions: "be kind" }]] }
    ])
  })

layer(NodeServices.layer)("diffDirectory", (it) => {
  it.effect("compares the newest archive, an ad-hoc one of one owner, with that owner's last complete archive", () =>
    Effect.gen(function* () {
      const dir = yield* tmpDir
      yield* history(dir)
      const d = yield* diffDirectory(dir)
      assert.strictEqual(d.newest, join(dir, archiveFileName(Date.parse("2026-11-25T10:00:00Z"))))
      assert.deepStrictEqual(d.baselines, [
        { owner: "octo-org", baseline: join(dir, archiveFileName(Date.parse("2026-11-25T02:30:00Z"))) }
      ])
      assert.deepStrictEqual(refs(d.changed), ["octo-org/2"])
      // Old and new texts, the old one read back from the owner's baseline.
      assert.deepStrictEqual(
        d.changed[0]!.texts?.map((t) => [t.field, t.old, t.new]),
        [["general_instructions", "be nice", "be kind"]]
      )
      assert.deepStrictEqual(refs(d.removed), []) // 3 was already gone the night before
      assert.deepStrictEqual([d.added, d.unverified, d.unchanged], [[], [], 1])
    })
  )

  it.effect("compares the archive an export names, not another shard's newer one in the same location", () =>
    Effect.gen(function* () {
      const dir = yield* tmpDir
      yield* history(dir)
      const shard = (index: number) => archiveFileName(Date.parse("2026-11-26T02:30:00Z"), 1, { index, count: 2 })
      yield* writeOwnersArchive(join(dir, shard(0)), "2026-11-26T02:30:00Z", [{ login: "octo-org", spaces: [1] }])
      yield* writeOwnersArchive(join(dir, shard(1)), "2026-11-26T02:30:00Z", [
        { login: "mona", kind: "user", spaces: [7] }
      ])
      const d = yield* diffDirectory(dir, shard(0))
      assert.strictEqual(d.newest, join(dir, shard(0)))
      assert.deepStrictEqual(refs(d.removed), ["octo-org/2"])
      // mona is shard 1's: not compared, so her space 8 is not reported here.
      assert.deepStrictEqual(
        d.baselines.map((b) => b.owner),
        ["octo-org"]
      )
    })
  )

  it.effect("passes over a night an owner failed and reports a new owner as having no baseline", () =>
    Effect.gen(function* () {
      const dir = yield* tmpDir
      yield* history(dir)
      yield* put(dir, "2026-11-26T02:30:00Z", [
        { login: "octo-org", spaces: [1, [2, { name: "renamed", general_instructions: "be kind" }]] },
        { login: "mona", kind: "user", spaces: [7] },
        { login: "new-org", spaces: [5] }
      ])
      const d = yield* diffDirectory(dir)
      const name = (iso: string) => join(dir, archiveFileName(Date.parse(iso)))
      assert.deepStrictEqual(d.baselines, [
        { owner: "octo-org", baseline: name("2026-11-25T10:00:00Z") },
        { owner: "mona", baseline: name("2026-11-24T02:30:00Z") },
        { owner: "new-org", baseline: null }
      ])
      // mona/8 is gone since mona's last complete archive; new-org's spaces are not "added": nothing to compare.
      assert.deepStrictEqual(refs(d.removed), ["mona/8"])
      assert.deepStrictEqual([d.added, d.changed, d.unverified, d.unchanged], [[], [], [], 3])
    })
  )

  it.effect("an owner the newest archive could not list is unverified, never removed", () =>
    Effect.gen(function* () {
      const dir = yield* tmpDir
      yield* history(dir)
      yield* put(dir, "2026-11-26T02:30:00Z", [
        { login: "octo-org", spaces: [1, [2, { name: "renamed", general_instructions: "be kind" }]] },
        { login: "mona", kind: "user", spaces: [], failures: listFailed }
      ])
      const d = yield* diffDirectory(dir)
      assert.deepStrictEqual(refs(d.removed), [])
      assert.deepStrictEqual(refs(d.unverified), ["mona/7", "mona/8"])
    })
  )

  it.effect("an unreadable older archive is never a baseline; an unreadable newest one, or none, fails", () =>
    Effect.gen(function* () {
      const dir = yield* tmpDir
      yield* history(dir)
      const broken = archiveFileName(Date.parse("2026-11-25T06:00:00Z"))
      yield* Effect.promise(() => writeFile(join(dir, broken), "not a zip"))
      const d = yield* diffDirectory(dir)
      assert.deepStrictEqual(
        d.unreadable.map((u) => u.name),
        [broken]
      )
      assert.deepStrictEqual(refs(d.changed), ["octo-org/2"])

      const newest = archiveFileName(Date.parse("2026-11-27T02:30:00Z"))
      yield* Effect.promise(() => writeFile(join(dir, newest), "not a zip"))
      const error = yield* Effect.flip(diffDirectory(dir))
      assert.match(error.message, new RegExp(`^the newest archive in .*, ${newest}, cannot be read: `))

      const empty = yield* Effect.flip(diffDirectory(yield* tmpDir))
      assert.match(empty.message, /holds no archives$/)
    })
  )
})
