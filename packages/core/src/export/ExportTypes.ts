// The export's inputs and its summary: what the CLI and the worker pass in and render.
import type { ArchiveSource, LocationSource } from "../archive/ArchiveLocation.ts"
import type { RecipientSet } from "../crypto/Recipients.ts"
import type { Owner, OwnerKind } from "../domain/Owner.ts"
import type { Shard } from "./Shard.ts"

export interface ExportOptions {
  readonly owners: ReadonlyArray<Owner>
  /** Where the archive is written: a local directory path, or any store's location. */
  readonly outDir: LocationSource
  /**
   * An earlier archive whose ETags make unchanged spaces free (304), for every owner. Default: each owner's newest
   * archive in outDir that covers it completely (ArchiveDirectory `baselinesFor`).
   */
  readonly since?: ArchiveSource | undefined
  /** Parallel GETs; capped by the client's own concurrency limit. */
  readonly concurrency?: number | undefined
  /**
   * This run is one shard of several: the owners given are already this shard's (`ownersOfShard`); the shard goes
   * into the archive's name and manifest.
   */
  readonly shard?: Shard | undefined
  /** Ties the archives of one run together (one night's shards); default: the export's start time, ISO 8601. */
  readonly runId?: string | undefined
  /** Encrypt the archive's contents to these age recipients (archive format 2); plaintext (format 1) without. */
  readonly encryptTo?: RecipientSet | undefined
}

export interface OwnerSummary {
  readonly owner: string
  readonly kind: OwnerKind
  readonly spaces: number
  readonly failed: number
  /** One line per failure, "scope: message" (e.g. "list: GET /orgs/o/copilot-spaces failed: …"). */
  readonly failures: ReadonlyArray<string>
  /** The kind the login really is, when its listing answered 404 and GitHub knows it as the other kind. */
  readonly actualKind?: OwnerKind
}

export interface ExportSummary {
  /** Final path of the archive written (`s3://bucket/prefix/NAME` in S3). */
  readonly archive: string
  readonly partial: boolean
  readonly owners: ReadonlyArray<OwnerSummary>
  /** HTTP requests sent, retries included. */
  readonly requests: number
  readonly notModified: number
  /** Waits imposed by rate limits during the export. */
  readonly rateLimitWaits?: number
  readonly durationMs: number
  /** The run id written into the manifest (exportSpaces always gives it). */
  readonly runId?: string
}

/** Progress events, for a terminal display; scripts ignore them. */
export type ExportProgress =
  | { readonly _tag: "OwnerStarted"; readonly owner: Owner }
  | { readonly _tag: "SpaceDone"; readonly owner: Owner; readonly done: number; readonly listed: number }
  | { readonly _tag: "OwnerDone"; readonly owner: Owner; readonly spaces: number; readonly failed: number }
