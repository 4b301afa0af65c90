// The repositories spaces reference, and one lookup per distinct repository id, made by whichever worker first meets
// the id, so a later migration can remap by name. Conditional on the earlier archive's ETag; the index is read once every lookup has finished.
import { Effect } from "effect"
import type { RepositoryIndex } from "../archive/ArchiveFormat.ts"
import type { GitHubClient } from "../github/GitHubClient.ts"
import type { GitHubError } from "../github/GitHubError.ts"
import { abortOnUnauthorized } from "./ExportError.ts"

interface RepositoryLookup {
  readonly entry: RepositoryIndex[string]
  /** Set when the lookup failed for a reason other than the repository being gone or invisible. */
  readonly failure: string | undefined
}

/** Holds a repository's place while its lookup is in flight, so no other worker looks it up again. */
const pendingLookup: RepositoryLookup = { entry: { full_name: null }, failure: undefined }

/**
 * One repository lookup, conditional on the earlier archive's ETag. A repository that is gone or invisible is
 * recorded as unresolved (null); any other failure is returned so the archive is marked partial.
 */
const resolveRepository = (client: GitHubClient["Service"], id: number, earlier: RepositoryIndex) => {
  const before = earlier[String(id)]
  return client.getRepositoryById(id, before?.etag).pipe(
    Effect.mapError(abortOnUnauthorized),
    Effect.map(
      (res): RepositoryLookup => ({
        entry:
          res._tag === "Modified"
            ? { full_name: res.value.full_name, ...(res.etag === undefined ? {} : { etag: res.etag }) }
            : { full_name: before?.full_name ?? null, ...(before?.etag === undefined ? {} : { etag: before.etag }) },
        failure: undefined
      })
    ),
    Effect.catchTag("GitHubError", (e: GitHubError) =>
      Effect.succeed<RepositoryLookup>({
        entry: { full_name: null },
        failure:
          e.reason._tag === "NotFound" || e.reason._tag === "Forbidden" ? undefined : `repository ${id}: ${e.message}`
      })
    )
  )
}

/** `earlier`: the repository index of the earlier archives, whose ETags make unchanged lookups 304s. */
export const makeRepositoryLookups = (client: GitHubClient["Service"], earlier: RepositoryIndex) => {
  const lookups = new Map<number, RepositoryLookup>()
  return {
    /** Looks up the ids not met before; an id already being looked up by another worker is skipped. */
    lookUp: (ids: ReadonlyArray<number>) =>
      Effect.forEach(
        ids,
        (id) => {
          if (lookups.has(id)) return Effect.void
          lookups.set(id, pendingLookup)
          return resolveRepository(client, id, earlier).pipe(
            Effect.flatMap((lookup) => Effect.sync(() => void lookups.set(id, lookup)))
          )
        },
        { discard: true }
      ),
    /** The index by id (sorted) and the lookups that failed; call once no lookup is in flight. */
    result: () => {
      const ids = [...lookups.keys()].sort((a, b) => a - b)
      return {
        index: Object.fromEntries(ids.map((id) => [String(id), lookups.get(id)!.entry])) as RepositoryIndex,
        failures: ids.flatMap((id) => lookups.get(id)!.failure ?? [])
      }
    }
  }
}
