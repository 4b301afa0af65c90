// Real archives written with the archive writer from plain data: owners with their status, spaces by number.
import { Effect } from "effect"
import type { ManifestOwner } from "../../src/archive/ArchiveFormat.ts"
import { openArchiveWriter, type WriterOptions } from "../../src/archive/ArchiveWriter.ts"

/** A space as GET returns it, plus collaborators and ETags; `name` defaults to "Space N". */
export const archivedSpace = (owner: string, number: number, extra: Record<string, unknown> = {}) => ({
  id: 100 + number,
  number,
  name: `Space ${number}`,
  description: null,
  general_instructions: "be nice",
  base_role: "reader",
  owner: { login: owner, id: 1, type: "Organization" },
  creator: { login: "octocat", id: 2 },
  created_at: "2024-01-01T00:00:00Z",
  updated_at: "2024-01-02T00:00:00Z",
  html_url: `https://github.com/copilot/spaces/${owner}/${number}`,
  api_url: `https://api.github.com/organizations/1/copilot-spaces/${number}`,
  resources_attributes: [],
  collaborators: [],
  etags: { space: `"e${number}"` },
  ...extra
})

export interface OwnerData {
  readonly login: string
  readonly kind?: "org" | "user"
  /** Space numbers archived, or [number, extra fields]. */
  readonly spaces: ReadonlyArray<number | readonly [number, Record<string, unknown>]>
  /** Failures recorded for the owner; any makes it partial. */
  readonly failures?: ManifestOwner["failures"]
}

/** Writes an archive at `path` holding the owners' spaces; partial when any owner has failures; format 2 when
 * `options` encrypt. */
export const writeOwnersArchive = (
  path: string,
  createdAt: string,
  owners: ReadonlyArray<OwnerData>,
  options: WriterOptions = {}
) =>
  Effect.scoped(
    Effect.gen(function* () {
      const writer = yield* openArchiveWriter(path, options)
      for (const o of owners) {
        for (const s of o.spaces) {
          const [number, extra] = typeof s === "number" ? [s, {}] : s
          yield* writer.addSpace(o.login, number, archivedSpace(o.login, number, extra))
        }
      }
      yield* writer.setRepositories({})
      const manifestOwners = owners.map(
        (o): ManifestOwner => ({
          login: o.login,
          kind: o.kind ?? "org",
          status: (o.failures ?? []).length > 0 ? "partial" : "complete",
          spaces: o.spaces.length,
          failures: o.failures ?? [],
          vanished: []
        })
      )
      return yield* writer.finish({
        toolVersion: "test",
        createdAt,
        sourceApiUrl: "https://api.github.com",
        partial: manifestOwners.some((o) => o.status === "partial"),
        owners: manifestOwners
      })
    })
  )
