// An archive in S3 read the way every command reads one: yauzl over the store's ranged reads, against a local S3
// server over HTTP. One space is read without fetching the whole archive.
import { randomBytes } from "node:crypto"
import { mkdtemp, readFile, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { startFakeS3, type FakeS3 } from "@spaces-vault/fixtures/s3/FakeS3"
import { Effect, Layer, Stream } from "effect"
import { afterAll, beforeAll } from "vitest"
import type { ArchiveRef } from "../../../src/archive/ArchiveLocation.ts"
import { archiveFileName } from "../../../src/archive/ArchiveName.ts"
import { openArchive } from "../../../src/archive/ArchiveReader.ts"
import { ArchiveStore } from "../../../src/archive/ArchiveStore.ts"
import { localArchives } from "../../../src/archive/LocalArchives.ts"
import { s3Backend } from "../../../src/archive/s3/S3Archives.ts"
import { writeOwnersArchive } from "../../support/archives.ts"
import { doubledClient } from "./S3RequestDouble.ts"

let s3: FakeS3
let dir: string
beforeAll(async () => {
  s3 = await startFakeS3({ buckets: ["vault"] })
  dir = await mkdtemp(join(tmpdir(), "s3reading-"))
})
afterAll(async () => {
  await s3.close()
  await rm(dir, { recursive: true, force: true })
})

const SPACES = 400

describe("archives in S3 read through the store", () => {
  it.effect("opens the table of contents and one space with ranged reads, not the whole archive", () =>
    Effect.gen(function* () {
      const local = join(dir, "a.zip")
      // Incompressible content, so the archive is several MiB and a whole-archive read would show.
      const spaces = Array.from(
        { length: SPACES },
        (_, i) => [i + 1, { blob: randomBytes(12_000).toString("base64") }] as const
      )
      yield* writeOwnersArchive(local, "2026-12-08T02:00:00.000Z", [{ login: "acme", spaces }])
      const bytes = yield* Effect.promise(() => readFile(local))

      const { client, seen } = doubledClient(s3, [])
      const store = ArchiveStore.make({ local: localArchives, s3: s3Backend(client, {}) })
      const archives = yield* store.at({ _tag: "S3", bucket: "vault", prefix: "nightly" })
      const name = yield* Effect.scoped(
        Effect.gen(function* () {
          const upload = yield* archives.create((n) => archiveFileName(Date.UTC(2026, 11, 8, 2), n))
          yield* Effect.promise(() => new Promise<void>((resolve) => upload.stream.end(bytes, () => resolve())))
          return yield* upload.commit
        })
      )
      const ref: ArchiveRef = { location: archives.location, name }
      const before = seen.length
      const space = yield* Effect.scoped(
        Effect.gen(function* () {
          const archive = yield* openArchive(ref)
          assert.strictEqual(archive.entries.size, SPACES + 2) // the spaces, repositories.json, manifest.json
          return yield* archive.readSpace("acme", 123)
        })
      ).pipe(Effect.provide(Layer.succeed(ArchiveStore, store)))
      assert.strictEqual(space.space.number, 123)
      const gets = seen.slice(before).filter((r) => r.method === "GET")
      const fetched = gets
        .map((r) => /bytes=(\d+)-(\d+)/.exec(r.headers.range ?? ""))
        .reduce((sum, m) => sum + (m === null ? Number.POSITIVE_INFINITY : Number(m[2]) - Number(m[1]) + 1), 0)
      assert.isBelow(gets.length, 10)
      assert.isBelow(fetched, bytes.length / 2)

      // Every space streams back intact (each entry's sha256 is checked against the manifest as it is read).
      const count = yield* Effect.scoped(
        Effect.gen(function* () {
          const archive = yield* openArchive(ref)
          return yield* Stream.runCount(archive.spaces)
        })
      ).pipe(Effect.provide(Layer.succeed(ArchiveStore, store)))
      assert.strictEqual(count, SPACES)
      client.destroy()
    })
  )
})
