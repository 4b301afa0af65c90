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
  readonly repos: Readonly<Record<string, string | number>>
  readonly teams: Readonly<Record<string, string>>
  readonly users: Readonly<Record<string, string>>
}

export const emptyMaps: Maps = { repos: {}, teams: {}, users: {} }

const load = <A>(flag: string, path: string, schema: Schema.Codec<A, unknown>) =>
  Effect.gen(function* () {
    const text = yield* Effect.tryPromise({
      try: () => readFile(path, "utf8"),
      catch: (e) => new MapFileError({ message: `${flag} ${path} cannot be read: ${(e as NodeJS.ErrnoException).code ?? String(e)}` })
    })
    const json = yield* Effect.try({
      try: () => JSON.parse(text) as unknown,
      catch: () => new MapFileError({ message: `${flag} ${path} is not valid JSON` })
    })
    return yield* Schema.decodeUnknownEffect(schema)(json).pipe(
      Effect.mapError(() => new MapFileError({ message: `${flag} ${path} must be a JSON object mapping names to ${flag === "--repo-map" ? "names or repository ids" : "names"}` }))
    )
  })

/** Keys are compared case-insensitively, like GitHub logins, slugs and repository names. */
const fold = <V>(r: Readonly<Record<string, V>>): Record<string, V> =>
  Object.fromEntries(Object.entries(r).map(([k, v]) => [k.toLowerCase(), v]))

export const loadMaps = (paths: { readonly repo?: string | undefined; readonly team?: string | undefined; readonly user?: string | undefined }) =>
  Effect.gen(function* () {
    return {
      repos: paths.repo === undefined ? {} : fold(yield* load("--repo-map", paths.repo, RepoMap)),
      teams: paths.team === undefined ? {} : fold(yield* load("--team-map", paths.team, NameMap)),
      users: paths.user === undefined ? {} : fold(yield* load("--user-map", paths.user, NameMap))
    } satisfies Maps
  })
