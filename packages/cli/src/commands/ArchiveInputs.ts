// Archive and location arguments as commands take them: a local path stays a path (messages show it as given), an
// `s3://` input becomes a reference, and anything that cannot be used is a usage error (exit 2) before any work.
import { Effect, Result } from "effect"
import {
  type ArchiveLocation,
  type ArchiveSource,
  archiveRefOf,
  type LocationSource,
  locationOf,
  parseArchiveInput
} from "@spaces-vault/core/archive/ArchiveLocation"
import { ArchiveStore } from "@spaces-vault/core/archive/ArchiveStore"
import { RunFailed, UsageError } from "@spaces-vault/program/ExitCode"

const usage = (flag: string | undefined, message: string) =>
  new UsageError({ message: flag === undefined ? message : `${flag} ${message}` })

/** A location this run has a store for; S3 without the S3 layer is refused here, not half-way through a run. */
const reachable = (location: ArchiveLocation, flag: string | undefined) =>
  ArchiveStore.forLocation(location).pipe(
    // S3's prepare is the bucket's first request (it writes nothing): a missing bucket, denied access or an
    // unreachable endpoint is a setting to fix, said before any work.
    Effect.tap((archives) => (location._tag === "S3" ? archives.prepare : Effect.void)),
    Effect.asVoid,
    Effect.mapError((e) => usage(flag, e.message))
  )

/** One archive (`verify`, `inspect`, `replay`, `diff OLD NEW`, `--since`). */
export const archiveInput = (raw: string, flag?: string): Effect.Effect<ArchiveSource, UsageError> =>
  Effect.gen(function* () {
    const input = Result.flatMap(parseArchiveInput(raw), (i) => Result.map(archiveRefOf(i, raw), (ref) => ({ i, ref })))
    if (Result.isFailure(input)) return yield* usage(flag, input.failure.message)
    const { i, ref } = input.success
    if (i._tag === "LocalPath") return raw
    yield* reachable(ref.location, flag)
    return ref
  })

/** A location of archives (`export --out`, `prune`, `diff DIR`). */
export const locationInput = (raw: string, flag?: string): Effect.Effect<LocationSource, UsageError> =>
  Effect.gen(function* () {
    const input = Result.flatMap(parseArchiveInput(raw), (i) =>
      Result.map(locationOf(i, raw), (location) => ({ i, location }))
    )
    if (Result.isFailure(input)) return yield* usage(flag, input.failure.message)
    const { i, location } = input.success
    if (i._tag === "LocalPath") return raw
    yield* reachable(location, flag)
    return location
  })

/** `diff`'s single argument: a directory or an S3 location; an S3 archive name is refused by `locationOf`. */
export const isLocalPath = (raw: string): boolean => {
  const parsed = parseArchiveInput(raw)
  return Result.isSuccess(parsed) && parsed.success._tag === "LocalPath"
}

/**
 * Why reading the archives of `--from` failed, in the command's exit codes: a location that cannot be used at all
 * (no such directory or bucket, access denied, unreachable) is a setting to fix (2), as is an encrypted archive read
 * without any identity; a failure while reading it (a listing cut off, a wrong key, a damaged archive) is 1.
 */
export const fromLocationFailure = (e: {
  readonly _tag: string
  readonly message: string
  readonly unusable?: boolean
  readonly reason?: unknown
}): UsageError | RunFailed => {
  const setting = e._tag === "ArchiveDirectoryError" ? e.unusable === true : e.reason === "Encrypted"
  return setting
    ? new UsageError({ message: `--from ${e.message}` })
    : new RunFailed({ message: `--from ${e.message}`, reported: false })
}
