// status.json in the output directory, rewritten atomically after every run: what monitoring reads.
import { join } from "node:path"
import { Effect } from "effect"
import { writeJsonAtomic } from "@spaces-vault/core/runtime/AtomicFile"
import type { OwnerSummary } from "@spaces-vault/core/export/ExportTypes"

export interface RunStatus {
  readonly lastRunStartedAt: string
  readonly lastRunFinishedAt: string
  readonly result: "success" | "partial" | "failed"
  readonly archive: string | null
  /** The export's per-owner summary, failure messages included, so a partial run says why without the archive. */
  readonly owners: ReadonlyArray<OwnerSummary>
  readonly requests: number
  readonly durationMs: number
  readonly error: string | null
  readonly removedArchives: ReadonlyArray<string>
  /** Archives retention kept because their manifest cannot be read: someone should look at them. */
  readonly unreadableArchives: ReadonlyArray<{ readonly name: string; readonly problem: string }>
  readonly nextRunAt: string | null
}

export const STATUS_FILE = "status.json"

export const writeStatus = (dir: string, status: RunStatus) =>
  writeJsonAtomic(join(dir, STATUS_FILE), status).pipe(
    Effect.mapError((e) => new Error(`cannot write ${STATUS_FILE}: ${e.detail}`))
  )
