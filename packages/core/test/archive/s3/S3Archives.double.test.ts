// What no local S3 server implements, through a request-handler double in front of a local server over HTTP:
// conditional writes (412), Object Lock headers and their required checksum, stores that reject checksum headers,
// locked deletes, a stored object that differs from the upload, and the sweep of stale multipart uploads.
import { randomBytes } from "node:crypto"
import { assert, describe, it } from "@effect/vitest"
import { startFakeS3, type FakeS3 } from "@spaces-vault/fixtures/s3/FakeS3"
import { Deferred, Effect, Exit, Fiber } from "effect"
import { afterAll, beforeAll } from "vitest"
import { archiveFileName } from "../../../src/archive/ArchiveName.ts"
import type { LocationArchives } from "../../../src/archive/ArchiveStore.ts"
import { s3Backend } from "../../../src/archive/s3/S3Archives.ts"
import type { S3Settings } from "../../../src/archive/s3/S3Client.ts"
import { carriesChecksum, doubledClient, isObjectCreation, keyOfRequest, type Rule } from "./S3RequestDouble.ts"

let s3: FakeS3
beforeAll(async () => {
  s3 = await startFakeS3({ buckets: ["vault"] })
})
afterAll(() => s3.close())

const T = Date.UTC(2026, 11, 8, 2, 0, 0)
const nameFor = (sequence: number) => archiveFileName(T, sequence)
const MULTIPART = 9 * 1024 * 1024

const backend = (prefix: string, rules: ReadonlyArray<Rule>, settings: S3Settings = {}) => {
  const { client, seen } = doubledClient(s3, rules)
  const archives: LocationArchives = s3Backend(client, settings)({ _tag: "S3", bucket: "vault", prefix })
  return { archives, seen, client }
}

const createArchive = (archives: LocationArchives, bytes: Buffer) =>
  Effect.scoped(
    Effect.gen(function* () {
      const upload = yield* archives.create(nameFor)
      yield* Effect.promise(() => new Promise<void>((resolve) => upload.stream.end(bytes, () => resolve())))
      return yield* upload.commit
    })
  )

