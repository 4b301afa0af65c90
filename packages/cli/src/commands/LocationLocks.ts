// The commands' side of core's location locks: held around the work, and a refusal in the command's exit codes.
import { stat } from "node:fs/promises"
import { join } from "node:path"
import { Config, Effect, Option, type Scope } from "effect"
import { type LocationSource, locationOfSource } from "@spaces-vault/core/archive/ArchiveLocation"
import { type LocationLockPurpose, lockLocation } from "@spaces-vault/core/archive/LocationLock"
import type { Shard } from "@spaces-vault/core/export/Shard"
import type { LockedError } from "@spaces-vault/core/runtime/LockFile"
import { WORKER_STATE_DIR_NAME } from "@spaces-vault/core/runtime/StateDir"
import { RunFailed, UsageError } from "@spaces-vault/program/ExitCode"

/**
 * A lock another process holds is a run-time refusal (1, as replay's), its one sentence naming the holder; a state
 * directory where no lock can be made is a setting to fix (2).
 */
export const lockFailure = (e: LockedError): UsageError | RunFailed =>
  e.reason._tag === "Unusable"
    ? new UsageError({ message: e.message })
    : new RunFailed({ message: e.message, reported: false })

/** Runs `self` holding the `purpose` lock of a location in the state directory. */
export const withLocationLock =
  (stateDir: string, purpose: LocationLockPurpose, location: LocationSource, shard?: Shard | undefined) =>
  <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E | UsageError | RunFailed, Exclude<R, Scope.Scope>> =>
    Effect.scoped(
      Effect.andThen(lockLocation(stateDir, purpose, location, { shard }).pipe(Effect.mapError(lockFailure)), self)
    )

/**
 * Where a command's locks for a location live. A state directory chosen on purpose (`--state-dir`, or
 * SPACES_VAULT_STATE_DIR) wins; otherwise a local archive directory that a worker keeps its default state in
 * (`DIR/.spaces-vault`) holds them, so a prune or an export on the worker's machine and the worker exclude each other
 * with no setting at all; otherwise the command's own state directory.
 */
export const lockDirOf = (flag: Option.Option<string>, location: LocationSource, stateDir: string) =>
  Effect.gen(function* () {
    const chosen =
      Option.isSome(flag) ||
      Option.isSome(
        Option.filter(
          yield* Config.option(Config.String("SPACES_VAULT_STATE_DIR")).pipe(Effect.orElseSucceed(Option.none)),
          (v) => v.trim() !== ""
        )
      )
    const target = locationOfSource(location)
    if (chosen || target._tag !== "Local") return stateDir
    const workers = join(target.dir, WORKER_STATE_DIR_NAME)
    const isDir = yield* Effect.promise(() =>
      stat(workers).then(
        (s) => s.isDirectory(),
        () => false
      )
    )
    return isDir ? workers : stateDir
  })
