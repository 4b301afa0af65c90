// The export as callers see it: picks the earlier archive for conditional requests, opens an atomic writer that
// finishes under the first free name of its second in the output directory, runs the pipeline and reports. The
// CLI and the worker call this.
import { mkdir, readdir } from "node:fs/promises"
import { join } from "node:path"
import { Clock, Effect, type Scope } from "effect"
import type { SpaceEtags } from "../archive/ArchiveFormat.ts"
import type { ArchiveError } from "../archive/ArchiveError.ts"
import { openArchive, parseSpacePath } from "../archive/ArchiveReader.ts"
import { openArchiveWriter } from "../archive/ArchiveWriter.ts"
import { GitHubClient } from "../github/GitHubClient.ts"
import { DEFAULT_CONCURRENCY } from "../github/GitHubConfig.ts"
import { archiveFileName, compareArchiveNamesDesc, parseArchiveFileName } from "../retention/ArchiveName.ts"
import { readManifestState } from "../retention/Prune.ts"
import { TOOL_VERSION } from "../version.ts"
import type { PreviousArchive } from "./ExportPorts.ts"
import { ExportError } from "./ExportError.ts"
import { runExportPipeline } from "./ExportPipeline.ts"
import type { ExportOptions, ExportProgress, ExportSummary } from "./ExportTypes.ts"

export { ExportError } from "./ExportError.ts"

export interface ExportHooks {
  readonly onProgress?: ((event: ExportProgress) => Effect.Effect<void>) | undefined
  readonly onWarning?: ((message: string) => Effect.Effect<void>) | undefined
}

const fsError = (what: string) => (e: unknown) =>
  new ExportError({ message: `${what}: ${e instanceof Error ? e.message.replace(/^[A-Z]+: /, "") : String(e)}` })

/** Our archives in a directory, newest first. */
export const listArchives = (dir: string) =>
  Effect.tryPromise({ try: () => readdir(dir), catch: fsError(`cannot read ${dir}`) }).pipe(
    Effect.map((names) => names.filter((n) => parseArchiveFileName(n) !== undefined).sort(compareArchiveNamesDesc))
  )

/**
 * The earlier archive to take ETags from when --since is not given: the newest complete one among the last few,
 * else the newest. A partial one may hold nothing at all (a night GitHub could not be reached), and then every
 * space would cost a full request again; an older complete one still answers 304 for all that has not changed.
 */
const defaultSince = (dir: string) =>
  Effect.gen(function* () {
    const names = yield* listArchives(dir)
    for (const name of names.slice(0, 10)) {
      const complete = yield* readManifestState(join(dir, name)).pipe(
        Effect.map((state) => state.complete),
        Effect.orElseSucceed(() => false)
      )
      if (complete) return join(dir, name)
    }
    return names[0] === undefined ? undefined : join(dir, names[0])
  })

/** Opens the earlier archive and keeps only its ETags in memory; contents are read back on 304. */
const loadPrevious = (path: string): Effect.Effect<PreviousArchive, ArchiveError, Scope.Scope> =>
  Effect.gen(function* () {
    const archive = yield* openArchive(path)
    const repositories = yield* archive.repositories
    const etags = new Map<string, SpaceEtags>()
    // Read each entry once for its ETags: memory holds two short strings per space.
    for (const entry of archive.manifest.entries) {
      const space = parseSpacePath(entry.path)
      if (space === undefined) continue
      const raw = yield* archive.readJson(entry.path)
      const e = (raw as { etags?: SpaceEtags }).etags
      if (e !== undefined && (e.space !== undefined || e.collaborators !== undefined))
        etags.set(`${space.ownerLogin}/${space.number}`, e)
    }
    return {
      path,
      etags: (owner, number) => etags.get(`${owner.toLowerCase()}/${number}`),
      readSpace: (owner, number) => archive.readSpaceRaw(owner, number),
      repositories
    }
  })

export const exportSpaces = (
  options: ExportOptions & ExportHooks
): Effect.Effect<ExportSummary, ExportError, GitHubClient> =>
  Effect.scoped(
    Effect.gen(function* () {
      const started = yield* Clock.currentTimeMillis
      const client = yield* GitHubClient
      const warn = options.onWarning ?? (() => Effect.void)
      yield* Effect.tryPromise({
        try: () => mkdir(options.outDir, { recursive: true, mode: 0o700 }),
        catch: fsError(`cannot create the output directory ${options.outDir}`)
      })

      // The earlier archive: --since, else the newest complete one in the output directory. An unreadable one only
      // costs budget.
      const sincePath = options.since ?? (yield* defaultSince(options.outDir))
      const previous =
        sincePath === undefined
          ? undefined
          : yield* loadPrevious(sincePath).pipe(
              Effect.catchTag("ArchiveError", (e) =>
                options.since !== undefined
                  ? Effect.fail(new ExportError({ message: `--since: ${e.message}` }))
                  : warn(`not reusing ${sincePath} for conditional requests: ${e.message}`).pipe(Effect.as(undefined))
              )
            )

      // The first free name of this second: another export may finish into the same directory at the same time.
      const writer = yield* openArchiveWriter((sequence) =>
        join(options.outDir, archiveFileName(started, sequence))
      ).pipe(Effect.mapError((e) => new ExportError({ message: e.message })))
      const result = yield* runExportPipeline({
        owners: options.owners,
        concurrency: options.concurrency ?? DEFAULT_CONCURRENCY,
        previous,
        onProgress: options.onProgress,
        onWarning: options.onWarning,
        sink: {
          addSpace: writer.addSpace,
          setRepositories: writer.setRepositories,
          finish: (m) => writer.finish({ ...m, toolVersion: TOOL_VERSION })
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
        durationMs: finished - started
      } satisfies ExportSummary
    })
  )
