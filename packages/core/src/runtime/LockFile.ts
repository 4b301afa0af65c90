// One holder at a time: a lock file holding pid, host, start time and a nonce, removed when the scope closes.
// - Created whole: the content goes to a temporary file that is hard-linked to the lock's name, which fails when
//   the name is taken, so no one ever reads a half-written lock.
// - Refreshed: the holder touches it every 30 s. A lock whose holder is gone is taken over: at once when the pid
//   is dead on this host; after 5 minutes without a refresh otherwise (a container on another host, killed by
//   the OOM killer, would otherwise block every later run), or when it cannot be read at all.
// - Taken over by one contender at a time, under a second exclusive file, after checking again that the lock is
//   the stale one it judged; and released only by its holder.
import { randomBytes } from "node:crypto"
import { hostname } from "node:os"
import { link, readFile, stat, unlink, utimes, writeFile } from "node:fs/promises"
import { Clock, Duration, Effect, Schedule, Schema } from "effect"

export class LockedError extends Schema.TaggedError<LockedError>()("LockedError", { message: Schema.String }) {}

export interface LockInfo {
  readonly pid: number
  readonly hostname: string
  readonly startedAt: string
  readonly nonce?: string
}

/** How often the holder touches its lock, and how long without a touch makes a lock stale. */
export const LOCK_REFRESH = Duration.seconds(30)
export const LOCK_STALE_AFTER = Duration.minutes(5)
/** A takeover holds its guard for milliseconds; one this old belongs to a contender that died. */
const TAKEOVER_STALE_AFTER_MS = 30_000

/** Whether a pid is alive on this host (signal 0 only checks). */
export const processAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM"
  }
}

export interface LockOptions {
  /** What is locked, for messages: "/backups" or "the replay of a.zip into octo-org". */
  readonly what: string
  /** What the holder is doing, for the message when it is busy: "another export is running". */
  readonly busy: string
  readonly startedAt: string
  /** Injectable for tests. */
  readonly alive?: (pid: number) => boolean
}

const code = (e: unknown) => (e as NodeJS.ErrnoException).code

/** Creates `path` holding `text` only if nothing is there; false when something is. */
const createWhole = async (path: string, text: string, mtimeMs: number): Promise<boolean> => {
  const tmp = `${path}.${randomBytes(6).toString("hex")}.tmp`
  try {
    await writeFile(tmp, text, { flag: "wx", mode: 0o600 })
    await utimes(tmp, mtimeMs / 1000, mtimeMs / 1000)
    await link(tmp, path)
    return true
  } catch (e) {
    if (code(e) === "EEXIST") return false
    throw e
  } finally {
    await unlink(tmp).catch(() => {})
  }
}

const readLock = async (path: string) => {
  const [text, info] = await Promise.all([readFile(path, "utf8"), stat(path)]).catch((e: unknown) => {
    if (code(e) === "ENOENT") return [undefined, undefined] as const
    throw e
  })
  if (text === undefined) return undefined
  let held: Partial<LockInfo> | undefined
  try {
    const parsed = JSON.parse(text) as unknown
    held = typeof parsed === "object" && parsed !== null ? (parsed as Partial<LockInfo>) : undefined
  } catch {
    held = undefined
  }
  return { text, held, mtimeMs: info!.mtimeMs }
}

/** Holds the lock file at `path` for the scope's lifetime, refreshing it while held. */
export const acquireLockFile = (path: string, options: LockOptions) =>
  Effect.gen(function* () {
    const alive = options.alive ?? processAlive
    const me: LockInfo = {
      pid: process.pid,
      hostname: hostname(),
      startedAt: options.startedAt,
      nonce: randomBytes(8).toString("hex")
    }
    const text = `${JSON.stringify(me)}\n`
    const staleAfter = Duration.toMillis(LOCK_STALE_AFTER)
    const fail = (message: string) => new LockedError({ message })
    /** Set when the lock was taken over from a holder judged gone, for the log. */
    let tookOver: string | undefined
    const attempt = (now: number): Promise<true | LockedError> =>
      (async () => {
        if (await createWhole(path, text, now)) return true
        const current = await readLock(path)
        if (current === undefined)
          return (await createWhole(path, text, now))
            ? true
            : fail(`${options.what} was locked again by another process`)
        const { held } = current
        const sameHostDead = held?.hostname === me.hostname && typeof held.pid === "number" && !alive(held.pid)
        const unrefreshed = now - current.mtimeMs > staleAfter
        if (held !== undefined && !sameHostDead && !unrefreshed) {
          return fail(
            `${options.what} is locked by pid ${held.pid ?? "?"} on ${held.hostname ?? "?"} since ${held.startedAt ?? "?"}; ${options.busy}` +
              (held.hostname !== me.hostname
                ? ` (a lock from another host is taken over once it has gone ${Duration.toMinutes(LOCK_STALE_AFTER)} minutes without a refresh)`
                : "")
          )
        }
        // Stale: take it over, one contender at a time, under the guard.
        const guard = `${path}.takeover`
        if (!(await createWhole(guard, text, now))) {
          const g = await stat(guard).catch(() => undefined)
          if (g !== undefined && now - g.mtimeMs <= TAKEOVER_STALE_AFTER_MS)
            return fail(`${options.what} is being taken over by another process`)
          await unlink(guard).catch(() => {})
          if (!(await createWhole(guard, text, now)))
            return fail(`${options.what} is being taken over by another process`)
        }
        try {
          const again = await readLock(path)
          if (again !== undefined && again.text !== current.text)
            return fail(`${options.what} was locked again by another process`)
          if (again !== undefined) await unlink(path)
          if (!(await createWhole(path, text, now))) return fail(`${options.what} was locked again by another process`)
          tookOver =
            held === undefined
              ? "an unreadable lock"
              : `the lock of pid ${held.pid ?? "?"} on ${held.hostname ?? "?"} since ${held.startedAt ?? "?"} (${sameHostDead ? "that process is gone" : `not refreshed for ${Math.round((now - current.mtimeMs) / 60_000)} minutes`})`
          return true
        } finally {
          await unlink(guard).catch(() => {})
        }
      })()

    yield* Effect.acquireRelease(
      Effect.flatMap(Clock.currentTimeMillis, (now) =>
        Effect.tryPromise({
          try: () => attempt(now),
          catch: (e) => fail(`cannot lock ${options.what}: ${e instanceof Error ? e.message : String(e)}`)
        })
      ).pipe(Effect.flatMap((r) => (r === true ? Effect.void : Effect.fail(r)))),
      // Only our own lock: one that was taken over from us (we stopped refreshing it) is the new holder's.
      () =>
        Effect.promise(async () => {
          const current = await readLock(path).catch(() => undefined)
          if (current?.text === text) await unlink(path).catch(() => {})
        })
    )
    if (tookOver !== undefined) yield* Effect.logWarning(`${options.what}: took over ${tookOver}`)
    yield* Clock.currentTimeMillis.pipe(
      Effect.flatMap((now) => Effect.promise(() => utimes(path, now / 1000, now / 1000).catch(() => {}))),
      Effect.repeat(Schedule.spaced(LOCK_REFRESH)),
      Effect.delay(LOCK_REFRESH),
      Effect.forkScoped
    )
    return path
  })
