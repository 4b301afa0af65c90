// The map files a migration may give (docs/migrate.md): JSON objects mapping archived names to target names.
//   --repo-map  { "octo-org/api": "new-org/api-v2", "123456": "new-org/web", "octo-org/docs": 987654 }
//               keys: archived full names or repository ids; values: target full names or target repository ids
//   --team-map  { "platform": "platform-eng" }      archived team slug -> target team slug
//   --user-map  { "old-login": "new-login" }        archived login -> target login
import { readFile } from "node:fs/promises"
import { Effect, Schema } from "effect"

export class MapFileError extends Schema.TaggedError<MapFileError>()("MapFileError", { message: Schema.String }) {}

export const RepoMap = Schema.Record(Schema.String, Schema.Union([Schema.String, Schema.Int]))
export const NameMap = Schema.Record(Schema.String, Schema.String)

export interface Maps {
  /** Lower-cased archived full name or repository id -> target full name (`owner/name`) or target repository id. */
  readonly repos: ReadonlyMap<string, string | number>
  /** Lower-cased archived slug -> target slug. */
  readonly teams: ReadonlyMap<string, string>
  /** Lower-cased archived login -> target login. */
  readonly users: ReadonlyMap<string, string>
}

export const emptyMaps: Maps = { repos: new Map(), teams: new Map(), users: new Map() }

const load = <A>(flag: string, path: string, schema: Schema.Codec<A, unknown>) =>
  Effect.gen(function* () {
    const text = yield* Effect.tryPromise({
      try: () => readFile(path, "utf8"),
      catch: (e) =>
        new MapFileError({
          message: `${flag} ${path} cannot be read: ${(e as NodeJS.ErrnoException).code ?? String(e)}`
        })
    })
    const json = yield* Effect.try({
      // Editors on Windows may start a UTF-8 file with a byte-order mark, which JSON.parse refuses.
      try: () => JSON.parse(text.replace(/^\uFEFF/, "")) as unknown,
      catch: () => new MapFileError({ message: `${flag} ${path} is not valid JSON` })
    })
    return yield* Schema.decodeUnknownEffect(schema)(json).pipe(
      Effect.mapError(
        () =>
          new MapFileError({
            message: `${flag} ${path} must be a JSON object mapping names to ${flag === "--repo-map" ? "names or repository ids" : "names"}`
          })
      )
    )
  })

/**
 * Keys are compared case-insensitively, like GitHub logins, slugs and repository names. A Map, not an object:
 * a key such as "constructor" must not find Object's prototype.
 */
const fold = <V>(r: Readonly<Record<string, V>>): ReadonlyMap<string, V> =>
  new Map(Object.entries(r).map(([k, v]) => [k.toLowerCase(), v]))

const FULL_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*\/[A-Za-z0-9._-]+$/

/**
 * --repo-map entries are checked before anything is sent: keys are archived full names or repository ids, values
 * target full names or ids; a value of digits in a string is an id, as it is in a key.
 */
const checkRepoMap = (path: string, raw: Readonly<Record<string, string | number>>) =>
  Effect.gen(function* () {
    const map = new Map<string, string | number>()
    for (const [key, value] of Object.entries(raw)) {
      if (!FULL_NAME.test(key) && !/^\d+$/.test(key)) {
        return yield* new MapFileError({
          message: `--repo-map ${path}: key "${key}" is neither owner/name nor a repository id`
        })
      }
      const target = typeof value === "string" && /^\d+$/.test(value) ? Number(value) : value
      if (typeof target === "string" && !FULL_NAME.test(target)) {
        return yield* new MapFileError({
          message: `--repo-map ${path}: "${key}" maps to "${target}", which is neither owner/name nor a repository id`
        })
      }
      map.set(key.toLowerCase(), target)
    }
    return map as ReadonlyMap<string, string | number>
  })

export const loadMaps = (paths: {
  readonly repo?: string | undefined
  readonly team?: string | undefined
  readonly user?: string | undefined
}) =>
  Effect.gen(function* () {
    return {
      repos:
        paths.repo === undefined
          ? new Map()
          : yield* checkRepoMap(paths.repo, yield* load("--repo-map", paths.repo, RepoMap)),
      teams: paths.team === undefined ? new Map() : fold(yield* load("--team-map", paths.team, NameMap)),
      users: paths.user === undefined ? new Map() : fold(yield* load("--user-map", paths.user, NameMap))
    } satisfies Maps
  })
