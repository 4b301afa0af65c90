// The lock file on a real file system, with time on the test clock (the lock's refreshes and its age use it).
import { spawn } from "node:child_process"
import { mkdir, mkdtemp, readFile, utimes, writeFile } from "node:fs/promises"
import { hostname, tmpdir } from "node:os"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Logger, Scope } from "effect"
import { TestClock } from "effect/testing"
import { acquireLockFile, isZombie, type LockOptions, processAlive } from "../../src/runtime/LockFile.ts"

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
      const blocked = yield* Effect.flip(Effect.scoped(acquireLockFile(path, options())))
      assert.strictEqual(blocked.reason._tag, "Held")
      assert.match(
        blocked.message,
        /locked by pid 1 on other-pod since earlier; another test runs \(a lock from another host is taken over once it has gone 5 minutes/
      )
      yield* TestClock.adjust("6 minutes")
      assert.isTrue(Exit.isSuccess(yield* tryLock(path)))
    })
  )

  it.effect("a live holder on this host blocks, and the message names it without the other-host note", () =>
    Effect.gen(function* () {
      const path = yield* lockIn()
      yield* write(path, JSON.stringify({ pid: process.pid, hostname: hostname(), startedAt: "earlier" }), 0)
      const blocked = yield* Effect.flip(Effect.scoped(acquireLockFile(path, options())))
      assert.strictEqual(
        blocked.message,
        `the test is locked by pid ${process.pid} on ${hostname()} since earlier; another test runs`
      )
    })
  )

  it.effect("says why it cannot lock when the directory is missing", () =>
    Effect.gen(function* () {
      const path = join(yield* lockIn(), "missing", "x.lock")
      const error = yield* Effect.flip(Effect.scoped(acquireLockFile(path, options())))
      assert.deepStrictEqual(error.reason, { _tag: "Unusable", detail: "no such file or directory" })
      assert.strictEqual(error.message, "cannot lock the test: no such file or directory")
    })
  )

  it.effect("takes over a lock nobody can read, as a full disk leaves it", () =>
    Effect.gen(function* () {
      const path = yield* lockIn()
      yield* write(path, "", 0)
      assert.isTrue(Exit.isSuccess(yield* tryLock(path)))
    })
  )

  it.effect("takes over at once a lock whose process is gone from this host, and says so", () =>
    Effect.gen(function* () {
      const path = yield* lockIn()
      yield* write(path, JSON.stringify({ pid: 999_999, hostname: hostname(), startedAt: "earlier" }), 0)
      const logged: Array<string> = []
      const recorder = Logger.make(({ message }) => void logged.push(String(message)))
      const exit = yield* tryLock(path, () => false).pipe(Effect.provide(Logger.layer([recorder])))
      assert.isTrue(Exit.isSuccess(exit))
      assert.deepStrictEqual(logged, [
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
      assert.isTrue(Exit.isFailure(yield* tryLock(path)))
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
      assert.strictEqual(yield* Effect.promise(() => readFile(path, "utf8")), theirs)
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
        assert.strictEqual(exits.filter(Exit.isSuccess).length, 1)
        yield* Scope.close(scope, Exit.void)
      }
    })
  )
})

/** A fake /proc holding one process's stat line. */
const fakeProc = (pid: number, stat: string) =>
  Effect.promise(async () => {
    const root = await mkdtemp(join(tmpdir(), "sv-proc-"))
    await mkdir(join(root, String(pid)))
    await writeFile(join(root, String(pid), "stat"), stat)
    return root
  })

describe("processAlive", () => {
  it.effect("counts a zombie as gone, reading the state after the command name, whatever that name holds", () =>
    Effect.gen(function* () {
      const me = process.pid
      const zombie = yield* fakeProc(me, `${me} (node (a) b) Z 1 ${me} ${me} 0 -1 4194560\n`)
      assert.isFalse(processAlive(me, zombie))
      const sleeping = yield* fakeProc(me, `${me} (node Z) S 1 ${me} ${me} 0 -1 4194560\n`)
      assert.isTrue(processAlive(me, sleeping))
      // No /proc (macOS): signal 0 alone decides.
      assert.isTrue(processAlive(me, join(sleeping, "nowhere")))
      assert.isFalse(processAlive(2 ** 22 + 12_345))
    })
  )

  it.live(
    "a real child that exited and was never reaped is a zombie, and its lock is taken over at once",
    () =>
      Effect.gen(function* () {
        // `sh` starts a short-lived child, then becomes `sleep 5`, which never waits for it: once the child exits it
        // stays a zombie, which signal 0 still finds.
        const parent = spawn("sh", ["-c", "sleep 0.1 & echo $!; exec sleep 5"], { stdio: ["ignore", "pipe", "ignore"] })
        yield* Effect.addFinalizer(() => Effect.sync(() => parent.kill("SIGKILL")))
        const child = yield* Effect.promise(
          () => new Promise<number>((resolve) => parent.stdout.once("data", (d: Buffer) => resolve(Number(String(d)))))
        )
        // Wait (in real time: this is a real process) until it has exited; bounded, so a broken check fails.
        for (let i = 0; i < 100 && !isZombie(child); i++) {
          yield* Effect.promise(() => new Promise((r) => setTimeout(r, 20)))
        }
        assert.isTrue(isZombie(child))
        assert.doesNotThrow(() => process.kill(child, 0)) // signal 0 alone would call it alive
        assert.isFalse(processAlive(child))

        const path = yield* lockIn()
        yield* write(path, JSON.stringify({ pid: child, hostname: hostname(), startedAt: "earlier" }), Date.now())
        assert.isTrue(
          Exit.isSuccess(
            yield* Effect.scoped(acquireLockFile(path, { ...options(), alive: processAlive })).pipe(Effect.exit)
          )
        )
      }).pipe(Effect.scoped),
    10_000
  )
})
