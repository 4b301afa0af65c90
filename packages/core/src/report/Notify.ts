// The webhook notice of a run that deleted something: one JSON document with a `text` a Slack incoming webhook
// shows as is, and per space the archive that still holds it and the command that restores it. The URL is a
// secret: it comes from the environment or a file, and is never logged (errors name the host at most).
import { readFile } from "node:fs/promises"
import { Duration, Effect, Schema } from "effect"
import { errorText } from "../runtime/ErrorText.ts"
import { type ChangeReport, quotedName } from "./ChangeReport.ts"

export const WEBHOOK_ENV = "SPACES_VAULT_WEBHOOK_URL"

export interface DeletionNotice {
  readonly text: string
  /** The archive just written. */
  readonly archive: string
  readonly deleted: ReadonlyArray<{
    readonly owner: string
    readonly number: number
    /** Absent when the archive is encrypted and the report was made without an identity (the worker's case). */
    readonly name?: string
    readonly archive: string
    readonly restore: string
  }>
}

/** The notice for a report, or undefined when nothing was deleted. `dir` is where the archives are. Pure. */
export const deletionNotice = (report: ChangeReport, dir: string): DeletionNotice | undefined => {
  const deleted = Object.entries(report.changes).flatMap(([owner, c]) =>
    c.deleted.map((d) => ({
      owner,
      number: d.number,
      ...(d.name === undefined ? {} : { name: d.name }),
      archive: d.archive,
      restore: `spaces-vault restore --from ${dir} --space ${owner}/${d.number}`
    }))
  )
  if (deleted.length === 0) return undefined
  const all = `spaces-vault restore --from ${dir} ${deleted.map((d) => `--space ${d.owner}/${d.number}`).join(" ")}`
  const text = [
    `spaces-vault: ${deleted.length === 1 ? "1 space was" : `${deleted.length} spaces were`} deleted since the last backup (${report.archive})`,
    ...deleted.map((d) => `• ${d.owner}/${d.number}${quotedName(d.name)} (still in ${d.archive})`),
    `Restore: ${all}`
  ].join("\n")
  return { text, archive: report.archive, deleted }
}

export class NotifyError extends Schema.TaggedError<NotifyError>()("NotifyError", { detail: Schema.String }) {
  override get message(): string {
    return `the webhook notification failed: ${this.detail}`
  }
}

/** The webhook URL: the file named in config or flag first, else the environment; undefined when neither. */
export const webhookUrl = (file: string | undefined, env: string | undefined) =>
  Effect.gen(function* () {
    const raw =
      file === undefined
        ? env
        : yield* Effect.tryPromise({
            try: () => readFile(file, "utf8"),
            catch: (e) => new NotifyError({ detail: `cannot read the webhook URL file ${file}: ${errorText(e)}` })
          })
    const url = raw?.trim()
    if (url === undefined || url === "") return undefined
    if (!/^https?:\/\/[^\s]+$/.test(url))
      return yield* new NotifyError({
        detail: `the webhook URL ${file === undefined ? `in ${WEBHOOK_ENV}` : `in ${file}`} is not an http(s) URL`
      })
    return url
  })

const hostOf = (url: string) => {
  try {
    return new URL(url).host
  } catch {
    return "the webhook"
  }
}

/** An error's text with the URL, a secret, replaced by its host: fetch quotes the URL it could not parse. */
const withoutUrl = (text: string, url: string) => text.split(url).join(hostOf(url))

/** Posts the notice; any failure (transport, non-2xx, 10 s without an answer) is a NotifyError naming the host only. */
export const postNotice = (url: string, notice: DeletionNotice) =>
  Effect.tryPromise({
    try: (signal) =>
      fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(notice),
        signal
      }),
    catch: (e) =>
      new NotifyError({
        detail: `${hostOf(url)}: ${withoutUrl(errorText((e as { cause?: unknown }).cause ?? e), url)}`
      })
  }).pipe(
    Effect.flatMap((res) =>
      res.ok
        ? Effect.promise(() => res.arrayBuffer()).pipe(Effect.asVoid)
        : Effect.fail(new NotifyError({ detail: `${hostOf(url)} answered ${res.status}` }))
    ),
    Effect.timeoutOrElse({
      duration: Duration.seconds(10),
      orElse: () => Effect.fail(new NotifyError({ detail: `${hostOf(url)} did not answer within 10 s` }))
    })
  )
