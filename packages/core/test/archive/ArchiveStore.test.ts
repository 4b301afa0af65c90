// The seam itself: readers and writers go through whichever ArchiveStore is provided, and reading one space of an
// archive fetches a few byte ranges (the zip's end, its central directory, the manifest, one entry), in cached blocks
// (an object store answers each range with one request), never the whole file.
import { randomBytes } from "node:crypto"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { openArchive } from "../../src/archive/ArchiveReader.ts"
import { ArchiveStore } from "../../src/archive/ArchiveStore.ts"
import { openArchiveWriter } from "../../src/archive/ArchiveWriter.ts"
import { withBlockCache } from "../../src/archive/BlockCache.ts"
import { localArchives } from "../../src/archive/LocalArchives.ts"
import { completeOwner, space, tmp, writeArchive } from "./archives.ts"

/** The local backend, recording what goes through it; its reads cached in blocks, as a remote backend's are. */
const recordingStore = () => {
  const calls = { opened: [] as Array<string>, created: [] as Array<string>, bytesRead: 0, ranges: 0, size: 0 }
  const layer = Layer.succeed(
    ArchiveStore,
    ArchiveStore.make({
      local: (location) => {
        const local = localArchives(location)
        return {
          ...local,
          create: (nameFor) => {
            calls.created.push(nameFor(1) ?? "")
            return local.create(nameFor)
          },
          openRead: (name) =>
            Effect.map(local.openRead(name), (handle) => {
              calls.opened.push(name)
              calls.size = handle.size
              return withBlockCache({
                size: handle.size,
                readRange: (start: number, end: number) => {
                  calls.ranges++
                  calls.bytesRead += end - start
                  return handle.readRange(start, end)
                }
              })
            })
        }
      }
    })
  )
  return { calls, layer }
}

describe("ArchiveStore as the seam", () => {
  it.live("reading one space takes a few ranges through the provided store, a small part of the archive", () =>
    Effect.gen(function* () {
      const dir = yield* tmp
      const path = join(dir, "big.zip")
      const count = 700
      // Incompressible instructions, so that the archive is large and its entries are most of it.
      const spaces = Array.from(
        { length: count },
        (_, i) =>
          ["octo-org", space(i + 1, { general_instructions: randomBytes(3000).toString("base64") })] as [
            string,
            ReturnType<typeof space>
          ]
      )
      yield* writeArchive(path, count, [completeOwner("octo-org", count)], spaces)
      const { calls, layer } = recordingStore()
      const raw = yield* Effect.scoped(Effect.flatMap(openArchive(path), (a) => a.readSpaceRaw("octo-org", 150))).pipe(
        Effect.provide(layer)
      )
      assert.strictEqual(raw.number, 150)
      assert.deepStrictEqual(calls.opened, ["big.zip"])
      assert.isAbove(calls.size, 2_500_000)
      // Not one request per central-directory record (two per entry without the block cache), as S3 would need.
      assert.isAtMost(calls.ranges, 6)
      assert.isAtMost(calls.bytesRead, calls.size / 2, `read ${calls.bytesRead} of ${calls.size} bytes`)
    })
  )

  it.live("the writer publishes through the provided store's create and commit", () =>
    Effect.gen(function* () {
      const dir = yield* tmp
      const { calls, layer } = recordingStore()
      const written = yield* Effect.scoped(
        Effect.gen(function* () {
          const w = yield* openArchiveWriter({
            location: { _tag: "Local", dir },
            nameFor: (n) => (n === 1 ? "spaces-vault-20261125T021000Z.zip" : undefined)
          })
          yield* w.addSpace("octo-org", 1, space(1))
          return yield* w.finish({
            toolVersion: "test",
            createdAt: "2026-11-25T02:10:00Z",
            sourceApiUrl: "https://api.github.com",
            partial: false,
            owners: [completeOwner("octo-org", 1)]
          })
        })
      ).pipe(Effect.provide(layer))
      assert.strictEqual(written, join(dir, "spaces-vault-20261125T021000Z.zip"))
      assert.deepStrictEqual(calls.created, ["spaces-vault-20261125T021000Z.zip"])
      const read = yield* Effect.scoped(Effect.flatMap(openArchive(written), (a) => a.readSpaceRaw("octo-org", 1)))
      assert.strictEqual(read.number, 1)
    })
  )
})
