// One holder at a time: a lock file holding pid, host, start time and a nonce, removed when the scope closes.
// - Created whole: the content goes to a temporary file that is hard-linked to the lock's name, which fails when
//   the name is taken, so no one ever reads a half-written lock.
// - Refreshed: the holder touches it every 30 s. A lock whose holder is gone is taken over: at once when the pid
//   is dead (or a zombie) on this host; after 5 minutes without a refresh otherwise (a container on another host,
//   killed by the OOM killer, would otherwise block every later run), or when it cannot be read at all.
// - Taken over by one contender at a time, under a second exclusive file, after checking again that the lock is
//   the stale one it judged; and released only by its holder.
import { randomBytes } from "node:crypto"
import { readFileSync } from "node:fs"
import { link, readFile, stat, unlink, utimes, writeFile } from "node:fs/promises"
import { hostname } from "node:os"
import { join } from "node:path"
import { Clock, Duration, Effect, Schedule, Schema } from "effect"
import { errorText } from "./ErrorText.ts"

/** Someone else holds it and is alive (or was refreshed recently enough to count as alive). */
export const Held = Schema.TaggedStruct("Held", {
  pid: Schema.optionalKey(Schema.Unknown),
  hostname: Schema.optionalKey(Schema.Unknown),
  startedAt: Schema.optionalKey(Schema.Unknown),
  /** What the holder is doing: "another export is running". */
  busy: Schema.String,
  /** The holder is on another host, where its pid cannot be checked: only its refreshes tell. */
  otherHost: Schema.Boolean
})
/** Another contender is taking the same stale lock over right now. */
export const TakingOver = Schema.TaggedStruct("TakingOver", {})
/** Another process took the lock between our look and our move. */
export const LockedAgain = Schema.TaggedStruct("LockedAgain", {})
/** The file system refused (permissions, a missing directory, a full disk). */
export const Unusable = Schema.TaggedStruct("Unusable", { detail: Schema.String })

export const LockedReason = Schema.Union([Held, TakingOver, LockedAgain, Unusable])
export type LockedReason = typeof LockedReason.Type

export class LockedError extends Schema.TaggedError<LockedError>()("LockedError", {
  /** What is locked, for messages: "/backups" or "replaying into octo-org". */
  what: Schema.String,
  reason: LockedReason
}) {
  override get message(): string {
    const r = this.reason
    switch (r._tag) {
      case "Held":
        return (
          `${this.what} is locked by pid ${String(r.pid ?? "?")} on ${String(r.hostname ?? "?")} since ${String(r.startedAt ?? "?")}; ${r.busy}` +
          (r.otherHost
            ? ` (a lock from another host is taken over once it has gone ${Duration.toMinutes(LOCK_STALE_AFTER)} minutes without a refresh)`
            : "")
        )
      case "TakingOver":
        return `${this.what} is being taken over by another process`
      case "LockedAgain":
        return `${this.what} was locked again by another process`
      case "Unusable":
        return `cannot lock ${this.what}: ${r.detail}`
    }
  }
}

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

const code = (e: unknown) => (e as NodeJS.ErrnoException).code

/**
 * Whether a Linux process is a zombie: it has exited, and only waits for its parent to read its status. A process
 * killed with SIGKILL stays one until its parent reaps it, and signal 0 still finds it. The state is the first
 * field after the command name, which is in parentheses and may itself hold spaces or parentheses. Anywhere
 * without `/proc` (macOS), nothing is a zombie to us and signal 0 decides.
 */
export const isZombie = (pid: number, procRoot = "/proc"): boolean => {
  try {
    const stat = readFileSync(join(procRoot, String(pid), "stat"), "utf8")
    return stat
      .slice(stat.lastIndexOf(")") + 1)
      .trimStart()
      .startsWith("Z")
  } catch {
    return false
  }
}

/** Whether a pid is alive on this host: signal 0 only checks, and a zombie counts as gone. */
export const processAlive = (pid: number, procRoot = "/proc"): boolean => {
  try {
    process.kill(pid, 0)
  } catch (e) {
    // EPERM: it exists but belongs to someone else.
    if (code(e) !== "EPERM") return false
  }
  return !isZombie(pid, procRoot)
}

