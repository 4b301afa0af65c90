// The map files a migration may give (docs/migrate.md): JSON objects mapping archived names to target names.
//   --repo-map  { "octo-org/api": "new-org/api-v2", "123456": "new-org/web", "octo-org/docs": 987654 }
//               keys: archived full names or repository ids; values: target full names or target repository ids
//   --team-map  { "platform": "platform-eng" }      archived team slug -> target team slug
//   --user-map  { "old-login": "new-login" }        archived login -> target login
import { readFile } from "node:fs/promises"
import { Effect, Schema } from "effect"
import { errorText } from "../runtime/ErrorText.ts"

export const MapFileUnreadable = Schema.TaggedStruct("Unreadable", { detail: Schema.String })
export const MapFileInvalidJson = Schema.TaggedStruct("InvalidJson", {})
/** Valid JSON, but not an object of the values this map takes. */
export const MapFileWrongShape = Schema.TaggedStruct("WrongShape", {})
/** A repository map key that is neither owner/name nor a repository id. */
export const MapFileBadKey = Schema.TaggedStruct("BadKey", { key: Schema.String })
/** A repository map value that is neither owner/name nor a repository id. */
export const MapFileBadValue = Schema.TaggedStruct("BadValue", { key: Schema.String, value: Schema.String })
export const MapFileReason = Schema.Union([
  MapFileUnreadable,
  MapFileInvalidJson,
  MapFileWrongShape,
  MapFileBadKey,
  MapFileBadValue
])
export type MapFileReason = typeof MapFileReason.Type

export type MapKind = "repo" | "team" | "user"
const mapNouns: Record<MapKind, string> = { repo: "repository", team: "team", user: "user" }

/** A map file that cannot be used; nothing has been sent. The message names the file, never a flag. */
export class MapFileError extends Schema.TaggedError<MapFileError>()("MapFileError", {
  which: Schema.Literals(["repo", "team", "user"]),
  path: Schema.String,
  reason: MapFileReason
}) {
  /** The sentence with `subject` naming the file: "the team map F" here, "--team-map F" in the CLI. */
  describe(subject: string): string {
    const r = this.reason
    switch (r._tag) {
      case "Unreadable":
        return `${subject} cannot be read: ${r.detail}`
      case "InvalidJson":
        return `${subject} is not valid JSON`
      case "WrongShape":
        return `${subject} must be a JSON object mapping names to ${this.which === "repo" ? "names or repository ids" : "names"}`
      case "BadKey":
        return `${subject}: key "${r.key}" is neither owner/name nor a repository id`
      case "BadValue":
        return `${subject}: "${r.key}" maps to "${r.value}", which is neither owner/name nor a repository id`
    }
  }

  override get message(): string {
    return this.describe(`the ${mapNouns[this.which]} map ${this.path}`)
  }
}

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

const load = <A>(which: MapKind, path: string, schema: Schema.Codec<A, unknown>) =>
  Effect.gen(function* () {
    const error = (reason: MapFileReason) => new MapFileError({ which, path, reason })
    const text = yield* Effect.tryPromise({
      try: () => readFile(path, "utf8"),
      catch: (e) => error({ _tag: "Unreadable", detail: errorText(e) })
    })
    const json = yield* Effect.try({
      // Editors on Windows may start a UTF-8 file with a byte-order mark, which JSON.parse refuses.
      try: () => JSON.parse(text.replace(/^\uFEFF/, "")) as unknown,
      catch: () => error({ _tag: "InvalidJson" })
    })
    return yield* Schema.decodeUnknownEffect(schema)(json).pipe(Effect.mapError(() => error({ _tag: "WrongShape" })))
  })

/**
 * Keys are compared case-insensitively, like GitHub logins, slugs and repository names. A Map, not an object:
 * a key such as "constructor" must not find Object's prototype.
 */
const fold = <V>(r: Readonly<Record<string, V>>): ReadonlyMap<string, V> =>
  new Map(Object.entries(r).map(([k, v]) => [k.toLowerCase(), v]))

const FULL_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*\/[A-Za-z0-9._-]+$/

/**
 * Repository map entries are checked before anything is sent: keys are archived full names or repository ids, values
 * target full names or ids; a value of digits in a string is an id, as it is in a key.
 */
const checkRepoMap = (path: string, raw: Readonly<Record<string, string | number>>) =>
  Effect.gen(function* () {
    const map = new Map<string, string | number>()
    for (const [key, value] of Object.entries(raw)) {
      if (!FULL_NAME.test(key) && !/^\d+$/.test(key)) {
        return yield* new MapFileError({ which: "repo", path, reason: { _tag: "BadKey", key } })
      }
      const target = typeof value === "string" && /^\d+$/.test(value) ? Number(value) : value
      if (typeof target === "string" && !FULL_NAME.test(target)) {
        return yield* new MapFileError({ which: "repo", path, reason: { _tag: "BadValue", key, value: target } })
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
          : yield* checkRepoMap(paths.repo, yield* load("repo", paths.repo, RepoMap)),
      teams: paths.team === undefined ? new Map() : fold(yield* load("team", paths.team, NameMap)),
      users: paths.user === undefined ? new Map() : fold(yield* load("user", paths.user, NameMap))
    } satisfies Maps
  })
