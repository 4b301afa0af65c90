// Where archives live: the one seam between spaces-vault and the bytes of its archives. Every command and the worker
// create, list, read, delete and clean up archives through `ArchiveStore`; each kind of location (a local directory,
// S3) is a backend behind it, chosen by the location's scheme in `ArchiveStore.make`.
import type { Readable, Writable } from "node:stream"
import { Context, Effect, Layer, Option, Schema, type Scope } from "effect"
import { type ArchiveLocation, type ArchiveRef, displayLocation, displayRef } from "./ArchiveLocation.ts"
import { localArchives } from "./LocalArchives.ts"

/** One archive as a listing gives it. */
export interface StoredArchive {
  readonly name: string
  /** Last modification (local) or upload (S3) time, epoch ms: the time of the write, not of the export. */
  readonly modifiedAt: number
  /** Bytes. */
  readonly size: number
}

/**
 * An archive opened for random access. yauzl reads the zip's end record and central directory from the end, then
 * single entries from their offsets, so a reader never needs the whole archive. It reads the central directory
 * record by record (two small reads per entry): a backend where each range is a request (S3: one ranged GET) wraps
 * its handle in `withBlockCache` (archive/BlockCache.ts), which serves small reads from a few cached 256 KiB blocks.
 * The local backend does not: a small positioned read is cheap, and the cache's buffers cost ~15 MB of peak RSS when
 * verifying 50,000 spaces.
 */
export interface ArchiveReadHandle {
  /** Bytes; fixed for as long as the handle is open (archives are written once and never change). */
  readonly size: number
  /**
   * Bytes `[start, end)` as a stream, in order; errors surface on the stream. Called many times, also concurrently;
   * the handle is closed by the scope it was opened in.
   */
  readonly readRange: (start: number, end: number) => Readable
}

/**
 * A new archive being written. Bytes go to `stream`; nothing is visible under any archive name until `commit`.
 * Closing the scope without a successful commit aborts: the partial bytes are removed (a temp file, an aborted
 * multipart upload), and no name is taken.
 */
export interface ArchiveUpload {
  /** Where the archive's bytes go, in order. End it (`stream.end()`) and wait for `finish` before `commit`. */
  readonly stream: Writable
  /**
   * Makes the written bytes durable, then publishes them under the first free name of `nameFor(1)`, `nameFor(2)`…,
   * never replacing an existing archive, even one another process publishes at the same moment. Returns the name
   * taken. Fails when `nameFor(n)` is undefined for the first taken `n`.
   */
  readonly commit: Effect.Effect<string, ArchiveStoreError>
}

/** A leftover of a killed run that cleanup found: removed, or not removable (reported, never a failure). */
export type StaleTempOutcome =
  | { readonly _tag: "Removed"; readonly name: string; readonly modifiedAt: number }
  | { readonly _tag: "Failed"; readonly name: string; readonly problem: string }

/**
 * The archives of one location. Invariants every backend keeps:
 * - write once: an archive name, once published, always holds the same bytes until it is removed; `commit` never
 *   overwrites, and a taken name gets the next free one;
 * - atomic: an archive is visible under its name whole or not at all; a killed write leaves at most a leftover that
 *   is never listed and that `removeStaleTemps` removes once it is older than a day;
 * - `list` gives only names that `parseArchiveFileName` accepts (our archives), never temp files or other files;
 * - errors name the location or archive (`displayLocation`/`displayRef`) and the cause, in one sentence.
 */
export interface LocationArchives {
  readonly location: ArchiveLocation
  /**
   * Our archives here, in no particular order. A local directory that does not exist fails `NotFound` (operation
   * "read", target the location); an S3 prefix without objects lists as empty.
   */
  readonly list: Effect.Effect<ReadonlyArray<StoredArchive>, ArchiveStoreError>
  /**
   * Makes the location ready for writing before any work starts (a local directory is created, mode 0700; an S3
   * layer checks the bucket), so that a location that cannot be written fails the run before GitHub is asked.
   */
  readonly prepare: Effect.Effect<void, ArchiveStoreError>
  /**
   * Starts a new archive (creating the location if needed, private to the user where the store has modes). See
   * `ArchiveUpload` for commit and abort.
   */
  readonly create: (
    nameFor: (sequence: number) => string | undefined
  ) => Effect.Effect<ArchiveUpload, ArchiveStoreError, Scope.Scope>
  /** Opens one archive for random access; any name, not only ours (people keep archives under other names). */
  readonly openRead: (name: string) => Effect.Effect<ArchiveReadHandle, ArchiveStoreError, Scope.Scope>
  /** Deletes one archive. A name already gone is `NotFound`. */
  readonly remove: (name: string) => Effect.Effect<void, ArchiveStoreError>
  /**
   * Removes leftovers of killed writes (temp files, incomplete uploads) untouched since `nowMs` minus a day. A write
   * in progress elsewhere touches its leftover continuously, so it is never removed. Housekeeping: a leftover that
   * cannot be removed is an outcome, not a failure.
   */
  readonly removeStaleTemps: (nowMs: number) => Effect.Effect<ReadonlyArray<StaleTempOutcome>, ArchiveStoreError>
}

