// The S3 flags of the commands that take archive locations, and the store they configure: local directories always,
// S3 with the endpoint and Object Lock settings given here (credentials and region come from the AWS chain).
import { Effect, Option } from "effect"
import { Flag } from "effect/cli"
import type { ArchiveStore } from "@spaces-vault/core/archive/ArchiveStore"
import { layerWithS3 } from "@spaces-vault/core/archive/s3/S3Store"
import { endpointProblem, type S3Settings } from "@spaces-vault/core/archive/s3/S3Settings"
import { UsageError } from "@spaces-vault/program/ExitCode"

export const s3EndpointFlag = Flag.String("s3-endpoint").pipe(
  Flag.withDescription(
    "S3-compatible endpoint URL for s3:// locations (MinIO, R2, Ceph), addressed path-style (default: AWS_ENDPOINT_URL_S3, else AWS_ENDPOINT_URL, else AWS)"
  ),
  Flag.optional
)

export const objectLockDaysFlag = Flag.Int("object-lock-days").pipe(
  Flag.withDescription(
    "with an s3:// --out: lock the archive for N days (1-36500) on top of the bucket's default retention; needs a bucket with Object Lock"
  ),
  Flag.optional
)

export const objectLockModeFlag = Flag.Literals("object-lock-mode", ["governance", "compliance"]).pipe(
  Flag.withDescription("Object Lock mode for --object-lock-days (default governance)"),
  Flag.optional
)

export interface S3Flags {
  readonly s3Endpoint: Option.Option<string>
  readonly objectLockDays?: Option.Option<number>
  readonly objectLockMode?: Option.Option<"governance" | "compliance">
}

/** The flags as settings; a value that cannot work is a usage error (exit 2), found before any request. */
export const s3SettingsOf = (f: S3Flags): Effect.Effect<S3Settings, UsageError> =>
  Effect.gen(function* () {
    const endpoint = Option.getOrUndefined(f.s3Endpoint)
    if (endpoint !== undefined) {
      const problem = endpointProblem(endpoint)
      if (problem !== undefined) return yield* new UsageError({ message: `--s3-endpoint ${endpoint} ${problem}` })
    }
    const days = f.objectLockDays === undefined ? undefined : Option.getOrUndefined(f.objectLockDays)
    const mode = f.objectLockMode === undefined ? undefined : Option.getOrUndefined(f.objectLockMode)
    if (days !== undefined && !(Number.isInteger(days) && days >= 1 && days <= 36500))
      return yield* new UsageError({ message: `--object-lock-days must be an integer from 1 to 36500, got ${days}` })
    if (mode !== undefined && days === undefined)
      return yield* new UsageError({ message: "--object-lock-mode needs --object-lock-days" })
    return {
      endpoint,
      objectLock: days === undefined ? undefined : { days, mode: mode === "compliance" ? "COMPLIANCE" : "GOVERNANCE" }
    } satisfies S3Settings
  })

/** Runs a command's work with the archive store its S3 flags configure. */
export const withArchiveStore =
  (f: S3Flags) =>
  <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E | UsageError, Exclude<R, ArchiveStore>> =>
    Effect.flatMap(s3SettingsOf(f), (settings) => Effect.provide(self, layerWithS3(settings)))
