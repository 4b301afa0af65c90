// The S3 backend of ArchiveStore. An archive is written to a 0600 temp file first, then uploaded once it is
// complete: its length is known (S3's part sizes and part count follow from it), and what was written can be
// checked against what the store holds. The upload takes the first free name (a conditional write where the store
// honours one), and an interrupted upload is aborted, so no object ever appears at a final name half-written.
import { createWriteStream } from "node:fs"
import { mkdtemp, rm, stat } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import type { S3Client } from "@aws-sdk/client-s3"
import { Clock, Effect } from "effect"
import { type S3Location, displayLocation, displayRef } from "../ArchiveLocation.ts"
import { parseArchiveFileName } from "../ArchiveName.ts"
import {
  type ArchiveBackend,
  ArchiveStoreError,
  type ArchiveUpload,
  type LocationArchives,
  STALE_TEMP_MS,
  type StaleTempOutcome
} from "../ArchiveStore.ts"
import { makeS3Client, type S3Settings } from "./S3Client.ts"
import type { S3Error, S3SetupError } from "./S3Error.ts"
import { makeS3Objects, type S3Objects } from "./S3Objects.ts"
import { rangeReader } from "./S3RangeReader.ts"

const DAY_MS = 24 * 60 * 60 * 1000

/** The key of `name` under a location's prefix. */
export const keyOf = (location: S3Location, name: string): string =>
  location.prefix === "" ? name : `${location.prefix}/${name}`

/** An S3 failure as the store says it; the sentence already names the bucket and the cause. */
const storeError = (operation: string, target: string) => (e: S3Error | S3SetupError) =>
  new ArchiveStoreError({
    operation,
    target,
    reason:
      e._tag === "S3SetupError"
        ? { _tag: "Unavailable", detail: e.message }
        : e.reason === "NoSuchKey"
          ? { _tag: "NotFound" }
          : e.reason === "AccessDenied" || e.reason === "Locked"
            ? { _tag: "Denied", detail: e.message }
            : { _tag: "Failed", detail: e.message }
  })

/**
 * Publishes a finished file under the first free name: names the listing shows are skipped, and a name taken
 * between the listing and the upload is refused by the store (412) where it supports conditional writes.
 */
const publish = (
  objects: S3Objects,
  location: S3Location,
  file: { readonly path: string; readonly size: number },
  nameFor: (sequence: number) => string | undefined,
  settings: S3Settings
) =>
  Effect.gen(function* () {
    const taken = new Set((yield* objects.list(location.prefix)).map((o) => o.name))
    const now = yield* Clock.currentTimeMillis
    const lock =
      settings.objectLock === undefined
        ? undefined
        : { mode: settings.objectLock.mode, retainUntil: now + settings.objectLock.days * DAY_MS }
    for (let sequence = 1; ; sequence++) {
      const name = nameFor(sequence)
      if (name === undefined) {
        return yield* Effect.fail({ _tag: "Taken" as const, name: nameFor(1) ?? "archive.zip" })
      }
      if (taken.has(name)) continue
      const outcome = yield* objects.uploadNew(keyOf(location, name), file, lock).pipe(
        Effect.as("done" as const),
        Effect.catchIf(
          (e) => e.reason === "NameTaken",
          () => Effect.succeed("taken" as const)
        )
      )
      if (outcome === "done") return name
    }
  })

const create = (
  objects: S3Objects,
  location: S3Location,
  nameFor: (sequence: number) => string | undefined,
  settings: S3Settings
) => {
  const target = displayRef({ location, name: nameFor(1) ?? "archive.zip" })
  const failed = (detail: string) =>
    new ArchiveStoreError({ operation: "write", target, reason: { _tag: "Failed", detail } })
  return Effect.acquireRelease(
    Effect.tryPromise({
      try: async () => {
        const dir = await mkdtemp(join(tmpdir(), "spaces-vault-s3-"))
        const path = join(dir, "archive.zip")
        const stream = createWriteStream(path, { flags: "wx", mode: 0o600 })
        await new Promise<void>((resolve, reject) => {
          stream.once("open", () => resolve())
          stream.once("error", reject)
        })
        return { dir, path, stream }
      },
      catch: (e) => failed(`cannot create a temporary file: ${e instanceof Error ? e.message : String(e)}`)
    }),
    // Committed or not, the temp file goes; an interrupted commit has aborted its upload by then.
    (state) =>
      Effect.promise(async () => {
        state.stream.destroy()
        await rm(state.dir, { recursive: true, force: true })
      })
  ).pipe(
    Effect.map(
      (state): ArchiveUpload => ({
        stream: state.stream,
        commit: Effect.gen(function* () {
          const size = yield* Effect.tryPromise({
            try: () => stat(state.path).then((s) => s.size),
            catch: () => failed("the temporary file is gone")
          })
          return yield* publish(objects, location, { path: state.path, size }, nameFor, settings).pipe(
            Effect.mapError((e) =>
              "_tag" in e && e._tag === "Taken" ? failed(`${e.name} already exists`) : storeError("write", target)(e)
            )
          )
        })
      })
    )
  )
}

