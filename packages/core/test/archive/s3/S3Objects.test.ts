import { randomBytes } from "node:crypto"
import { mkdtemp, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { PutObjectCommand, type S3Client } from "@aws-sdk/client-s3"
import { assert, describe, it } from "@effect/vitest"
import { startFakeS3, type FakeS3 } from "@spaces-vault/fixtures/s3/FakeS3"
import { Effect } from "effect"
import { afterAll, beforeAll } from "vitest"
import { makeS3Client } from "../../../src/archive/s3/S3Client.ts"
import { makeS3Objects } from "../../../src/archive/s3/S3Objects.ts"

let s3: FakeS3
let client: S3Client
let dir: string

beforeAll(async () => {
  s3 = await startFakeS3({ buckets: ["vault", "pages"] })
  client = makeS3Client({ endpoint: s3.endpoint }, {}, { credentials: s3.credentials })
  dir = await mkdtemp(join(tmpdir(), "s3objects-"))
})
afterAll(async () => {
  client.destroy()
  await s3.close()
  await rm(dir, { recursive: true, force: true })
})

const fileOf = (name: string, bytes: Buffer) =>
  Effect.promise(async () => {
    const path = join(dir, name)
    await writeFile(path, bytes)
    return { path, size: bytes.length }
  })

describe("S3Objects against a local S3 server over HTTP", () => {
  it.effect("uploads a multipart file, checks it against what was written, and reads byte ranges back", () =>
    Effect.gen(function* () {
      const objects = makeS3Objects(client, "vault")
      yield* objects.probe
      const bytes = randomBytes(9 * 1024 * 1024 + 123) // two parts of 5 MiB and 4 MiB
      const file = yield* fileOf("big.zip", bytes)
      yield* objects.uploadNew("nightly/big.zip", file, undefined)
      const head = yield* objects.head("nightly/big.zip")
      assert.strictEqual(head.size, bytes.length)
      assert.match(head.etag ?? "", /-2$/)
      const range = yield* objects.readRange("nightly/big.zip", bytes.length - 100, bytes.length)
      assert.deepStrictEqual(range, bytes.subarray(bytes.length - 100))
      const listed = yield* objects.list("nightly")
      assert.deepStrictEqual(
        listed.map((o) => [o.name, o.size]),
        [["big.zip", bytes.length]]
      )
    })
  )

  it.effect("lists every page of a prefix, and only its direct children", () =>
    Effect.gen(function* () {
      const objects = makeS3Objects(client, "pages")
      yield* Effect.promise(async () => {
        for (let i = 0; i < 1005; i++) {
          await client.send(new PutObjectCommand({ Bucket: "pages", Key: `p/a-${i}.zip`, Body: "x" }))
        }
        await client.send(new PutObjectCommand({ Bucket: "pages", Key: "p/deeper/b.zip", Body: "x" }))
        await client.send(new PutObjectCommand({ Bucket: "pages", Key: "other.zip", Body: "x" }))
      })
      const listed = yield* objects.list("p")
      assert.strictEqual(listed.length, 1005)
      assert.isFalse(listed.some((o) => o.name.includes("/")))
      assert.deepStrictEqual(
        (yield* objects.list("")).map((o) => o.name),
        ["other.zip"]
      )
    })
  )

  it.effect("a bucket that does not exist fails the first request with a setup error naming it", () =>
    Effect.gen(function* () {
      const error = yield* makeS3Objects(client, "nobucket").probe.pipe(Effect.flip)
      assert.strictEqual(error._tag, "S3SetupError")
      assert.strictEqual(error.reason, "NoSuchBucket")
      assert.match(error.message, /^S3 bucket nobucket does not exist/)
    })
  )

  it.effect("an endpoint nobody listens on is unreachable at start", () =>
    Effect.gen(function* () {
      const dead = makeS3Client({ endpoint: "http://127.0.0.1:9" }, {}, { credentials: s3.credentials })
      const error = yield* makeS3Objects(dead, "vault").probe.pipe(Effect.flip)
      dead.destroy()
      assert.strictEqual(error.reason, "Unreachable")
      assert.match(error.message, /^cannot reach the S3 endpoint for bucket vault: .*ECONNREFUSED/)
    })
  )

  it.effect("deletes an object; reading it afterwards says it does not exist", () =>
    Effect.gen(function* () {
      const objects = makeS3Objects(client, "vault")
      const file = yield* fileOf("small.zip", Buffer.from("small"))
      yield* objects.uploadNew("gone.zip", file, undefined)
      assert.deepStrictEqual(yield* objects.remove("gone.zip"), { _tag: "Deleted" })
      const error = yield* objects.head("gone.zip").pipe(Effect.flip)
      assert.strictEqual(error.reason, "NoSuchKey")
    })
  )
})
