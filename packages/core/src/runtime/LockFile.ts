// One holder at a time: a lock file created exclusively, holding pid, host and start time, removed when the scope
// closes. A lock left by a process that is gone (same host, pid not alive) is taken over; a live one blocks.
import { hostname } from "node:os"
import { readFile, unlink, writeFile } from "node:fs/promises"
import { Effect, Schema } from "effect"

export class LockedError extends Schema.TaggedError<LockedError>()("LockedError", { message: Schema.String }) {}

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

export interface LockOptions {
  /** What is locked, for messages: "/backups" or "the replay of a.zip into octo-org". */
  readonly what: string
  /** What the holder is doing, for the message when it is busy: "another export is running". */
  readonly busy: string
  readonly startedAt: string
  /** Injectable for tests. */
  readonly alive?: (pid: number) => boolean
}

/** Holds the lock file at `path` for the scope's lifetime. */
export const acquireLockFile = (path: string, options: LockOptions) =>
  Effect.acquireRelease(
    Effect.tryPromise({
      try: async () => {
        const me: LockInfo = { pid: process.pid, hostname: hostname(), startedAt: options.startedAt }
        if (await tryCreate(path, me)) return path
        const held = JSON.parse(await readFile(path, "utf8").catch(() => "{}")) as Partial<LockInfo>
        const stale = held.hostname === me.hostname && typeof held.pid === "number" && !(options.alive ?? processAlive)(held.pid)
        if (!stale) {
          throw new LockedError({
            message: `${options.what} is locked by pid ${held.pid ?? "?"} on ${held.hostname ?? "?"} since ${held.startedAt ?? "?"}; ${options.busy}`
          })
        }
        // The holder died without releasing: take over.
        await unlink(path).catch(() => {})
        if (await tryCreate(path, me)) return path
        throw new LockedError({ message: `${options.what} was locked again by another process` })
      },
      catch: (e) => (e instanceof LockedError ? e : new LockedError({ message: `cannot lock ${options.what}: ${e instanceof Error ? e.message : String(e)}` }))
    }),
    (path) => Effect.promise(() => unlink(path).catch(() => {}))
  )