describe("the S3 backend, through a client-level double", () => {
  it.effect(
    "a name another writer took after the listing is refused by the conditional write (412): the next free name",
    () =>
      Effect.gen(function* () {
        const { archives, seen } = backend("race", [
          (r) =>
            isObjectCreation(r) && keyOfRequest(r) === `race/${nameFor(1)}` && r.headers["if-none-match"] === "*"
              ? { status: 412, code: "PreconditionFailed" }
              : undefined
        ])
        assert.strictEqual(yield* createArchive(archives, Buffer.from("small")), nameFor(2))
        assert.strictEqual(yield* createArchive(archives, randomBytes(MULTIPART)), nameFor(3))
        assert.deepStrictEqual((yield* archives.list).map((a) => a.name).sort(), [nameFor(2), nameFor(3)])
        const creations = seen.filter(isObjectCreation)
        assert.isTrue(creations.length >= 3)
        assert.isTrue(creations.every((r) => r.headers["if-none-match"] === "*"))
      })
  )

  it.effect("with a custom endpoint, no request carries a checksum header a store might reject", () =>
    Effect.gen(function* () {
      const rejects: Rule = (r) =>
        carriesChecksum(r) || "x-amz-sdk-checksum-algorithm" in r.headers
          ? { status: 501, code: "NotImplemented" }
          : undefined
      const { archives } = backend("plain", [rejects])
      assert.strictEqual(yield* createArchive(archives, Buffer.from("small")), nameFor(1))
      assert.strictEqual(yield* createArchive(archives, randomBytes(MULTIPART)), nameFor(2))
    })
  )

  for (const mode of ["GOVERNANCE", "COMPLIANCE"] as const) {
    it.effect(
      `--object-lock-days sets a ${mode.toLowerCase()} retain-until, with the checksum S3 requires on every request`,
      () =>
        Effect.gen(function* () {
          // As S3 does: Object Lock parameters (and the parts of such an upload) without a checksum are refused.
          const requireChecksum: Rule = (r) =>
            r.method === "PUT" && !carriesChecksum(r) ? { status: 400, code: "InvalidRequest" } : undefined
          const { archives, seen } = backend(`locked-${mode}`, [requireChecksum], { objectLock: { days: 30, mode } })
          yield* createArchive(archives, Buffer.from("small"))
          yield* createArchive(archives, randomBytes(MULTIPART))
          const locking = seen.filter((r) => "x-amz-object-lock-mode" in r.headers)
          assert.strictEqual(locking.length, 2) // the single PUT and the multipart upload's creation
          for (const r of locking) {
            assert.strictEqual(r.headers["x-amz-object-lock-mode"], mode)
            // TestClock starts at 0: thirty days later.
            assert.strictEqual(r.headers["x-amz-object-lock-retain-until-date"], "1970-01-31T00:00:00Z")
          }
          assert.isTrue(seen.filter((r) => r.method === "PUT").every(carriesChecksum))
        })
    )
  }

  it.effect("an archive Object Lock retains is not deleted, and says so (no DELETE is sent)", () =>
    Effect.gen(function* () {
      const { archives, seen } = backend("retained", [
        (r) =>
          r.method === "HEAD" && keyOfRequest(r).endsWith(".zip")
            ? {
                status: 200,
                headers: { "content-length": "5", "x-amz-object-lock-retain-until-date": "2999-01-01T00:00:00.000Z" }
              }
            : undefined
      ])
      const error = yield* archives.remove(nameFor(1)).pipe(Effect.flip)
      assert.strictEqual(error.reason._tag, "Retained")
      assert.strictEqual(
        error.message,
        `s3://vault/retained/${nameFor(1)} is retained: Object Lock keeps it until 2999-01-01T00:00:00.000Z`
      )
      assert.isFalse(seen.some((r) => r.method === "DELETE"))
    })
  )

  it.effect("a delete the store refuses (bucket default retention) is retained, not a failure of the run", () =>
    Effect.gen(function* () {
      const { archives } = backend("refused", [
        (r) => (r.method === "DELETE" ? { status: 403, code: "AccessDenied" } : undefined)
      ])
      const name = yield* createArchive(archives, Buffer.from("x"))
      const error = yield* archives.remove(name).pipe(Effect.flip)
      assert.strictEqual(error.reason._tag, "Retained")
      assert.match(
        error.message,
        /is retained: the store refused the delete \(Object Lock, or no s3:DeleteObject permission\)$/
      )
      assert.strictEqual((yield* archives.list).length, 1)
    })
  )

  it.effect("an object that differs from what was uploaded fails the write, naming bucket and cause", () =>
    Effect.gen(function* () {
      const { archives } = backend("mismatch", [
        (r) =>
          r.method === "HEAD" && keyOfRequest(r).endsWith(".zip")
            ? { status: 200, headers: { "content-length": "5", etag: '"0123456789abcdef0123456789abcdef"' } }
            : undefined
      ])
      const error = yield* createArchive(archives, Buffer.from("small")).pipe(Effect.flip)
      assert.strictEqual(error.reason._tag, "Failed")
      assert.match(
        error.message,
        /^cannot write s3:\/\/vault\/mismatch\/spaces-vault-.*\.zip: s3:\/\/vault\/mismatch\/.* does not hold what was uploaded: its ETag/
      )
    })
  )

  it.effect("an upload interrupted after its first part aborts the multipart upload: nothing at a final name", () =>
    Effect.gen(function* () {
      const partSent = yield* Deferred.make<void>()
      const { archives, seen } = backend("interrupted", [
        (r) => {
          if (r.method === "PUT" && "partNumber" in r.query) Deferred.doneUnsafe(partSent, Exit.void)
          return undefined
        }
      ])
      const fiber = yield* Effect.forkChild(createArchive(archives, randomBytes(40 * 1024 * 1024)))
      yield* Deferred.await(partSent)
      yield* Fiber.interrupt(fiber)
      assert.deepStrictEqual(yield* archives.list, [])
      assert.isTrue(seen.some((r) => r.method === "DELETE" && "uploadId" in r.query))
      assert.isFalse(seen.some((r) => r.method === "POST" && "uploadId" in r.query))
    })
  )

  it.effect("cleanup aborts incomplete uploads older than a day and leaves younger ones", () =>
    Effect.gen(function* () {
      const now = Date.UTC(2026, 11, 8, 12, 0, 0)
      const upload = (key: string, id: string, at: number) =>
        `<Upload><Key>${key}</Key><UploadId>${id}</UploadId><Initiated>${new Date(at).toISOString()}</Initiated></Upload>`
      const { archives, seen } = backend("stale", [
        (r) =>
          r.method === "GET" && "uploads" in r.query
            ? {
                status: 200,
                body: `<?xml version="1.0"?><ListMultipartUploadsResult><Bucket>vault</Bucket><IsTruncated>false</IsTruncated>${upload("stale/old.zip", "u-old", now - 2 * 86_400_000)}${upload("stale/new.zip", "u-new", now - 3_600_000)}</ListMultipartUploadsResult>`
              }
            : undefined,
        (r) => (r.method === "DELETE" && "uploadId" in r.query ? { status: 204 } : undefined)
      ])
      const outcomes = yield* archives.removeStaleTemps(now)
      assert.deepStrictEqual(outcomes, [
        { _tag: "Removed", name: "incomplete upload of stale/old.zip", modifiedAt: now - 2 * 86_400_000 }
      ])
      assert.deepStrictEqual(
        seen.filter((r) => r.method === "DELETE").map((r) => r.query.uploadId),
        ["u-old"]
      )
    })
  )
})
