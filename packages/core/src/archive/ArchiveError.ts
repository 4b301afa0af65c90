// Why an archive could not be written or read at all. Problems found inside a readable archive are
// reported by Verify instead, one sentence each.
import { Schema } from "effect"

export const ArchiveErrorReason = Schema.Literals([
  "NotFound",
  "Unreadable",
  /** A zip file whose bytes were damaged (cut short, or changed on disk): nothing in it can be trusted. */
  "Damaged",
  "UnsupportedVersion",
  "Invalid",
  "WriteFailed",
  /** An encrypted archive (format 2) whose contents were asked for, with no identity to decrypt them. */
  "Encrypted",
  /** An encrypted entry none of the given identities opens: the wrong key, or a key from another recipient set. */
  "Undecryptable"
])
export type ArchiveErrorReason = typeof ArchiveErrorReason.Type

/** What to do about a damaged archive: it cannot be repaired, but the archives before it are separate files. */
const DAMAGED_ADVICE = "use the previous archive instead"

export class ArchiveError extends Schema.TaggedError<ArchiveError>()("ArchiveError", {
  reason: ArchiveErrorReason,
  path: Schema.String,
  detail: Schema.String,
  /** The entry a `Damaged` archive cannot give back; absent when its table of contents is what is damaged. */
  entry: Schema.optionalKey(Schema.String)
}) {
  override get message(): string {
    switch (this.reason) {
      case "NotFound":
        return `archive ${this.path} does not exist`
      case "Unreadable":
        return `archive ${this.path} is not a readable zip file: ${this.detail}`
      case "Damaged":
        return this.entry === undefined
          ? `archive ${this.path} is damaged: ${this.detail}; ${DAMAGED_ADVICE}`
          : `entry ${this.entry} of archive ${this.path} is damaged: ${this.detail}; ${DAMAGED_ADVICE}`
      case "UnsupportedVersion":
        return `archive ${this.path} ${this.detail}`
      case "Invalid":
        return `archive ${this.path} is invalid: ${this.detail}`
      case "WriteFailed":
        return `could not write archive ${this.path}: ${this.detail}`
      case "Encrypted":
        return `archive ${this.path} is encrypted and no identity was given to decrypt it: ${this.detail}`
      case "Undecryptable":
        return `archive ${this.path} cannot be decrypted with the given identities: ${this.detail}`
    }
  }

  /** The problem without the archive's name, as verify lists it under the archive. */
  get problem(): string {
    return this.reason === "Damaged" && this.entry !== undefined
      ? `entry ${this.entry} is damaged: ${this.detail}`
      : this.detail
  }
}

/** What a damaged zip's table of contents is called, for people who do not know zip's terms. */
export const DAMAGED_TABLE_OF_CONTENTS = "its table of contents (zip central directory) cannot be read"
/** An entry whose compressed bytes do not inflate to what the zip's checksum and sizes say. */
export const DAMAGED_DATA = "its compressed data is corrupt"
/** An entry whose local header (where its data starts, how it is compressed) is wrong. */
export const DAMAGED_HEADER = "its zip header is corrupt"
/** An encrypted entry that fails age's authentication although its stored bytes match the manifest. */
export const DAMAGED_ENCRYPTION =
  "its encryption does not authenticate (it was truncated or altered when it was written)"
/**
 * What the Encrypted reason's detail says. Only the CLI reads an encrypted archive's contents (the worker's export
 * reads an earlier archive's manifest alone), so naming its option here is safe.
 */
export const NO_IDENTITY = "give the identity file age-keygen wrote (--identity FILE, or SPACES_VAULT_IDENTITY_FILE)"