/** Not modified for this long, a leftover is no write's work in progress. */
export const STALE_TEMP_MS = 24 * 60 * 60 * 1000

export const ArchiveStoreReason = Schema.Union([
  /** The archive (or, for listing with `create` refused, the location) does not exist. */
  Schema.TaggedStruct("NotFound", {}),
  /** Permission refused by the file system or the store (access denied, a locked object). */
  Schema.TaggedStruct("Denied", { detail: Schema.String }),
  /**
   * A delete the store refuses because it keeps the archive (Object Lock's retain-until): retention reports it as
   * retained and tries again on a later run; never a failure.
   */
  Schema.TaggedStruct("Retained", { detail: Schema.String }),
  /** A location this build or configuration cannot reach (S3 without the S3 layer). */
  Schema.TaggedStruct("Unavailable", { detail: Schema.String }),
  /** Anything else: I/O, network, a mismatch after an upload. */
  Schema.TaggedStruct("Failed", { detail: Schema.String })
])
export type ArchiveStoreReason = typeof ArchiveStoreReason.Type

export class ArchiveStoreError extends Schema.TaggedError<ArchiveStoreError>()("ArchiveStoreError", {
  /** What was being done, as a verb phrase: "read", "write", "list", "delete". */
  operation: Schema.String,
  /** The location or archive, as `displayLocation`/`displayRef` give it. */
  target: Schema.String,
  reason: ArchiveStoreReason
}) {
  override get message(): string {
    switch (this.reason._tag) {
      case "NotFound":
        return `cannot ${this.operation} ${this.target}: no such file or directory`
      case "Denied":
      case "Failed":
        return `cannot ${this.operation} ${this.target}: ${this.reason.detail}`
      case "Retained":
        return `${this.target} is retained: ${this.reason.detail}`
      case "Unavailable":
        return `${this.target}: ${this.reason.detail}`
    }
  }
}

/** A kind of location: binds one location of its kind to its archives. */
export type ArchiveBackend<L extends ArchiveLocation> = (location: L) => LocationArchives

/** The backends a store has; a location of a kind without one is refused by `at`. */
export interface ArchiveBackends {
  readonly local: ArchiveBackend<Extract<ArchiveLocation, { _tag: "Local" }>>
  readonly s3?: ArchiveBackend<Extract<ArchiveLocation, { _tag: "S3" }>> | undefined
}

export interface ArchiveStoreShape {
  /** The archives at a location; fails (`Unavailable`) for a kind of location this store has no backend for. */
  readonly at: (location: ArchiveLocation) => Effect.Effect<LocationArchives, ArchiveStoreError>
}

const localStore = (): ArchiveStoreShape => ArchiveStore.make({ local: localArchives })

export class ArchiveStore extends Context.Service<ArchiveStore, ArchiveStoreShape>()(
  "@spaces-vault/core/archive/ArchiveStore"
) {
  /** The one place where a location's scheme picks its backend. */
  static readonly make = (backends: ArchiveBackends): ArchiveStoreShape => ({
    at: (location) => {
      switch (location._tag) {
        case "Local":
          return Effect.succeed(backends.local(location))
        case "S3":
          return backends.s3 === undefined
            ? Effect.fail(
                new ArchiveStoreError({
                  operation: "open",
                  target: displayLocation(location),
                  reason: { _tag: "Unavailable", detail: "S3 support is not available in this build" }
                })
              )
            : Effect.succeed(backends.s3(location))
      }
    }
  })

  /** Local directories only; an S3 location fails with `Unavailable`. */
  static readonly layerLocal: Layer.Layer<ArchiveStore> = Layer.sync(ArchiveStore, localStore)

  /**
   * The provided store, else local directories only: core functions run unchanged in tests and tools that provide
   * none, while the CLI and the worker provide the store with every backend at their edge.
   */
  static readonly current: Effect.Effect<ArchiveStoreShape> = Effect.map(
    Effect.serviceOption(ArchiveStore),
    Option.getOrElse(localStore)
  )

  /** The archives at a location, through the current store. */
  static readonly forLocation = (location: ArchiveLocation) =>
    Effect.flatMap(ArchiveStore.current, (store) => store.at(location))

  /** Opens one archive for random access, through the current store. */
  static readonly openRead = (ref: ArchiveRef) =>
    Effect.flatMap(ArchiveStore.forLocation(ref.location), (archives) => archives.openRead(ref.name))
}

export { displayLocation, displayRef }
