// One export at a time per output directory: core's lock file, in the directory.
import { join } from "node:path"
import { acquireLockFile, processAlive } from "@spaces-vault/core/runtime/LockFile"

export { LockedError, processAlive } from "@spaces-vault/core/runtime/LockFile"

export const LOCK_FILE = ".spaces-vault.lock"

/** Acquires the output directory's lock for the scope's lifetime. `alive` is injectable for tests. */
export const acquireLock = (dir: string, startedAt: string, alive: (pid: number) => boolean = processAlive) =>
  acquireLockFile(join(dir, LOCK_FILE), { what: dir, busy: "another export is running", startedAt, alive })
