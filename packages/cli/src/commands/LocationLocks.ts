// The commands' side of core's location locks: held around the work, and a refusal in the command's exit codes.
import { Effect, type Scope } from "effect"
import type { LocationSource } from "@spaces-vault/core/archive/ArchiveLocation"
import { type LocationLockPurpose, lockLocation } from "@spaces-vault/core/archive/LocationLock"
import type { Shard } from "@spaces-vault/core/export/Shard"
import type { LockedError } from "@spaces-vault/core/runtime/LockFile"
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