const removeStaleUploads = (objects: S3Objects, location: S3Location, nowMs: number) =>
  objects.abortStaleUploads(location.prefix, nowMs - STALE_TEMP_MS).pipe(
    Effect.map((uploads) =>
      uploads.map(
        (u): StaleTempOutcome =>
          u.problem === undefined
            ? { _tag: "Removed", name: `incomplete upload of ${u.key}`, modifiedAt: u.initiated }
            : { _tag: "Failed", name: `incomplete upload of ${u.key}`, problem: u.problem }
      )
    ),
    // Housekeeping: a store that cannot list incomplete uploads (or forbids it) is reported, never a failure.
    Effect.catch((e) => Effect.succeed([{ _tag: "Failed", name: "incomplete uploads", problem: e.message } as const]))
  )

/**
 * The archives at one S3 location. The first request of each location is a probe of its bucket: a missing bucket,
 * denied access, a wrong region or an unreachable endpoint is then a setup failure (`Unavailable`), said before any
 * work is done.
 */
export const s3LocationArchives = (
  objects: S3Objects,
  location: S3Location,
  settings: S3Settings
): LocationArchives => {
  const where = displayLocation(location)
  const probed = Effect.runSync(Effect.cached(objects.probe.pipe(Effect.mapError(storeError("open", where)))))
  const after = <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.andThen(probed, self)
  return {
    location,
    prepare: probed,
    list: after(
      objects.list(location.prefix).pipe(
        Effect.map((objs) =>
          objs
            .filter((o) => parseArchiveFileName(o.name) !== undefined)
            .map((o) => ({ name: o.name, modifiedAt: o.lastModified, size: o.size }))
        ),
        Effect.mapError(storeError("read", where))
      )
    ),
    create: (nameFor) => after(create(objects, location, nameFor, settings)),
    openRead: (name) =>
      after(
        objects.head(keyOf(location, name)).pipe(
          Effect.mapError(storeError("read", displayRef({ location, name }))),
          Effect.map((head) => ({
            size: head.size,
            readRange: rangeReader({
              size: head.size,
              fetch: (start, end) => objects.streamRange(keyOf(location, name), start, end)
            })
          }))
        )
      ),
    remove: (name) =>
      after(
        objects.remove(keyOf(location, name)).pipe(
          Effect.mapError(storeError("delete", displayRef({ location, name }))),
          Effect.flatMap((outcome) =>
            outcome._tag === "Deleted"
              ? Effect.void
              : Effect.fail(
                  new ArchiveStoreError({
                    operation: "delete",
                    target: displayRef({ location, name }),
                    reason: {
                      _tag: "Retained",
                      detail:
                        outcome.until === undefined
                          ? "the store refused the delete (Object Lock, or no s3:DeleteObject permission)"
                          : `Object Lock keeps it until ${new Date(outcome.until).toISOString()}`
                    }
                  })
                )
          )
        )
      ),
    removeStaleTemps: (nowMs) => after(removeStaleUploads(objects, location, nowMs))
  }
}

/** S3 locations over one client; each bucket's requests share it. */
export const s3Backend = (client: S3Client, settings: S3Settings): ArchiveBackend<S3Location> => {
  const byBucket = new Map<string, S3Objects>()
  return (location) => {
    let objects = byBucket.get(location.bucket)
    if (objects === undefined) {
      objects = makeS3Objects(client, location.bucket)
      byBucket.set(location.bucket, objects)
    }
    return s3LocationArchives(objects, location, settings)
  }
}

/** The S3 backend over a client built from the settings and environment, and how to release it. */
export const s3BackendOf = (settings: S3Settings, env: Readonly<Record<string, string | undefined>>) => {
  const { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey } = env
  const credentials =
    accessKeyId !== undefined && secretAccessKey !== undefined
      ? {
          credentials: {
            accessKeyId,
            secretAccessKey,
            ...(env.AWS_SESSION_TOKEN === undefined ? {} : { sessionToken: env.AWS_SESSION_TOKEN })
          }
        }
      : {}
  const client = makeS3Client(settings, env, credentials)
  return { backend: s3Backend(client, settings), destroy: () => client.destroy() }
}
