// The export's own failure, and the one GitHub failure that ends an export instead of being recorded.
import { Effect, Schema, Stream } from "effect"
import type { GitHubError } from "../github/GitHubError.ts"

export class ExportError extends Schema.TaggedError<ExportError>()("ExportError", {
  message: Schema.String
}) {}

/** A rejected token fails every request that follows: stop instead of archiving nothing. */
export const abortOnUnauthorized = <A, E extends { readonly _tag: string }, R>(self: Effect.Effect<A, E, R>) =>
  self.pipe(
    Effect.mapError((e): E | ExportError =>
      e._tag === "GitHubError" && (e as unknown as GitHubError).reason._tag === "Unauthorized"
        ? new ExportError({ message: (e as unknown as GitHubError).message })
        : e
    )
  )

export const abortOnUnauthorizedStream = <A, R>(self: Stream.Stream<A, GitHubError, R>): Stream.Stream<A, GitHubError | ExportError, R> =>
  self.pipe(Stream.mapError((e): GitHubError | ExportError => (e.reason._tag === "Unauthorized" ? new ExportError({ message: e.message }) : e)))
