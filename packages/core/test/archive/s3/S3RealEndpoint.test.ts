// What no local server implements, against a real S3 endpoint: only when S3_TEST_ENDPOINT and S3_TEST_BUCKET (a
// bucket created with Object Lock) are set, with credentials from the AWS chain. Skipped otherwise, saying why.
import { randomBytes } from "node:crypto"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { archiveFileName } from "../../../src/archive/ArchiveName.ts"
import type { LocationArchives } from "../../../src/archive/ArchiveStore.ts"
import { s3Backend } from "../../../src/archive/s3/S3Archives.ts"
import { makeS3Client } from "../../../src/archive/s3/S3Client.ts"
import { makeS3Objects } from "../../../src/archive/s3/S3Objects.ts"

const endpoint = process.env.S3_TEST_ENDPOINT
const bucket = process.env.S3_TEST_BUCKET ?? ""
const enabled = endpoint !== undefined && endpoint !== "" && bucket !== ""
const title = enabled
  ? `against the real S3 endpoint ${endpoint} (bucket ${bucket})`
  : "against a real S3 endpoint: skipped, set S3_TEST_ENDPOINT and S3_TEST_BUCKET (a bucket with Object Lock) to run"

describe.skipIf(!enabled)(title, () => {
  const prefix = `spaces-vault-test-${Date.now()}`
  const client = () => makeS3Client({ endpoint }, process.env)
  const nameFor = (sequence: number) => archiveFileName(Date.UTC(2026, 0, 1), sequence)
  const put = (archives: LocationArchives, bytes: Buffer) =>
    Effect.scoped(
      Effect.gen(function* () {
        const upload = yield* archives.create(nameFor)
        yield* Effect.promise(() => new Promise<void>((resolve) => upload.stream.end(bytes, () => resolve())))
        return yield* upload.commit
      })
    )

  it.live("a conditional write to a taken key is refused with 412", () =>
    Effect.gen(function* () {
      const objects = makeS3Objects(client(), bucket)
      const archives = s3Backend(client(), {})({ _tag: "S3", bucket: bucket, prefix })
      const name = yield* put(archives, randomBytes(100))
      const error = yield* objects
        .uploadNew(`${prefix}/${name}`, { path: "/dev/null", size: 0 }, undefined)
        .pipe(Effect.flip)
      assert.strictEqual(error.reason, "NameTaken")
    })
  )

  it.live("Object Lock: a governance retain-until is set (with the checksum it requires) and blocks the delete", () =>
    Effect.gen(function* () {
      const archives = s3Backend(client(), { objectLock: { days: 1, mode: "GOVERNANCE" } })({
        _tag: "S3",
        bucket: bucket,
        prefix: `${prefix}-locked`
      })
      const small = yield* put(archives, randomBytes(1000))
      const large = yield* put(archives, randomBytes(9 * 1024 * 1024))
      const objects = makeS3Objects(client(), bucket)
      for (const name of [small, large]) {
        const head = yield* objects.head(`${prefix}-locked/${name}`)
        assert.isDefined(head.retainUntil)
        const error = yield* archives.remove(name).pipe(Effect.flip)
        assert.strictEqual(error.reason._tag, "Retained")
      }
    })
  )
})
