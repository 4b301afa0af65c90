// What follows every export, in the CLI and the worker alike: the change report against each owner's baseline, and
// the webhook notice when something was deleted. Neither ever fails the backup: a problem is returned, to be said.
import { Effect } from "effect"
import { type LocationSource, locationText } from "../archive/ArchiveLocation.ts"
import { type ChangeReport, reportChanges } from "./ChangeReport.ts"
import { deletionNotice, postNotice } from "./Notify.ts"

export interface AfterExport {
  /** Undefined when the report could not be made (`problem` says why). */
  readonly report: ChangeReport | undefined
  readonly problem: string | undefined
  /** Whether a notice was due and sent; `notifyError` when sending failed. */
  readonly notified: boolean
  readonly notifyError: string | undefined
}

export const afterExport = (options: {
  /** The location the archive was written to (its newest archive): a local directory path, or any location. */
  readonly dir: LocationSource
  readonly stateDir: string
  readonly webhookUrl: string | undefined
  /** The file name of the archive just written; default the location's newest (another shard's may be newer). */
  readonly archiveName?: string | undefined
}) =>
  Effect.gen(function* () {
    const made = yield* reportChanges(options.dir, options.stateDir, options.archiveName).pipe(Effect.result)
    if (made._tag === "Failure")
      return {
        report: undefined,
        problem: made.failure.message,
        notified: false,
        notifyError: undefined
      } satisfies AfterExport
    const report = made.success
    const notice = options.webhookUrl === undefined ? undefined : deletionNotice(report, locationText(options.dir))
    if (notice === undefined || options.webhookUrl === undefined)
      return { report, problem: undefined, notified: false, notifyError: undefined } satisfies AfterExport
    const sent = yield* postNotice(options.webhookUrl, notice).pipe(Effect.result)
    return {
      report,
      problem: undefined,
      notified: sent._tag === "Success",
      notifyError: sent._tag === "Failure" ? sent.failure.message : undefined
    } satisfies AfterExport
  })
