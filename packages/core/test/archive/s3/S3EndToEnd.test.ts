// Every command's core path with archives in S3, end to end over HTTP: fakehub for GitHub, a local S3 server for the
// archives. Export (twice: the second takes ETags from the first in S3), verify, inspect, diff (two archives and
// the location), replay from S3 after a deletion, and prune.
import { mkdtemp } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { startFakeHub } from "@spaces-vault/fixtures"
import { startFakeS3 } from "@spaces-vault/fixtures/s3/FakeS3"
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Layer } from "effect"
import { checkAndClose } from "../../support/hub.ts"
import type { ArchiveRef, S3Location } from "../../../src/archive/ArchiveLocation.ts"
import { ArchiveStore } from "../../../src/archive/ArchiveStore.ts"
import { diffArchives } from "../../../src/archive/Diff.ts"
import { diffDirectory } from "../../../src/archive/DirectoryDiff.ts"
import { inspectArchive } from "../../../src/archive/Inspect.ts"
import { localArchives } from "../../../src/archive/LocalArchives.ts"
import { s3Backend } from "../../../src/archive/s3/S3Archives.ts"
import { makeS3Client } from "../../../src/archive/s3/S3Client.ts"
import { verifyArchive } from "../../../src/archive/Verify.ts"
import { org } from "../../../src/domain/Owner.ts"
import { exportSpaces } from "../../../src/export/ExportSpaces.ts"
import { GitHubClient } from "../../../src/github/GitHubClient.ts"
import { emptyMaps } from "../../../src/replay/MapFiles.ts"
import { replayArchive } from "../../../src/replay/Replay.ts"
import { pruneArchives } from "../../../src/retention/Prune.ts"
import { testClientOptions } from "../../github/testClientOptions.ts"

const location: S3Location = { _tag: "S3", bucket: "vault", prefix: "nightly" }
const refOf = (display: string): ArchiveRef => ({ location, name: display.split("/").at(-1) ?? "" })

describe("archives in S3, every command's core path", () => {
  it.live(
    "export, export again with ETags from S3, verify, inspect, diff, replay and prune",
    () =>
      Effect.gen(function* () {
        const hub = yield* Effect.acquireRelease(
          Effect.promise(() => startFakeHub({ seed: "demo" })),
          (h) => Effect.promise(() => checkAndClose(h))
        )
        const s3 = yield* Effect.acquireRelease(
          Effect.promise(() => startFakeS3({ buckets: ["vault"] })),
          (s) => Effect.promise(() => s.close())
        )
        const client = yield* Effect.acquireRelease(
          Effect.sync(() => makeS3Client({ endpoint: s3.endpoint }, {}, { credentials: s3.credentials })),
          (c) => Effect.sync(() => c.destroy())
        )
        const store = Layer.succeed(
          ArchiveStore,
          ArchiveStore.make({ local: localArchives, s3: s3Backend(client, {}) })
        )
        const github = GitHubClient.layer(
          testClientOptions({
            hub,
            concurrency: 8,
            maxRetries: 2,
            backoffBase: Duration.millis(10),
            writesPerMinute: 60_000
          })
        )
        const owners = [org("octo-org")]
        yield* Effect.gen(function* () {
          const first = yield* exportSpaces({ owners, outDir: location, concurrency: 8 })
          assert.match(first.archive, /^s3:\/\/vault\/nightly\/spaces-vault-\d{8}T\d{6}Z(-\d+)?\.zip$/)
          assert.isFalse(first.partial)
          hub.state.demoChange()
          // No --since: the newest complete archive in S3 gives the ETags, so unchanged spaces cost a 304.
          const second = yield* exportSpaces({ owners, outDir: location, concurrency: 8 })
          assert.notStrictEqual(second.archive, first.archive)
          assert.isAbove(second.notModified, 0)

          const verified = yield* verifyArchive(refOf(second.archive))
          assert.isTrue(verified.ok)
          assert.strictEqual(verified.archive, second.archive)
          const inventory = yield* inspectArchive(refOf(first.archive))
          assert.isAbove(JSON.stringify(inventory).length, 0)

          const diff = yield* diffArchives(refOf(first.archive), refOf(second.archive))
          const refs = (xs: ReadonlyArray<unknown>) => JSON.stringify(xs)
          assert.include(refs(diff.changed), '"number":3')
          assert.include(refs(diff.removed), '"number":5')
          const directory = yield* diffDirectory(location)
          assert.include(JSON.stringify(directory), refOf(second.archive).name)

          // Replay from the first archive in S3 restores the space deleted since.
          const stateDir = yield* Effect.promise(() => mkdtemp(join(tmpdir(), "sv-s3-replay-")))
          const replayed = yield* replayArchive({
            archive: refOf(first.archive),
            spaces: ["octo-org/5"],
            maps: emptyMaps,
            onConflict: "skip",
            strict: false,
            dryRun: false,
            stateDir
          })
          assert.deepStrictEqual(replayed.failed, [])
          assert.strictEqual(replayed.created.length, 1)

          // Prune keeps the newest and deletes the first from the bucket.
          const pruned = yield* pruneArchives(location, { keepLast: 1 }, { dryRun: false })
          assert.deepStrictEqual(
            pruned.remove.map((a) => a.name),
            [refOf(first.archive).name]
          )
          const left = yield* Effect.flatMap(ArchiveStore.forLocation(location), (a) => a.list)
          assert.deepStrictEqual(
            left.map((a) => a.name),
            [refOf(second.archive).name]
          )
        }).pipe(Effect.provide(Layer.mergeAll(store, github)))
      }).pipe(Effect.scoped),
    60_000
  )
})
