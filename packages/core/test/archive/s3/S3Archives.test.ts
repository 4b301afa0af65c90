import { randomBytes } from "node:crypto"
import type { Readable } from "node:stream"
import type { S3Client } from "@aws-sdk/client-s3"
import { assert, describe, it } from "@effect/vitest"
import { startFakeS3, type FakeS3 } from "@spaces-vault/fixtures/s3/FakeS3"
import { Effect, Exit, Scope } from "effect"
import { afterAll, beforeAll } from "vitest"
import type { S3Location } from "../../../src/archive/ArchiveLocation.ts"
import { archiveFileName } from "../../../src/archive/ArchiveName.ts"
import type { LocationArchives } from "../../../src/archive/ArchiveStore.ts"
import { s3Backend } from "../../../src/archive/s3/S3Archives.ts"
import { makeS3Client } from "../../../src/archive/s3/S3Client.ts"
import { makeS3Objects } from "../../../src/archive/s3/S3Objects.ts"

let s3: FakeS3
let client: S3Client

beforeAll(async () => {
  s3 = await startFakeS3({ buckets: ["vault"] })
  client = makeS3Client({ endpoint: s3.endpoint }, {}, { credentials: s3.credentials })
})
afterAll(async () => {
  client.destroy()
  await s3.close()
})

const at = (prefix: string, bucket = "vault"): LocationArchives =>
  s3Backend(client, {})({ _tag: "S3", bucket, prefix } satisfies S3Location)

const T = Date.UTC(2026, 11, 8, 2, 0, 0)
const nameFor = (sequence: number) => archiveFileName(T, sequence)

const write = (stream: NodeJS.WritableStream, bytes: Buffer) =>
  Effect.promise(
    () =>
      new Promise<void>((resolve, reject) => {
        stream.once("error", reject)
        stream.end(bytes, () => resolve())
      })
  )

const readAll = (stream: Readable) =>
  Effect.promise(async () => {
    const chunks: Array<Buffer> = []
    for await (const c of stream) chunks.push(c as Buffer)
    return Buffer.concat(chunks)
  })

const createArchive = (archives: LocationArchives, bytes: Buffer) =>
  Effect.scoped(
    Effect.gen(function* () {
      const upload = yield* archives.create(nameFor)
      yield* write(upload.stream, bytes)
      return yield* upload.commit
    })
  )

describe("the S3 backend against a local S3 server over HTTP", () => {
  it.effect("publishes under the first free name, never over an archive, and lists only archives", () =>
    Effect.gen(function* () {
      const archives = at("nightly")
      const first = yield* createArchive(archives, Buffer.from("one"))
      const second = yield* createArchive(archives, Buffer.from("two"))
      assert.strictEqual(first, nameFor(1))
      assert.strictEqual(second, nameFor(2))
      yield* Effect.promise(() =>
        makeS3Objects(client, "vault")
          .streamRange("nightly/spaces-vault-20261208T020000Z.zip", 0, 3)
          .then(async (b) => {
            const chunks: Array<Buffer> = []
            for await (const c of b) chunks.push(c as Buffer)
            assert.strictEqual(Buffer.concat(chunks).toString(), "one")
          })
      )
      const listed = yield* archives.list
      assert.deepStrictEqual(
        listed.map((a) => [a.name, a.size]).sort(),
        [
          [nameFor(2), 3],
          [nameFor(1), 3]
        ].sort()
      )
    })
  )

  it.effect("a write whose scope closes before commit (a killed export) leaves no object", () =>
    Effect.gen(function* () {
      const archives = at("killed")
      yield* Effect.scoped(
        Effect.gen(function* () {
          const upload = yield* archives.create(nameFor)
          yield* write(upload.stream, randomBytes(1000))
        })
      )
      assert.deepStrictEqual(yield* archives.list, [])
    })
  )

  it.effect("reads byte ranges of an archive, small ones through read-ahead and large ones streamed", () =>
    Effect.gen(function* () {
      const archives = at("ranges")
      const bytes = randomBytes(3 * 1024 * 1024 + 17)
      const name = yield* createArchive(archives, bytes)
      const scope = yield* Scope.make()
      const handle = yield* archives.openRead(name).pipe(Scope.provide(scope))
      assert.strictEqual(handle.size, bytes.length)
      assert.deepStrictEqual(yield* readAll(handle.readRange(10, 40)), bytes.subarray(10, 40))
      assert.deepStrictEqual(yield* readAll(handle.readRange(50, 90)), bytes.subarray(50, 90))
      assert.deepStrictEqual(
        yield* readAll(handle.readRange(bytes.length - 2_000_000, bytes.length)),
        bytes.subarray(bytes.length - 2_000_000)
      )
      yield* Scope.close(scope, Exit.void)
    })
  )

  it.effect("deletes an archive; a second delete says it is gone", () =>
    Effect.gen(function* () {
      const archives = at("delete")
      const name = yield* createArchive(archives, Buffer.from("x"))
      yield* archives.remove(name)
      assert.deepStrictEqual(yield* archives.list, [])
      const error = yield* archives.remove(name).pipe(Effect.flip)
      assert.strictEqual(error.reason._tag, "NotFound")
    })
  )

  it.effect("a missing bucket is a setup failure naming it, before anything is written", () =>
    Effect.gen(function* () {
      const error = yield* at("x", "missing-bucket").list.pipe(Effect.flip)
      assert.strictEqual(error.reason._tag, "Unavailable")
      assert.match(error.message, /^s3:\/\/missing-bucket\/x: S3 bucket missing-bucket does not exist/)
    })
  )
})
