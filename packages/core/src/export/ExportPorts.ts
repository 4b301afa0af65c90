// What the export needs from an archive: somewhere to write the new one, and an earlier one whose ETags
// let unchanged spaces come back as free 304s. Narrow ports so the pipeline is testable in memory.
import type { Effect } from "effect"
import type { ManifestOwner, RepositoryIndex, SpaceEtags } from "../archive/ArchiveFormat.ts"

export interface ArchiveSink {
  /** `raw` is the space as GET returned it, plus `collaborators` and `etags`. */
  readonly addSpace: (
    ownerLogin: string,
    number: number,
    raw: Record<string, unknown>
  ) => Effect.Effect<void, ExportSinkError>
  readonly setRepositories: (index: RepositoryIndex) => Effect.Effect<void, ExportSinkError>
  readonly finish: (manifest: {
    readonly createdAt: string
    readonly sourceApiUrl: string
    readonly partial: boolean
    readonly owners: ReadonlyArray<ManifestOwner>
  }) => Effect.Effect<string, ExportSinkError>
}

export interface ExportSinkError {
  readonly _tag: string
  readonly message: string
}

/** An earlier archive: small per-space bookkeeping in memory, contents read back lazily on 304. */
export interface PreviousArchive {
  readonly path: string
  readonly etags: (ownerLogin: string, number: number) => SpaceEtags | undefined
  readonly readSpace: (ownerLogin: string, number: number) => Effect.Effect<Record<string, unknown>, ExportSinkError>
  readonly repositories: RepositoryIndex
}
