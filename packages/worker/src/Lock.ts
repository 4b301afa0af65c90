// One export at a time per output directory: core's lock file, in the worker's state directory.
import { join } from "node:path"
import { acquireLockFile, processAlive } from "@spaces-vault/core/runtime/LockFile"

export { LockedError, processAlive } from "@spaces-vault/core/runtime/LockFile"

export const LOCK_FILE = "worker.lock"

/** One lock per shard (`worker-shard-1-of-4.lock`), so shards sharing a state directory never refuse each other. */
export const lockFileName = (suffix: string): string => `worker${suffix}.lock`

/**
 * Acquires the lock in `stateDir` for the scope's lifetime; `outputDir` is what messages call locked.
 * `alive` is injectable for tests.
 */
export const acquireLock = (
  stateDir: string,
  outputDir: string,
  startedAt: string,
  alive: (pid: number) => boolean = processAlive,
  file: string = LOCK_FILE
) =>
  acquireLockFile(join(stateDir, file), {
    what: outputDir,
    busy: "another export is running",
    startedAt,
    alive
  })
