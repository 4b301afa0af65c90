// The local-directory layer of ArchiveStore: write once under a race for one name, abort leaving nothing, listing,
// ranged reads, delete, and the sweep of temp files that killed runs left.
import { mkdtemp, readdir, readFile, rm, utimes, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Readable } from "node:stream"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Scope } from "effect"
import type { LocalLocation } from "../../src/archive/ArchiveLocation.ts"
import { ArchiveStore, type LocationArchives } from "../../src/archive/ArchiveStore.ts"
import { isTempArchiveName, tempArchiveName } from "../../src/archive/LocalArchives.ts"

const tempLocation = Effect.acquireRelease(
  Effect.promise(
    async (): Promise<LocalLocation> => ({ _tag: "Local", dir: await mkdtemp(join(tmpdir(), "sv-store-")) })
  ),
  (l) => Effect.promise(() => rm(l.dir, { recursive: true, force: true }))
)

const archivesAt = (location: LocalLocation) => ArchiveStore.forLocation(location)

const names = (n: number) => (n === 1 ? "spaces-vault-20261125T021000Z.zip" : `spaces-vault-20261125T021000Z-${n}.zip`)

/** Writes `bytes` through an upload and commits it, in its own scope. */
const write = (archives: LocationArchives, bytes: string) =>
  Effect.scoped(
    Effect.gen(function* () {
      const upload = yield* archives.create(names)
      yield* Effect.promise(
        () =>
          new Promise<void>((resolve, reject) =>
            upload.stream.end(Buffer.from(bytes), () => resolve()).on("error", reject)
          )
      )
      return yield* upload.commit
    })
  )

const text = (stream: Readable) =>
  Effect.promise(async () => {
    const chunks: Array<Buffer> = []
    for await (const c of stream) chunks.push(c as Buffer)
    return Buffer.concat(chunks).toString("utf8")
  })

