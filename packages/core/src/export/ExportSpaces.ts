// `exportSpaces`, the export's entry: the output location (through ArchiveStore), the earlier archives whose ETags
// make unchanged spaces free (EarlierArchives), and a new archive written atomically by `archiveOwners`, encrypted
// when recipients are given. The CLI and the worker call this.
import { Clock, Effect } from "effect"
import { archiveFileName } from "../archive/ArchiveDirectory.ts"
import { locationOfSource } from "../archive/ArchiveLocation.ts"
import { ArchiveStore, type ArchiveStoreError } from "../archive/ArchiveStore.ts"
import { openArchiveWriter } from "../archive/ArchiveWriter.ts"
import { entryEncrypter } from "../crypto/EntryCipher.ts"
import { GitHubClient } from "../github/GitHubClient.ts"
import { DEFAULT_CONCURRENCY } from "../github/GitHubConfig.ts"
import { TOOL_VERSION } from "../version.ts"
import { archiveOwners } from "./ArchiveOwners.ts"
import { earlierArchives } from "./EarlierArchives.ts"
import { ExportError } from "./ExportError.ts"
import type { ExportOptions, ExportProgress, ExportSummary } from "./ExportTypes.ts"

export { ExportError } from "./ExportError.ts"

export interface ExportHooks {
  readonly onProgress?: ((event: ExportProgress) => Effect.Effect<void>) | undefined
  readonly onWarning?: ((message: string) => Effect.Effect<void>) | undefined
}

/**
 * Fails with ExportError, and leaves no archive, when the token is rejected, files cannot be written, the named
 * earlier archive cannot be read, or no owner could be read at all.
 */
export const exportSpaces = (
  options: ExportOptions & ExportHooks
): Effect.Effect<ExportSummary, ExportError | ArchiveStoreError, GitHubClient> =>
  Effect.scoped(
    Effect.gen(function* () {
      const started = yield* Clock.currentTimeMillis
      const client = yield* GitHubClient
      const warn = options.onWarning ?? (() => Effect.void)
      const out = locationOfSource(options.outDir)
      // A location that cannot be reached at all (no such bucket, access denied, unreachable) stays an
      // ArchiveStoreError `Unavailable`: a setting to fix (exit 2), not a failed run.
      const startFailed = (e: ArchiveStoreError) =>
        e.reason._tag === "Unavailable" ? e : ExportError.fileFailed(e.message)
      const archives = yield* ArchiveStore.forLocation(out).pipe(Effect.mapError(startFailed))
      // Made (or checked) before any request: a location that cannot be written is found before GitHub is asked.
      yield* archives.prepare.pipe(Effect.mapError(startFailed))

      const earlier = yield* earlierArchives(options, warn)
      const runId = options.runId ?? new Date(started).toISOString()
      // The first free name of this second: another export may finish into the same directory at the same time.
      const writer = yield* openArchiveWriter(
        { location: out, nameFor: (sequence) => archiveFileName(started, sequence, options.shard) },
        { encryption: options.encryptTo === undefined ? undefined : entryEncrypter(options.encryptTo) }
      ).pipe(Effect.mapError((e) => ExportError.fileFailed(e.message)))
      const result = yield* archiveOwners({
        owners: options.owners,
        concurrency: options.concurrency ?? DEFAULT_CONCURRENCY,
        previousFor: earlier.previousFor,
        earlierRepositories: earlier.repositories,
        onProgress: options.onProgress,
        onWarning: options.onWarning,
        sink: {
          addSpace: writer.addSpace,
          setRepositories: writer.setRepositories,
          copyEncrypted: writer.copyEncrypted,
          finish: (m) =>
            writer.finish({
              ...m,
              toolVersion: TOOL_VERSION,
              shard: options.shard,
              runId
            })
        }
      })
      const stats = yield* client.stats
      const finished = yield* Clock.currentTimeMillis
      return {
        archive: result.archive,
        partial: result.partial,
        owners: result.owners,
        requests: stats.sent,
        notModified: stats.notModified,
        rateLimitWaits: stats.rateLimitWaits,
        durationMs: finished - started,
        runId
      } satisfies ExportSummary
    })
  )
