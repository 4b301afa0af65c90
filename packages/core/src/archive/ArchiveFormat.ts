// Archive formats 1 (plaintext) and 2 (each content entry age-encrypted): the stable, documented layout of a
// spaces-vault archive (see docs/archive-format.md). Readers decode any supported version and upgrade it to one
// in-memory shape (`Manifest`), whose entries are named by their plaintext paths and digests, so everything that
// reads contents or compares digests works alike on both formats.
import { Schema } from "effect"
import { OwnerKind } from "../domain/Owner.ts"
import { Collaborator, Space } from "../domain/Space.ts"

/** The newest format this spaces-vault reads. */
export const CURRENT_FORMAT_VERSION = 2 as const
/**
 * A plaintext export still writes format 1, so that an older spaces-vault keeps reading it; format 2 is what an
 * encrypted export writes (format 1 has no place for the plaintext digests and ETags an encrypted archive needs).
 */
export const PLAINTEXT_FORMAT_VERSION = 1 as const
export const ENCRYPTED_FORMAT_VERSION = 2 as const
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

export const ManifestEntryV1 = Schema.Struct({
  path: Schema.String,
  size: Schema.Int,
  sha256: Schema.String
})
export type ManifestEntryV1 = typeof ManifestEntryV1.Type

export const ManifestV1 = Schema.Struct({
  formatVersion: Schema.Literal(1),
  tool: Schema.Struct({ name: Schema.String, version: Schema.String }),
  /** UTC, ISO 8601 */
  createdAt: Schema.String,
  sourceApiUrl: Schema.String,
  partial: Schema.Boolean,
  owners: Schema.Array(ManifestOwner),
  entries: Schema.Array(ManifestEntryV1),
  /** One shard of a sharded run (absent otherwise, and in archives written before shards existed). */
  shard: Schema.optionalKey(Schema.Struct({ index: Schema.Int, count: Schema.Int })),
  /** Ties the archives of one run together, e.g. one night's shards (absent in archives written before). */
  runId: Schema.optionalKey(Schema.String)
})
export type ManifestV1 = typeof ManifestV1.Type

export const SpaceEtags = Schema.Struct({
  space: Schema.optionalKey(Schema.String),
  collaborators: Schema.optionalKey(Schema.String)
})
export type SpaceEtags = typeof SpaceEtags.Type

/** What an encrypted archive's entries are encrypted with, and to which recipient set (its fingerprint only). */
export const Encryption = Schema.Struct({
  scheme: Schema.Literal("age-x25519"),
  /** `sha256:` + hex of the sorted distinct recipients, one per line (crypto/Recipients.ts `recipientFingerprint`). */
  recipients: Schema.String
})
export type Encryption = typeof Encryption.Type

/** The plaintext an encrypted entry holds: its size and sha256, so changes are told apart without any key. */
export const PlaintextDigest = Schema.Struct({ size: Schema.Int, sha256: Schema.String })

/**
 * An encrypted entry is its JSON gzipped, then age-encrypted: `spaces/o/7.json.gz.age`. Ciphertext does not
 * compress, so compressing first keeps an encrypted archive near a plaintext one's size (about 4 times smaller than
 * encrypted JSON), as restic and kopia do; `age -d -i KEY NAME.gz.age | gunzip` gives the JSON back.
 */
export const ENCRYPTED_SUFFIX = ".gz.age"

/** A row of a format-2 manifest: the stored (encrypted) entry, its plaintext's digest, and for spaces what the next
 * export needs without the key — the ETags to ask with and the repository ids the space references. */
export const ManifestEntryV2 = Schema.Struct({
  path: Schema.String.check(Schema.isEndingWith(ENCRYPTED_SUFFIX)),
  size: Schema.Int,
  sha256: Schema.String,
  plaintext: PlaintextDigest,
  etags: Schema.optionalKey(SpaceEtags),
  repositoryIds: Schema.optionalKey(Schema.Array(Schema.Int))
})
export type ManifestEntryV2 = typeof ManifestEntryV2.Type

export const ManifestV2 = Schema.Struct({
  ...ManifestV1.fields,
  formatVersion: Schema.Literal(2),
  encryption: Encryption,
  entries: Schema.Array(ManifestEntryV2)
})
export type ManifestV2 = typeof ManifestV2.Type

/** An entry as the zip holds it: for an encrypted entry, the `.gz.age` file's name, size and sha256. */
export interface StoredEntry {
  readonly path: string
  readonly size: number
  readonly sha256: string
}

/**
 * One entry of the in-memory manifest, named and digested by its plaintext (`spaces/o/7.json`, the JSON's size
 * and sha256) in both formats. `stored` is present when the zip holds the entry encrypted, under another name.
 */
export interface ManifestEntry {
  readonly path: string
  readonly size: number
  readonly sha256: string
  readonly stored?: StoredEntry
  /** Format 2 only: a space's ETags and referenced repository ids, readable without the key. */
  readonly etags?: SpaceEtags
  readonly repositoryIds?: ReadonlyArray<number>
}

/** The in-memory manifest every reader sees, whichever format the archive uses. */
export interface Manifest extends Omit<ManifestV1, "formatVersion" | "entries"> {
  readonly formatVersion: 1 | 2
  /** Present when the archive's content entries are encrypted. */
  readonly encryption?: Encryption
  readonly entries: ReadonlyArray<ManifestEntry>
}

/** The zip entry that holds a manifest entry: the encrypted file, or the plaintext entry itself. */
export const storedOf = (entry: ManifestEntry): StoredEntry => entry.stored ?? entry

export const upgradeV1 = (m: ManifestV1): Manifest => m

export const upgradeV2 = (m: ManifestV2): Manifest => ({
  ...m,
  entries: m.entries.map((e) => ({
    path: e.path.slice(0, -ENCRYPTED_SUFFIX.length),
    size: e.plaintext.size,
    sha256: e.plaintext.sha256,
    stored: { path: e.path, size: e.size, sha256: e.sha256 },
    ...(e.etags === undefined ? {} : { etags: e.etags }),
    ...(e.repositoryIds === undefined ? {} : { repositoryIds: e.repositoryIds })
  }))
})

/** Only the version, so a reader can refuse a newer format before decoding the rest. */
export const ManifestVersionProbe = Schema.Struct({ formatVersion: Schema.Int })

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
