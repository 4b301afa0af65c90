// One export at a time per output directory: a lock file created exclusively, holding pid, host and start time.
// A lock left by a process that is gone (same host, pid not alive) is taken over; a live one blocks.
import { hostname } from "node:os"
import { join } from "node:path"
import { readFile, unlink, writeFile } from "node:fs/promises"
import { Effect, Schema } from "effect"

export class LockedError extends Schema.TaggedError<LockedError>()("LockedError", { message: Schema.String }) {}

export const LOCK_FILE = ".spaces-vault.lock"

export interface LockInfo {
  readonly pid: number
  readonly hostname: string
  readonly startedAt: string
}

/** Whether a pid is alive on this host (signal 0 only checks). */
export const processAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM"
  }
}

const tryCreate = (path: string, info: LockInfo) =>
  writeFile(path, `${JSON.stringify(info)}\n`, { flag: "wx", mode: 0o600 }).then(
    () => true,
    (e: NodeJS.ErrnoException) => {
      if (e.code === "EEXIST") return false
      throw e
    }
  )

/** Acquires the lock for the scope's lifetime. `alive` is injectable for tests. */
export const acquireLock = (dir: string, startedAt: string, alive: (pid: number) => boolean = processAlive) =>
  Effect.acquireRelease(
    Effect.tryPromise({
      try: async () => {
        const path = join(dir, LOCK_FILE)
        const me: LockInfo = { pid: process.pid, hostname: hostname(), startedAt }
        if (await tryCreate(path, me)) return path
        const held = JSON.parse(await readFile(path, "utf8").catch(() => "{}")) as Partial<LockInfo>
        const stale = held.hostname === me.hostname && typeof held.pid === "number" && !alive(held.pid)
        if (!stale) {
          throw new LockedError({
            message: `${dir} is locked by pid ${held.pid ?? "?"} on ${held.hostname ?? "?"} since ${held.startedAt ?? "?"}; another export is running`
          })
        }
        // The holder died without releasing: take over.
        await unlink(path).catch(() => {})
        if (await tryCreate(path, me)) return path
        throw new LockedError({ message: `${dir} was locked again by another process` })
      },
      catch: (e) => (e instanceof LockedError ? e : new LockedError({ message: `cannot lock ${dir}: ${e instanceof Error ? e.message : String(e)}` }))
    }),
    (path) => Effect.promise(() => unlink(path).catch(() => {}))
  )
