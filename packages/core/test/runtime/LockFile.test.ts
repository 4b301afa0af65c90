// The lock file on a real file system, with time on the test clock (the lock's refreshes and its age use it).
import { mkdtemp, readFile, utimes, writeFile } from "node:fs/promises"
import { hostname, tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Logger, Scope } from "effect"
import { TestClock } from "effect/testing"
import { acquireLockFile, type LockOptions } from "../../src/runtime/LockFile.ts"

const lockIn = () => Effect.promise(() => mkdtemp(join(tmpdir(), "sv-lock-")).then((d) => join(d, "x.lock")))
const options = (alive: (pid: number) => boolean = () => true): LockOptions => ({
  what: "the test",
  busy: "another test runs",
  startedAt: "now",
  alive
})
const write = (path: string, text: string, mtimeMs: number) =>
  Effect.promise(async () => {
    await writeFile(path, text)
    await utimes(path, mtimeMs / 1000, mtimeMs / 1000)
  })
const tryLock = (path: string, alive?: (pid: number) => boolean) =>
  Effect.scoped(acquireLockFile(path, options(alive))).pipe(Effect.exit)

describe("acquireLockFile", () => {
  it.effect("a lock from another host blocks until it has gone five minutes without a refresh", () =>
    Effect.gen(function* () {
      const path = yield* lockIn()
      yield* write(path, JSON.stringify({ pid: 1, hostname: "other-pod", startedAt: "earlier" }), 0)
      const blocked = yield* tryLock(path)
      expect(Exit.isFailure(blocked) && String(blocked.cause)).toMatch(
        /locked by pid 1 on other-pod since earlier; another test runs \(a lock from another host is taken over once it has gone 5 minutes/
      )
      yield* TestClock.adjust("6 minutes")
      expect(Exit.isSuccess(yield* tryLock(path))).toBe(true)
    })
  )

  it.effect("takes over a lock nobody can read, as a full disk leaves it", () =>
    Effect.gen(function* () {
      const path = yield* lockIn()
      yield* write(path, "", 0)
      expect(Exit.isSuccess(yield* tryLock(path))).toBe(true)
    })
  )

  it.effect("takes over at once a lock whose process is gone from this host, and says so", () =>
    Effect.gen(function* () {
      const path = yield* lockIn()
      yield* write(path, JSON.stringify({ pid: 999_999, hostname: hostname(), startedAt: "earlier" }), 0)
      const logged: Array<string> = []
      const recorder = Logger.make(({ message }) => void logged.push(String(message)))
      expect(Exit.isSuccess(yield* tryLock(path, () => false).pipe(Effect.provide(Logger.layer([recorder]))))).toBe(
        true
      )
      expect(logged).toEqual([
        `the test: took over the lock of pid 999999 on ${hostname()} since earlier (that process is gone)`
      ])
    })
  )

  it.effect("its holder refreshes it, so a long run is never taken for stale", () =>
    Effect.gen(function* () {
      const path = yield* lockIn()
      const scope = yield* Scope.make()
      yield* acquireLockFile(path, options()).pipe(Scope.provide(scope))
      yield* TestClock.adjust("20 minutes")
      // Another host's view: only the refreshes can tell it the holder lives.
      const text = yield* Effect.promise(() => readFile(path, "utf8"))
      // …and as if it had never been refreshed: only the refreshes to come can save it.
      yield* Effect.promise(() => writeFile(path, text.replace(hostname(), "other-pod")).then(() => utimes(path, 0, 0)))
      yield* TestClock.adjust("1 minute") // two more refreshes
      expect(Exit.isFailure(yield* tryLock(path))).toBe(true)
      yield* Scope.close(scope, Exit.void)
    })
  )

  it.effect("releases only its own lock, never one that was taken over from it", () =>
    Effect.gen(function* () {
      const path = yield* lockIn()
      const scope = yield* Scope.make()
      yield* acquireLockFile(path, options()).pipe(Scope.provide(scope))
      const theirs = JSON.stringify({ pid: 42, hostname: "other-pod", startedAt: "later", nonce: "theirs" })
      yield* Effect.promise(() => writeFile(path, theirs))
      yield* Scope.close(scope, Exit.void)
      expect(yield* Effect.promise(() => readFile(path, "utf8"))).toBe(theirs)
    })
  )

  it.effect("of several contenders for a stale lock, exactly one gets it", () =>
    Effect.gen(function* () {
      for (let round = 0; round < 10; round++) {
        const path = yield* lockIn()
        yield* write(path, JSON.stringify({ pid: 999_999, hostname: hostname(), startedAt: "earlier" }), 0)
        const scope = yield* Scope.make()
        const exits = yield* Effect.all(
          Array.from({ length: 4 }, () =>
            Effect.exit(
              acquireLockFile(
                path,
                options((pid) => pid !== 999_999)
              ).pipe(Scope.provide(scope))
            )
          ),
          { concurrency: "unbounded" }
        )
        expect(exits.filter(Exit.isSuccess)).toHaveLength(1)
        yield* Scope.close(scope, Exit.void)
      }
    })
  )
})
