// After each export that wrote an archive: the change report for status.json and metrics, one log line per deleted
// space, and the webhook notice. Never fails the run: a report or webhook problem is a warning (and counted).
import { Config, Effect, Option } from "effect"
import { afterExport } from "@spaces-vault/core/report/AfterExport"
import type { ChangeReport } from "@spaces-vault/core/report/ChangeReport"
import { WEBHOOK_ENV, webhookUrl } from "@spaces-vault/core/report/Notify"
import { outputLocation, type WorkerConfig } from "./WorkerConfig.ts"

export interface RunReport {
  readonly changes: ChangeReport["changes"] | undefined
  /** Undefined when no notice was due; null when it was sent; the failure otherwise. */
  readonly notifyError: string | null | undefined
}

/** The webhook URL: the config's file (or --notify-webhook-file) first, else SPACES_VAULT_WEBHOOK_URL. */
const urlOf = (config: WorkerConfig) =>
  Effect.gen(function* () {
    const env = yield* Config.option(Config.String(WEBHOOK_ENV)).pipe(
      Effect.map(Option.getOrUndefined),
      Effect.orElseSucceed(() => undefined)
    )
    return yield* webhookUrl(config.notify?.webhookUrlFile, env)
  })

export const reportRun = (config: WorkerConfig, archiveName?: string) =>
  Effect.gen(function* () {
    const url = yield* urlOf(config).pipe(Effect.result)
    const after = yield* afterExport({
      dir: outputLocation(config),
      stateDir: config.stateDir,
      webhookUrl: url._tag === "Success" ? url.success : undefined,
      archiveName
    })
    if (after.problem !== undefined) yield* Effect.logWarning(`no change report: ${after.problem}`)
    const report = after.report
    for (const [owner, c] of Object.entries(report?.changes ?? {})) {
      for (const d of c.deleted)
        yield* Effect.logWarning(`space deleted: ${owner}/${d.number}`, {
          ...(d.name === undefined ? {} : { name: d.name }),
          archive: d.archive,
          restore: `spaces-vault restore --from ${config.outputDir} --space ${owner}/${d.number}`
        })
      for (const r of c.restored) yield* Effect.logInfo(`space restored: ${owner}/${r.number} restored as ${r.as}`)
    }
    const due = report !== undefined && Object.values(report.changes).some((c) => c.deleted.length > 0)
    // A bad URL file is a failed notification, said when there was something to say.
    const notifyError = url._tag === "Failure" ? (due ? url.failure.message : undefined) : after.notifyError
    if (notifyError !== undefined) yield* Effect.logWarning(notifyError)
    return {
      changes: report?.changes,
      notifyError: notifyError ?? (after.notified ? null : undefined)
    } satisfies RunReport
  })
