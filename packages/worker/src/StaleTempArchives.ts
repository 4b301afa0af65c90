// Housekeeping at the start of a run: temporary archives that a killed export (SIGKILL, power loss) left behind.
import { readdir, stat, unlink } from "node:fs/promises"
import { join } from "node:path"
import { Effect } from "effect"
import { parseArchiveFileName } from "@spaces-vault/core/archive/ArchiveDirectory"

/** Not modified for this long, a temporary archive is no export's work in progress. */
const STALE_TEMP_MS = 24 * 60 * 60 * 1000

/** The archive writer's hidden temporary name: `.spaces-vault-<time>.zip.tmp-<hex>`, for one of our archive names. */
const isTempArchive = (name: string): boolean => {
  const m = /^\.(.+)\.tmp-[0-9a-f]+$/.exec(name)
  return m !== null && parseArchiveFileName(m[1]!) !== undefined
}

/**
 * Removes temporary archives that a killed export (SIGKILL, power loss) left behind; called while holding the lock,
 * so no worker is writing one. A CLI export takes no lock and may be writing into the same directory, but it writes
 * continuously, so only files untouched for a day are removed. Housekeeping: a problem is logged, never fails the run.
 */
export const removeStaleTempArchives = (dir: string, nowMs: number) =>
  Effect.gen(function* () {
    const names = yield* Effect.promise(() => readdir(dir).catch(() => [] as Array<string>))
    for (const name of names.filter(isTempArchive)) {
      const path = join(dir, name)
      const removed = yield* Effect.promise(async () => {
        const info = await stat(path).catch(() => undefined) // gone already: an export finished with it
        if (info === undefined || nowMs - info.mtimeMs < STALE_TEMP_MS) return undefined
        return unlink(path).then(
          () => ({ ok: true as const, modified: info.mtime.toISOString() }),
          // ENOENT: an export finished with it between the stat and now.
          (e: NodeJS.ErrnoException) =>
            e.code === "ENOENT" ? undefined : { ok: false as const, problem: e.code ?? e.message }
        )
      })
      if (removed === undefined) continue
      yield* removed.ok
        ? Effect.logInfo(
            `removed temporary archive ${name}: left by an interrupted export, last modified ${removed.modified}`
          )
        : Effect.logWarning(`cannot remove temporary archive ${name}: ${removed.problem}`)
    }
  })
