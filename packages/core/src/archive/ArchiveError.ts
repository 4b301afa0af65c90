// Why an archive could not be written or read at all. Problems found inside a readable archive are
// reported by Verify instead, one sentence each.
import { Schema } from "effect"

export const ArchiveErrorReason = Schema.Literals([
  "NotFound",
  "Unreadable",
  "UnsupportedVersion",
  "Invalid",
  "WriteFailed"
])
export type ArchiveErrorReason = typeof ArchiveErrorReason.Type

export class ArchiveError extends Schema.TaggedError<ArchiveError>()("ArchiveError", {
  reason: ArchiveErrorReason,
  path: Schema.String,
  detail: Schema.String
}) {
  override get message(): string {
    switch (this.reason) {
      case "NotFound":
        return `archive ${this.path} does not exist`
      case "Unreadable":
        return `archive ${this.path} is not a readable zip file: ${this.detail}`
      case "UnsupportedVersion":
        return `archive ${this.path} ${this.detail}`
      case "Invalid":
        return `archive ${this.path} is invalid: ${this.detail}`
      case "WriteFailed":
        return `could not write archive ${this.path}: ${this.detail}`
    }
  }
}
