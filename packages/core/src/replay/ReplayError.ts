// Why a replay could not run at all (a space that fails on its own is an outcome in the summary, not an error).
// The message names what went wrong, never a command-line option: a command adds those when it words the error.
import { Schema } from "effect"
import { GitHubError } from "../github/GitHubError.ts"
import { LockedError } from "../runtime/LockFile.ts"
import { JournalError } from "./Journal.ts"

/** The selection names spaces (`owner/number`) or owners the archive does not hold: the request cannot be met. */
export const NotInArchive = Schema.TaggedStruct("NotInArchive", {
  spaces: Schema.Array(Schema.String),
  owners: Schema.Array(Schema.String)
})

/** The archive failed verification or could not be read; `problem` is the sentence that says how. */
export const ArchiveInvalid = Schema.TaggedStruct("ArchiveInvalid", { archive: Schema.String, problem: Schema.String })
/**
 * The archive is encrypted and no identity was given: nothing of it can be replayed. `problem` is the sentence that
 * says so; unlike ArchiveInvalid, the invocation is what must change.
 */
export const ArchiveEncrypted = Schema.TaggedStruct("ArchiveEncrypted", {
  archive: Schema.String,
  problem: Schema.String
})
/** What the target holds could not be listed or looked up. */
export const TargetLookup = Schema.TaggedStruct("TargetLookup", { target: Schema.String, cause: GitHubError })
/** Another replay into the target holds its lock. */
export const Locked = Schema.TaggedStruct("Locked", { cause: LockedError })
/** The target's journal cannot be read. */
export const JournalUnusable = Schema.TaggedStruct("JournalUnusable", { cause: JournalError })
/** The state directory, where the journal and the lock live, cannot be made. */
export const StateDirUnusable = Schema.TaggedStruct("StateDirUnusable", { path: Schema.String, detail: Schema.String })

export const ReplayErrorReason = Schema.Union([
  NotInArchive,
  ArchiveInvalid,
  ArchiveEncrypted,
  TargetLookup,
  Locked,
  JournalUnusable,
  StateDirUnusable
])
export type ReplayErrorReason = typeof ReplayErrorReason.Type

export class ReplayError extends Schema.TaggedError<ReplayError>()("ReplayError", { reason: ReplayErrorReason }) {
  override get message(): string {
    const r = this.reason
    switch (r._tag) {
      case "NotInArchive":
        return [
          ...(r.spaces.length > 0 ? [`${r.spaces.join(", ")}: not in the archive`] : []),
          ...(r.owners.length > 0 ? [`${r.owners.join(", ")}: the archive holds no space of this owner`] : [])
        ].join("; ")
      case "ArchiveInvalid":
      case "ArchiveEncrypted":
        return r.problem
      case "TargetLookup":
        return `cannot look up what ${r.target} holds: ${r.cause.message}`
      case "Locked":
      case "JournalUnusable":
        return r.cause.message
      case "StateDirUnusable":
        return `cannot use the state directory ${r.path}: ${r.detail}`
    }
  }
}
