import { NodeServices } from "@effect/platform-node"
import { assert, describe, it, layer } from "@effect/vitest"
import { Effect, FileSystem, Layer, Path } from "effect"
import { archiveFileName, type ReadArchiveState } from "../../src/archive/ArchiveDirectory.ts"
import { ArchiveStore, ArchiveStoreError } from "../../src/archive/ArchiveStore.ts"
import { localArchives } from "../../src/archive/LocalArchives.ts"
import { lockLocation } from "../../src/archive/LocationLock.ts"
import { pruneArchives } from "../../src/retention/Prune.ts"

const name = (iso: string) => archiveFileName(Date.parse(iso))

/** A directory holding the given files, plus a reader that answers from a table (no real zips needed). */
const fixture = (states: Record<string, { complete: boolean } | "unreadable">, extra: ReadonlyArray<string> = []) =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const dir = yield* fs.makeTempDirectoryScoped({ prefix: "sv-prune-" })
    for (const file of [...Object.keys(states), ...extra]) yield* fs.writeFileString(path.join(dir, file), "zip")
    const readState: ReadArchiveState = (p) => {
      const s = states[path.basename(p)]
      return s === undefined
        ? Effect.die(`unexpected read of ${p}`)
        : s === "unreadable"
          ? Effect.fail({ message: `archive ${p} is not a readable zip file: truncated` })
          : Effect.succeed({
              createdAt: undefined,
              complete: s.complete,
              owners: [{ login: "octo-org", complete: s.complete }]
            })
    }
    const files = () => fs.readDirectory(dir).pipe(Effect.map((n) => [...n].sort()))
    return { dir, readState, files }
  })

layer(NodeServices.layer)("pruneArchives", (it) => {
  const three = {
    [name("2026-11-25T02:30:00Z")]: { complete: true },
    [name("2026-11-24T02:30:00Z")]: { complete: true },
    [name("2026-11-23T02:30:00Z")]: { complete: true }
  }

  it.effect("a dry run plans but deletes nothing", () =>
    Effect.gen(function* () {
      const { dir, readState, files } = yield* fixture(three)
      const before = yield* files()
      const result = yield* pruneArchives(dir, { keepLast: 1 }, { dryRun: true, readState })
      assert.deepStrictEqual(
        result.remove.map((a) => a.name),
        [name("2026-11-24T02:30:00Z"), name("2026-11-23T02:30:00Z")]
      )
      assert.deepStrictEqual(yield* files(), before)
    }).pipe(Effect.scoped)
  )

  it.effect("deletes exactly the planned archives and leaves other files alone", () =>
    Effect.gen(function* () {
      const { dir, readState, files } = yield* fixture(three, [
        "status.json",
        "notes.zip",
        `.${name("2026-11-22T02:30:00Z")}.tmp-1`
      ])
      const result = yield* pruneArchives(dir, { keepLast: 1 }, { dryRun: false, readState })
      assert.deepStrictEqual(
        result.keep.map((d) => d.archive.name),
        [name("2026-11-25T02:30:00Z")]
      )
      // The time comes from the file name when the manifest gives none.
      assert.strictEqual(result.keep[0]!.archive.createdAt, Date.parse("2026-11-25T02:30:00Z"))
      assert.deepStrictEqual(
        yield* files(),
        [`.${name("2026-11-22T02:30:00Z")}.tmp-1`, "notes.zip", "status.json", name("2026-11-25T02:30:00Z")].sort()
      )
    }).pipe(Effect.scoped)
  )

  it.effect(
    "holds the location's retention lock: a second prune is refused and deletes nothing; a dry run is not",
    () =>
      Effect.gen(function* () {
        const { dir, readState, files } = yield* fixture(three)
        const fs = yield* FileSystem.FileSystem
        const stateDir = yield* fs.makeTempDirectoryScoped({ prefix: "sv-prune-state-" })
        const before = yield* files()
        yield* Effect.scoped(
          Effect.gen(function* () {
            yield* lockLocation(stateDir, "retention", dir)
            const refused = yield* Effect.flip(
              pruneArchives(dir, { keepLast: 1 }, { dryRun: false, readState, stateDir })
            )
            assert.strictEqual(refused._tag, "LockedError")
            assert.match(refused.message, /^retention of .* is locked by pid \d+ on .* since /)
            assert.deepStrictEqual(yield* files(), before)
            const planned = yield* pruneArchives(dir, { keepLast: 1 }, { dryRun: true, readState, stateDir })
            assert.strictEqual(planned.remove.length, 2)
          })
        )
        const result = yield* pruneArchives(dir, { keepLast: 1 }, { dryRun: false, readState, stateDir })
        assert.strictEqual(result.remove.length, 2)
        assert.deepStrictEqual(yield* files(), [name("2026-11-25T02:30:00Z")])
        // Released: nothing is left in the state directory.
        assert.deepStrictEqual(yield* fs.readDirectory(stateDir), [])
      }).pipe(Effect.scoped)
  )

  it.effect("keeps and reports an archive it cannot read, and keeps the newest complete one", () =>
    Effect.gen(function* () {
      const { dir, readState, files } = yield* fixture({
        [name("2026-11-25T02:30:00Z")]: { complete: false },
        [name("2026-11-24T02:30:00Z")]: "unreadable",
        [name("2026-11-23T02:30:00Z")]: { complete: true },
        [name("2026-11-22T02:30:00Z")]: { complete: true }
      })
      const result = yield* pruneArchives(dir, { keepLast: 1 }, { dryRun: false, readState })
      assert.deepStrictEqual(
        result.unreadable.map((u) => u.name),
        [name("2026-11-24T02:30:00Z")]
      )
      assert.match(result.unreadable[0]!.problem, /truncated/)
      assert.deepStrictEqual(
        result.keep.map((d) => [d.archive.name, d.reasons]),
        [
          [name("2026-11-25T02:30:00Z"), ["last"]],
          [name("2026-11-23T02:30:00Z"), ["newest complete archive"]]
        ]
      )
      assert.deepStrictEqual(yield* files(), [
        name("2026-11-23T02:30:00Z"),
        name("2026-11-24T02:30:00Z"),
        name("2026-11-25T02:30:00Z")
      ])
    }).pipe(Effect.scoped)
  )

  it.effect("the real manifest reader treats a file that is not a zip as unreadable", () =>
    Effect.gen(function* () {
      const { dir, files } = yield* fixture({
        [name("2026-11-25T02:30:00Z")]: "unreadable",
        [name("2026-11-24T02:30:00Z")]: "unreadable"
      })
      const result = yield* pruneArchives(dir, { keepLast: 1 }, { dryRun: false })
      assert.deepStrictEqual(
        result.unreadable.map((u) => u.name),
        [name("2026-11-25T02:30:00Z"), name("2026-11-24T02:30:00Z")]
      )
      assert.deepStrictEqual(result.remove, [])
      assert.strictEqual((yield* files()).length, 2)
    }).pipe(Effect.scoped)
  )

  it.effect("a missing directory is a PruneError naming it", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(pruneArchives("/nonexistent/sv-prune", { keepLast: 1 }, { dryRun: false }))
      assert.strictEqual(error._tag, "PruneError")
      assert.strictEqual(error.message, "cannot read /nonexistent/sv-prune: no such file or directory")
    })
  )
})

