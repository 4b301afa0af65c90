// Archive format 1: the stable, documented layout of a spaces-vault archive (see docs/archive-format.md).
// Readers decode any supported version and upgrade it to the current in-memory shape, so a format-2 reader
// only adds a migration step from 1 to 2.
import { Schema } from "effect"
import { OwnerKind } from "../domain/Owner.ts"
import { Collaborator, Space } from "../domain/Space.ts"

export const CURRENT_FORMAT_VERSION = 1 as const
export const TOOL_NAME = "spaces-vault"

export const OwnerFailure = Schema.Struct({
  /** What failed: the owner's listing, or one space, e.g. "list", "space 12", "collaborators 12". */
  scope: Schema.String,
  status: Schema.optionalKey(Schema.Number),
  message: Schema.String
})
export type OwnerFailure = typeof OwnerFailure.Type

/** The scopes export records; diff reads them back to tell a failed read from a deleted space. */
export const FailureScope = {
  list: "list",
  space: (number: number) => `space ${number}`
} as const

/** One line for people: "scope: message". */
export const describeFailure = (f: OwnerFailure): string => `${f.scope}: ${f.message}`

export const ManifestOwner = Schema.Struct({
  login: Schema.String,
  kind: OwnerKind,
  status: Schema.Literals(["complete", "partial"]),
  /** Spaces archived for this owner. */
  spaces: Schema.Int,
  failures: Schema.Array(OwnerFailure),
  /** Spaces that were listed but gone by the time we fetched them (deleted mid-export). */
  vanished: Schema.Array(Schema.Int)
})
export type ManifestOwner = typeof ManifestOwner.Type

export const ManifestEntry = Schema.Struct({
  path: Schema.String,
  size: Schema.Int,
  sha256: Schema.String
})
export type ManifestEntry = typeof ManifestEntry.Type

export const ManifestV1 = Schema.Struct({
  formatVersion: Schema.Literal(1),
  tool: Schema.Struct({ name: Schema.String, version: Schema.String }),
  /** UTC, ISO 8601 */
  createdAt: Schema.String,
  sourceApiUrl: Schema.String,
  partial: Schema.Boolean,
  owners: Schema.Array(ManifestOwner),
  entries: Schema.Array(ManifestEntry),
  /** One shard of a sharded run (absent otherwise, and in archives written before shards existed). */
  shard: Schema.optionalKey(Schema.Struct({ index: Schema.Int, count: Schema.Int })),
  /** Ties the archives of one run together, e.g. one night's shards (absent in archives written before). */
  runId: Schema.optionalKey(Schema.String)
})
export type ManifestV1 = typeof ManifestV1.Type
export type Manifest = ManifestV1

/** Only the version, so a reader can refuse a newer format before decoding the rest. */
export const ManifestVersionProbe = Schema.Struct({ formatVersion: Schema.Int })

export const SpaceEtags = Schema.Struct({
  space: Schema.optionalKey(Schema.String),
  collaborators: Schema.optionalKey(Schema.String)
})
export type SpaceEtags = typeof SpaceEtags.Type

/** `spaces/<owner>/<number>.json`: the space as GET returned it, plus its collaborators and the ETags used. */
export const ArchivedSpaceV1 = Schema.Struct({
  ...Space.fields,
  collaborators: Schema.Array(Collaborator),
  etags: SpaceEtags
})
export type ArchivedSpace = typeof ArchivedSpaceV1.Type

/** `repositories.json`: every referenced repository id, with its full name (null when unresolvable). */
export const RepositoryIndexV1 = Schema.Record(
  Schema.String,
  Schema.Struct({
    full_name: Schema.NullOr(Schema.String),
    /** The lookup's ETag, so the next export can ask with If-None-Match. */
    etag: Schema.optionalKey(Schema.String)
  })
)
export type RepositoryIndex = typeof RepositoryIndexV1.Type

export const MANIFEST_PATH = "manifest.json"
export const REPOSITORIES_PATH = "repositories.json"
/** Logins are case-insensitive on GitHub, so the path uses the folded login. */
export const spaceEntryPath = (ownerLogin: string, number: number): string =>
  `spaces/${ownerLogin.toLowerCase()}/${number}.json`
