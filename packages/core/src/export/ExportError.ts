// Why an export wrote no archive: one error whose reason says what happened, with the message derived from it.
// Core words only; the CLI adds its flags (`--since`, `--user`) when it renders a reason.
import { Schema } from "effect"
import { OwnerKind } from "../domain/Owner.ts"
import type { GitHubError } from "../github/GitHubError.ts"

/** GitHub rejected the token: every request that follows would fail too. */
export const TokenRejected = Schema.TaggedStruct("TokenRejected", { detail: Schema.String })
/** The earlier archive named to take ETags from cannot be read. */
export const PreviousUnreadable = Schema.TaggedStruct("PreviousUnreadable", { detail: Schema.String })
/** Reading or writing files failed: the output directory, the archive, the earlier archive's copy of a space. */
export const FileFailed = Schema.TaggedStruct("FileFailed", { detail: Schema.String })

/** An owner whose spaces could not be listed at all. */
export const OwnerNotRead = Schema.Struct({
  login: Schema.String,
  kind: OwnerKind,
  /** "scope: message", as the manifest would have recorded it. */
  failure: Schema.String,
  /** The kind the login really is, when the listing answered 404 and GitHub knows the login as the other kind. */
  actualKind: Schema.optionalKey(OwnerKind)
})
export type OwnerNotRead = typeof OwnerNotRead.Type

/** No owner could be read (a typo, a wrong API URL, a network failure): an archive would hold nothing. */
export const NoOwnerRead = Schema.TaggedStruct("NoOwnerRead", { owners: Schema.Array(OwnerNotRead) })

export const ExportErrorReason = Schema.Union([TokenRejected, PreviousUnreadable, FileFailed, NoOwnerRead])
export type ExportErrorReason = typeof ExportErrorReason.Type

export class ExportError extends Schema.TaggedError<ExportError>()("ExportError", { reason: ExportErrorReason }) {
  override get message(): string {
    const r = this.reason
    switch (r._tag) {
      case "TokenRejected":
      case "FileFailed":
        return r.detail
      case "PreviousUnreadable":
        return `the earlier archive cannot be read: ${r.detail}`
      case "NoOwnerRead":
        return `no owner could be read, so no archive was written: ${r.owners.map((o) => `${o.login}: ${o.failure}`).join("; ")}`
    }
  }

  static fileFailed(detail: string): ExportError {
    return new ExportError({ reason: { _tag: "FileFailed", detail } })
  }
}

/** The owner's kind in words, for "mona is a user, not an organization". */
export const kindWord = (kind: OwnerKind): string => (kind === "org" ? "an organization" : "a user")

/**
 * A rejected token fails every request that follows: stop instead of archiving nothing. For `mapError` on an
 * effect or a stream of the client's; every other GitHub failure stays as it is, to be recorded.
 */
export const abortOnUnauthorized = (e: GitHubError): GitHubError | ExportError =>
  e.reason._tag === "Unauthorized" ? new ExportError({ reason: { _tag: "TokenRejected", detail: e.message } }) : e