describe("pruneArchives when a delete fails", () => {
  it.effect("stops with a PruneError naming the archive and what was already removed", () => {
    const removed: Array<string> = []
    // A store whose listing is given and whose delete is refused for one archive.
    const store = Layer.succeed(
      ArchiveStore,
      ArchiveStore.make({
        local: (location) => ({
          ...localArchives(location),
          list: Effect.succeed(
            [
              name("2026-11-25T02:30:00Z"),
              name("2026-11-24T02:30:00Z"),
              name("2026-11-23T02:30:00Z"),
              name("2026-11-22T02:30:00Z")
            ].map((n) => ({ name: n, modifiedAt: 0, size: 3 }))
          ),
          remove: (n) =>
            n === name("2026-11-23T02:30:00Z")
              ? Effect.fail(
                  new ArchiveStoreError({
                    operation: "delete",
                    target: `${location.dir}/${n}`,
                    reason: { _tag: "Denied", detail: "permission denied" }
                  })
                )
              : Effect.sync(() => void removed.push(`${location.dir}/${n}`))
        })
      })
    )
    return Effect.gen(function* () {
      const error = yield* Effect.flip(
        pruneArchives(
          "/archives",
          { keepLast: 1 },
          {
            dryRun: false,
            readState: () =>
              Effect.succeed({ createdAt: undefined, complete: true, owners: [{ login: "octo-org", complete: true }] })
          }
        )
      )
      assert.match(
        error.message,
        new RegExp(
          `^could not delete ${name("2026-11-23T02:30:00Z")}: .*\\(already removed: ${name("2026-11-24T02:30:00Z")}\\)$`
        )
      )
      assert.deepStrictEqual(removed, [`/archives/${name("2026-11-24T02:30:00Z")}`])
    }).pipe(Effect.provide(store))
  })
})

describe("pruneArchives when Object Lock retains an archive", () => {
  it.effect("reports it as retained, deletes the others, and does not fail", () => {
    const removed: Array<string> = []
    const locked = name("2026-11-23T02:30:00Z")
    const store = Layer.succeed(
      ArchiveStore,
      ArchiveStore.make({
        local: (location) => ({
          ...localArchives(location),
          list: Effect.succeed(
            [name("2026-11-25T02:30:00Z"), name("2026-11-24T02:30:00Z"), locked].map((n) => ({
              name: n,
              modifiedAt: 0,
              size: 3
            }))
          ),
          remove: (n) =>
            n === locked
              ? Effect.fail(
                  new ArchiveStoreError({
                    operation: "delete",
                    target: `${location.dir}/${n}`,
                    reason: { _tag: "Retained", detail: "Object Lock keeps it until 2026-12-01T00:00:00.000Z" }
                  })
                )
              : Effect.sync(() => void removed.push(n))
        })
      })
    )
    return Effect.gen(function* () {
      const result = yield* pruneArchives(
        "/archives",
        { keepLast: 1 },
        {
          dryRun: false,
          readState: () =>
            Effect.succeed({ createdAt: undefined, complete: true, owners: [{ login: "octo-org", complete: true }] })
        }
      )
      assert.deepStrictEqual(removed, [name("2026-11-24T02:30:00Z")])
      assert.deepStrictEqual(
        result.remove.map((a) => a.name),
        [name("2026-11-24T02:30:00Z")]
      )
      assert.deepStrictEqual(result.retained, [
        { name: locked, detail: "Object Lock keeps it until 2026-12-01T00:00:00.000Z" }
      ])
    }).pipe(Effect.provide(store))
  })
})
