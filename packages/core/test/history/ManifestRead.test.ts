// The index's fast manifest read: the same manifest the reader decodes, and undefined (so the reader is used and
// says what is wrong) for a file that is not the plain zip our writer makes.
import { NodeServices } from "@effect/platform-node"
import { assert, layer } from "@effect/vitest"
import { join } from "node:path"
import { Effect } from "effect"
import { openArchive } from "../../src/archive/ArchiveReader.ts"
import { readManifestFast } from "../../src/history/ManifestRead.ts"
import { indexArchives } from "../../src/history/ArchiveIndex.ts"
import { archiveFileName } from "../../src/archive/ArchiveDirectory.ts"
import { tmp, writeArchive, writeBytes, readBytes } from "../archive/archives.ts"
import { writeOwnersArchive } from "../support/archives.ts"

layer(NodeServices.layer)("readManifestFast", (it) => {
  it.effect("reads the manifest the reader reads", () =>
    Effect.gen(function* () {
      const path = join(yield* tmp, "a.zip")
      yield* writeArchive(path, 5)
      const fast = yield* readManifestFast(path)
      const slow = yield* Effect.scoped(Effect.map(openArchive(path), (a) => a.manifest))
      assert.deepStrictEqual(fast, slow)
    })
  )

  it.effect("answers undefined for a file that is not a zip, and for a damaged manifest", () =>
    Effect.gen(function* () {
      const dir = yield* tmp
      const junk = join(dir, "junk.zip")
      yield* writeBytes(junk, "not a zip")
      assert.strictEqual(yield* readManifestFast(junk), undefined)
      const path = join(dir, "b.zip")
      yield* writeArchive(path, 2)
      // Flip a byte of the manifest's data, found after its local header.
      const bytes = Buffer.from(yield* readBytes(path))
      const header = bytes.indexOf("manifest.json") - 30
      const data = header + 30 + bytes.readUInt16LE(header + 26) + bytes.readUInt16LE(header + 28)
      bytes[data + 2] ^= 0xff
      yield* writeBytes(path, bytes)
      assert.strictEqual(yield* readManifestFast(path), undefined)
    })
  )

  it.effect("the index skips an unreadable archive and says why, keeping the others oldest first", () =>
    Effect.gen(function* () {
      const dir = yield* tmp
      yield* writeOwnersArchive(
        join(dir, archiveFileName(Date.parse("2026-01-02T00:00:00Z"))),
        "2026-01-02T00:00:00Z",
        [{ login: "octo-org", spaces: [1] }]
      )
      yield* writeOwnersArchive(
        join(dir, archiveFileName(Date.parse("2026-01-01T00:00:00Z"))),
        "2026-01-01T00:00:00Z",
        [{ login: "octo-org", spaces: [1, 2] }]
      )
      yield* writeBytes(join(dir, archiveFileName(Date.parse("2026-01-03T00:00:00Z"))), "not a zip")
      const index = yield* indexArchives(dir)
      assert.deepStrictEqual(
        index.archives.map((a) => [...a.spaces.keys()]),
        [["octo-org/1", "octo-org/2"], ["octo-org/1"]]
      )
      assert.deepStrictEqual(
        index.unreadable.map((u) => u.name),
        [archiveFileName(Date.parse("2026-01-03T00:00:00Z"))]
      )
      assert.match(index.unreadable[0]!.problem, /zip/)
    })
  )
})
