// Locks keyed by where archives live, held in the state directory: one export per location and shard, and one
// retention per location (prune and the worker's retention), so two processes sharing that state directory never
// write the same shard's archives or delete from one location at the same time.
import { createHash } from "node:crypto"
import { mkdir } from "node:fs/promises"
import { join, resolve } from "node:path"
import { Clock, Effect } from "effect"
import { acquireLockFile, type LockOptions, LockedError, processAlive } from "../runtime/LockFile.ts"
import { errorText } from "../runtime/ErrorText.ts"
import { type Shard, shardLabel } from "../export/Shard.ts"
import { displayLocation, type LocationSource, locationOfSource } from "./ArchiveLocation.ts"

/** What a lock guards at a location. */
export type LocationLockPurpose = "export" | "retention"

/** A location as one string whatever way it was written: an absolute path, or `s3://bucket/prefix`. */
export const locationKey = (source: LocationSource): string => {
  const location = locationOfSource(source)
  return location._tag === "Local" ? resolve(location.dir) : displayLocation(location)
}

/**
 * The lock file of `purpose` at a location: `export-nightly-3fa2c1d9e0b1-shard-1-of-4.lock`, readable by its last
 * segment and unique by a hash of the whole key. An export's lock is per shard; retention's is not, since it runs
 * over every shard's archives.
 */
export const locationLockPath = (
  stateDir: string,
  purpose: LocationLockPurpose,
  source: LocationSource,
  shard?: Shard | undefined
): string => {
  const key = locationKey(source)
  const hash = createHash("sha256").update(key).digest("hex").slice(0, 12)
  const last =
    key
      .replace(/\/+$/, "")
      .split("/")
      .pop()
      ?.toLowerCase()
      .replace(/[^a-z0-9._-]+/g, "-")
      .slice(0, 40) || "root"
  const shardPart = purpose === "export" && shard !== undefined ? `-${shardLabel(shard)}` : ""
  // Beside the worker's own lock and status file, which are released and rewritten the same way.
  return join(stateDir, `${purpose}-${last}-${hash}${shardPart}.lock`)
}

/** What messages call the locked thing and its holder's work. */
const wording = (purpose: LocationLockPurpose, source: LocationSource, shard: Shard | undefined) => {
  const where = locationKey(source)
  if (purpose === "retention")
    return { what: `retention of ${where}`, busy: "another retention (a prune or a worker) is deleting there" }
  const which = shard === undefined ? "" : `shard ${shard.index} of ${shard.count} `
  return { what: `exporting ${which}to ${where}`, busy: "another export of it is running" }
}

export interface LocationLockOptions {
  readonly shard?: Shard | undefined
  /** Injectable for tests. */
  readonly alive?: LockOptions["alive"]
}

/**
 * Holds the lock of `purpose` at a location for the scope's lifetime, creating the state directory first. Fails with LockedError: `Held` names the holder (pid, host, since); `Unusable` when the folder or the file
 * cannot be made.
 */
export const lockLocation = (
  stateDir: string,
  purpose: LocationLockPurpose,
  source: LocationSource,
  options: LocationLockOptions = {}
) =>
  Effect.gen(function* () {
    const { what, busy } = wording(purpose, source, options.shard)
    yield* Effect.tryPromise({
      try: () => mkdir(stateDir, { recursive: true, mode: 0o700 }),
      catch: (e) =>
        new LockedError({
          what,
          reason: { _tag: "Unusable", detail: `cannot create the state directory ${stateDir}: ${errorText(e)}` }
        })
    })
    const startedAt = new Date(yield* Clock.currentTimeMillis).toISOString()
    return yield* acquireLockFile(locationLockPath(stateDir, purpose, source, options.shard), {
      what,
      busy,
      startedAt,
      alive: options.alive ?? processAlive
    })
  })