describe("LocalArchives", () => {
  it.live("two writes racing for one name both land: the second takes the next free name, nothing is replaced", () =>
    Effect.gen(function* () {
      const location = yield* tempLocation
      const archives = yield* archivesAt(location)
      const taken = yield* Effect.all([write(archives, "first"), write(archives, "second")], { concurrency: 2 })
      assert.deepStrictEqual([...taken].sort(), [names(1), names(2)].sort())
      const contents = yield* Effect.promise(() =>
        Promise.all(taken.map((n) => readFile(join(location.dir, n), "utf8")))
      )
      assert.deepStrictEqual([...contents].sort(), ["first", "second"])
      // No temp file is left behind.
      assert.deepStrictEqual((yield* Effect.promise(() => readdir(location.dir))).sort(), [names(1), names(2)].sort())
    }).pipe(Effect.scoped)
  )

  it.live("a write whose scope closes before commit leaves nothing: no name taken, no temp file", () =>
    Effect.gen(function* () {
      const location = yield* tempLocation
      const archives = yield* archivesAt(location)
      const scope = yield* Scope.make()
      const upload = yield* archives.create(names).pipe(Scope.provide(scope))
      upload.stream.write("half an archive")
      assert.strictEqual((yield* Effect.promise(() => readdir(location.dir))).filter(isTempArchiveName).length, 1)
      yield* Scope.close(scope, Exit.void)
      assert.deepStrictEqual(yield* Effect.promise(() => readdir(location.dir)), [])
    }).pipe(Effect.scoped)
  )

  it.live("a name with no second choice fails when taken, and the archive there is left alone", () =>
    Effect.gen(function* () {
      const location = yield* tempLocation
      const archives = yield* archivesAt(location)
      yield* Effect.promise(() => writeFile(join(location.dir, "a.zip"), "theirs"))
      const error = yield* Effect.flip(
        Effect.scoped(
          Effect.gen(function* () {
            const upload = yield* archives.create((n) => (n === 1 ? "a.zip" : undefined))
            yield* Effect.promise(() => new Promise<void>((resolve) => upload.stream.end("mine", () => resolve())))
            return yield* upload.commit
          })
        )
      )
      assert.match(error.message, /a\.zip already exists/)
      assert.strictEqual(yield* Effect.promise(() => readFile(join(location.dir, "a.zip"), "utf8")), "theirs")
      assert.deepStrictEqual(yield* Effect.promise(() => readdir(location.dir)), ["a.zip"])
    }).pipe(Effect.scoped)
  )

  it.live("lists only our archives, with sizes; reads byte ranges; deletes; a missing directory is NotFound", () =>
    Effect.gen(function* () {
      const location = yield* tempLocation
      const archives = yield* archivesAt(location)
      const name = yield* write(archives, "0123456789")
      yield* Effect.promise(() => writeFile(join(location.dir, "notes.txt"), "not ours"))
      yield* Effect.promise(() => writeFile(join(location.dir, `.${names(1)}.tmp-abcdef`), "a temp file"))
      const listed = yield* archives.list
      assert.deepStrictEqual(
        listed.map((a) => ({ name: a.name, size: a.size })),
        [{ name, size: 10 }]
      )
      const read = yield* Effect.scoped(
        Effect.gen(function* () {
          const handle = yield* archives.openRead(name)
          return {
            size: handle.size,
            middle: yield* text(handle.readRange(3, 7)),
            // Concurrent ranges on one handle do not disturb each other.
            both: yield* Effect.all([text(handle.readRange(0, 2)), text(handle.readRange(8, 10))], { concurrency: 2 }),
            empty: yield* text(handle.readRange(5, 5))
          }
        })
      )
      assert.deepStrictEqual(read, { size: 10, middle: "3456", both: ["01", "89"], empty: "" })
      yield* archives.remove(name)
      assert.deepStrictEqual(yield* archives.list, [])
      const gone = yield* Effect.flip(archives.remove(name))
      assert.strictEqual(gone.reason._tag, "NotFound")
      const missing = yield* Effect.flip(Effect.scoped(archives.openRead(name)))
      assert.strictEqual(missing.reason._tag, "NotFound")
      const nowhere = yield* archivesAt({ _tag: "Local", dir: join(location.dir, "nope") })
      const error = yield* Effect.flip(nowhere.list)
      assert.strictEqual(error.message, `cannot read ${join(location.dir, "nope")}: no such file or directory`)
    }).pipe(Effect.scoped)
  )

  it.live("removes temp archives untouched for a day, keeps fresh ones and files that are not ours", () =>
    Effect.gen(function* () {
      const location = yield* tempLocation
      const archives = yield* archivesAt(location)
      const now = Date.parse("2026-11-25T02:30:00Z")
      const files = {
        stale: tempArchiveName(names(1)),
        fresh: tempArchiveName(names(2)),
        notOurs: ".notes.zip.tmp-abcdef",
        archive: names(3)
      }
      const ageHours = { stale: 24, fresh: 23, notOurs: 100, archive: 100 }
      for (const [key, name] of Object.entries(files)) {
        const at = new Date(now - ageHours[key as keyof typeof files] * 3_600_000)
        yield* Effect.promise(() =>
          writeFile(join(location.dir, name), "x").then(() => utimes(join(location.dir, name), at, at))
        )
      }
      const outcomes = yield* archives.removeStaleTemps(now)
      assert.deepStrictEqual(outcomes, [{ _tag: "Removed", name: files.stale, modifiedAt: now - 24 * 3_600_000 }])
      assert.deepStrictEqual(
        (yield* Effect.promise(() => readdir(location.dir))).sort(),
        [files.fresh, files.notOurs, files.archive].sort()
      )
    }).pipe(Effect.scoped)
  )

  it.effect("an S3 location without the S3 layer is refused, naming the location", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(ArchiveStore.forLocation({ _tag: "S3", bucket: "vault", prefix: "nightly" }))
      assert.strictEqual(error.message, "s3://vault/nightly: S3 support is not available in this build")
    }).pipe(Effect.provide(ArchiveStore.layerLocal))
  )
})