export interface LockOptions {
  /** What is locked, for messages: "/backups" or "replaying into octo-org". */
  readonly what: string
  /** What the holder is doing, for the message when it is busy: "another export is running". */
  readonly busy: string
  readonly startedAt: string
  /** Injectable for tests. */
  readonly alive?: (pid: number) => boolean
}

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

interface CurrentLock {
  readonly text: string
  readonly held: Partial<LockInfo> | undefined
  readonly mtimeMs: number
}

const readLock = async (path: string): Promise<CurrentLock | undefined> => {
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

/** One try at the lock at time `now`. Succeeds with what it took over (for the log), or undefined for a free lock. */
const attempt = (path: string, me: LockInfo, text: string, options: LockOptions, now: number) =>
  Effect.gen(function* () {
    const alive = options.alive ?? processAlive
    const io = <A>(f: () => Promise<A>) =>
      Effect.tryPromise({ try: f, catch: (e) => lockedError({ _tag: "Unusable", detail: errorText(e) }) })
    const lockedError = (reason: LockedReason) => new LockedError({ what: options.what, reason })
    const create = (name: string) => io(() => createWhole(name, text, now))

    if (yield* create(path)) return undefined
    const current = yield* io(() => readLock(path))
    if (current === undefined) {
      if (yield* create(path)) return undefined
      return yield* lockedError({ _tag: "LockedAgain" })
    }
    const { held } = current
    const sameHostDead = held?.hostname === me.hostname && typeof held.pid === "number" && !alive(held.pid)
    const unrefreshed = now - current.mtimeMs > Duration.toMillis(LOCK_STALE_AFTER)
    if (held !== undefined && !sameHostDead && !unrefreshed) {
      const { pid, hostname, startedAt } = held
      return yield* lockedError({
        _tag: "Held",
        pid,
        hostname,
        startedAt,
        busy: options.busy,
        otherHost: hostname !== me.hostname
      })
    }

    // Stale: take it over, one contender at a time, under the guard. A guard older than any takeover lasts was
    // left by a contender that died, and is cleared once.
    const guard = `${path}.takeover`
    if (!(yield* create(guard))) {
      const g = yield* io(() => stat(guard).catch(() => undefined))
      if (g !== undefined && now - g.mtimeMs <= TAKEOVER_STALE_AFTER_MS)
        return yield* lockedError({ _tag: "TakingOver" })
      yield* io(() => unlink(guard).catch(() => {}))
      if (!(yield* create(guard))) return yield* lockedError({ _tag: "TakingOver" })
    }
    yield* Effect.gen(function* () {
      const again = yield* io(() => readLock(path))
      if (again !== undefined && again.text !== current.text) return yield* lockedError({ _tag: "LockedAgain" })
      if (again !== undefined) yield* io(() => unlink(path))
      if (!(yield* create(path))) return yield* lockedError({ _tag: "LockedAgain" })
    }).pipe(Effect.ensuring(Effect.promise(() => unlink(guard).catch(() => {}))))
    if (held === undefined) return "an unreadable lock"
    const why = sameHostDead
      ? "that process is gone"
      : `not refreshed for ${Math.round((now - current.mtimeMs) / 60_000)} minutes`
    return `the lock of pid ${held.pid ?? "?"} on ${held.hostname ?? "?"} since ${held.startedAt ?? "?"} (${why})`
  })

/** Holds the lock file at `path` for the scope's lifetime, refreshing it while held. */
export const acquireLockFile = (path: string, options: LockOptions) =>
  Effect.gen(function* () {
    const me: LockInfo = {
      pid: process.pid,
      hostname: hostname(),
      startedAt: options.startedAt,
      nonce: randomBytes(8).toString("hex")
    }
    const text = `${JSON.stringify(me)}\n`
    const tookOver = yield* Effect.acquireRelease(
      Effect.flatMap(Clock.currentTimeMillis, (now) => attempt(path, me, text, options, now)),
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
