// status.json in the output directory, rewritten atomically after every run: what monitoring reads.
import { randomBytes } from "node:crypto"
import { rename, writeFile } from "node:fs/promises"
import { join } from "node:path"
import { Effect } from "effect"
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
  Effect.tryPromise({
    try: async () => {
      const tmp = join(dir, `.${STATUS_FILE}.tmp-${randomBytes(4).toString("hex")}`)
      await writeFile(tmp, `${JSON.stringify(status, null, 2)}\n`, { mode: 0o600 })
      await rename(tmp, join(dir, STATUS_FILE))
    },
    catch: (e) => new Error(`cannot write ${STATUS_FILE}: ${e instanceof Error ? e.message : String(e)}`)
  })
