// The archive store with both backends, local directories and S3, as the programs provide it. The AWS SDK is loaded
// on the first use of an s3:// location (a dynamic import): a run that only touches local directories never pays
// for it (~20 MB of RSS in an export of 50,000 spaces).
import { Config, Effect, Layer, Option } from "effect"
import type { S3Location } from "../ArchiveLocation.ts"
import { ArchiveStore, type LocationArchives } from "../ArchiveStore.ts"
import { localArchives } from "../LocalArchives.ts"
import type { S3Settings } from "./S3Settings.ts"

/** The environment variables the S3 client's settings depend on; read through Effect's Config, so tests supply them. */
const S3_ENV = [
  "AWS_ENDPOINT_URL_S3",
  "AWS_ENDPOINT_URL",
  "AWS_REGION",
  "AWS_DEFAULT_REGION",
  "AWS_REQUEST_CHECKSUM_CALCULATION",
  "AWS_RESPONSE_CHECKSUM_VALIDATION",
  "AWS_ACCESS_KEY_ID",
  "AWS_SECRET_ACCESS_KEY",
  "AWS_SESSION_TOKEN"
] as const

const s3Env = Effect.gen(function* () {
  const env: Record<string, string | undefined> = {}
  for (const name of S3_ENV) env[name] = Option.getOrUndefined(yield* Config.option(Config.String(name)))
  return env
})

type Backend = (location: S3Location) => LocationArchives

/** A location's archives whose every operation first loads the S3 backend (once per store). */
const deferred = (location: S3Location, backend: Effect.Effect<Backend>): LocationArchives => {
  const at = Effect.map(backend, (b) => b(location))
  return {
    location,
    prepare: Effect.flatMap(at, (a) => a.prepare),
    list: Effect.flatMap(at, (a) => a.list),
    create: (nameFor) => Effect.flatMap(at, (a) => a.create(nameFor)),
    openRead: (name) => Effect.flatMap(at, (a) => a.openRead(name)),
    remove: (name) => Effect.flatMap(at, (a) => a.remove(name)),
    removeStaleTemps: (nowMs) => Effect.flatMap(at, (a) => a.removeStaleTemps(nowMs))
  }
}

/**
 * The store with both backends. Keys given in the environment are used as they are; else the SDK's own chain finds
 * credentials (profile, container and instance roles, web identity). The client is destroyed with the layer.
 */
export const layerWithS3 = (settings: S3Settings) =>
  Layer.effect(
    ArchiveStore,
    Effect.gen(function* () {
      const env = yield* s3Env.pipe(Effect.orDie)
      let destroy: (() => void) | undefined
      yield* Effect.addFinalizer(() => Effect.sync(() => destroy?.()))
      const backend = yield* Effect.cached(
        Effect.promise(async () => {
          const { s3BackendOf } = await import("./S3Archives.ts")
          const made = s3BackendOf(settings, env)
          destroy = made.destroy
          return made.backend
        })
      )
      return ArchiveStore.make({ local: localArchives, s3: (location) => deferred(location, backend) })
    })
  )
