// The export's own failure, and the one GitHub failure that ends an export instead of being recorded.
import { Schema } from "effect"
import type { GitHubError } from "../github/GitHubError.ts"

export class ExportError extends Schema.TaggedError<ExportError>()("ExportError", {
  message: Schema.String
}) {}

/**
 * A rejected token fails every request that follows: stop instead of archiving nothing. For `mapError` on an
 * effect or a stream of the client's; every other GitHub failure stays as it is, to be recorded.
 */
export const abortOnUnauthorized = (e: GitHubError): GitHubError | ExportError =>
  e.reason._tag === "Unauthorized" ? new ExportError({ message: e.message }) : e
