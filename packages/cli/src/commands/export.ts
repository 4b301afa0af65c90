// `spaces-vault export`: back up every space of the given orgs and users into one archive.
import { Clock, Config, Duration, Effect, FileSystem, Fiber, Option, Result, Schedule } from "effect"
import { Command, Flag } from "effect/cli"
import { ownerList } from "@spaces-vault/core/domain/Owner"
import type { Owner, OwnerKind } from "@spaces-vault/core/domain/Owner"
import type { ArchiveSource, LocationSource } from "@spaces-vault/core/archive/ArchiveLocation"
import type { ExportError } from "@spaces-vault/core/export/ExportError"
import { exportSpaces } from "@spaces-vault/core/export/ExportSpaces"
import { ownersWithInstallations } from "@spaces-vault/core/export/Installations"
import { type CryptoError, isConfigProblem } from "@spaces-vault/core/crypto/CryptoError"
import { type RecipientSet, recipientSet } from "@spaces-vault/core/crypto/Recipients"
import { ownersOfShard, parseShard, type Shard } from "@spaces-vault/core/export/Shard"
import type { ExportProgress, ExportSummary } from "@spaces-vault/core/export/ExportTypes"
import { GitHubClient } from "@spaces-vault/core/github/GitHubClient"
import { DEFAULT_CONCURRENCY, parseWaitDuration } from "@spaces-vault/core/github/GitHubConfig"
import { describeWait } from "@spaces-vault/core/github/WaitText"
import { RunFailed, UsageError } from "@spaces-vault/program/ExitCode"
import { githubLayer } from "@spaces-vault/program/GitHubLayer"
import { userLocationFlag, userPathFlag } from "@spaces-vault/program/UserPaths"
import { afterExport } from "@spaces-vault/core/report/AfterExport"
import type { ChangeReport } from "@spaces-vault/core/report/ChangeReport"
import { deletionLines, reportCounts } from "@spaces-vault/core/report/ChangeReport"
import { WEBHOOK_ENV, webhookUrl } from "@spaces-vault/core/report/Notify"
import { Output, type OutputShape } from "../Output.ts"
import { objectLockDaysFlag, objectLockModeFlag, s3EndpointFlag, withArchiveStore } from "./s3Flags.ts"
import { archiveInput, locationInput } from "./ArchiveInputs.ts"
import { stateDirOf } from "./replay.ts"
import { lockDirOf, withLocationLock } from "./LocationLocks.ts"
import {
  apiUrlFlag,
  appFlags,
  appSettings,
  checkRange,
  formatCount,
  jsonFlag,
  plural,
  repeatable,
  splitList
} from "./shared.ts"

const flags = {
  org: repeatable(
    Flag.String("org").pipe(Flag.withDescription("organization to export (repeatable; at least one --org or --user)"))
  ),
  user: repeatable(Flag.String("user").pipe(Flag.withDescription("user whose own spaces to export (repeatable)"))),
  out: userLocationFlag(
    Flag.String("out").pipe(Flag.withDescription("directory the archive is written to (created if missing)"))
  ),
  since: userLocationFlag(Flag.String("since")).pipe(
    Flag.withDescription(
      "earlier archive whose ETags make unchanged spaces free (default: for each owner, its newest archive in --out that covers it completely)"
    ),
    Flag.optional
  ),
  concurrency: Flag.Int("concurrency").pipe(
    Flag.withDescription(`parallel requests (1-100, default ${DEFAULT_CONCURRENCY})`),
    Flag.optional
  ),
  maxWait: Flag.String("max-wait").pipe(
    Flag.withDescription(
      "longest rate-limit pause to wait out, e.g. 90s, 10m, 1h; owners still to do then fail (exit 1, partial archive) instead of waiting longer (default: as long as GitHub asks)"
    ),
    Flag.optional
  ),
  allInstallations: Flag.Boolean("all-installations").pipe(
    Flag.withDescription(
      "also export every organization the GitHub App is installed on (with --app-id), so a new one is backed up the night it installs the App"
    ),
    Flag.withDefault(false)
  ),
  shard: Flag.String("shard").pipe(
    Flag.withDescription(
      "export only shard INDEX of COUNT (INDEX from 0, as Kubernetes' JOB_COMPLETION_INDEX): the owners whose lowercased login's sha256 modulo COUNT is INDEX; the archive's name and manifest carry the shard"
    ),
    Flag.optional
  ),
  stateDir: userPathFlag(Flag.String("state-dir")).pipe(
    Flag.withDescription(
      "where the export's lock (one export per --out and shard) and the replay journals the change report reads live (default: SPACES_VAULT_STATE_DIR, else $XDG_STATE_HOME/spaces-vault, else ~/.local/state/spaces-vault; the lock goes to OUT/.spaces-vault when a worker keeps its default state there)"
    ),
    Flag.optional
  ),
  runId: Flag.String("run-id").pipe(
    Flag.withDescription(
      "written into the archive's manifest to tie one run's shards together (default: the export's start time)"
    ),
    Flag.optional
  ),
  encryptTo: repeatable(
    Flag.String("encrypt-to").pipe(
      Flag.withDescription(
        "encrypt the archive to this age recipient (age1…, a public key; repeatable): format 2, every space and repositories.json an age file only the matching identities open"
      )
    )
  ),
  encryptToFile: repeatable(
    userPathFlag(Flag.String("encrypt-to-file")).pipe(
      Flag.withDescription(
        "encrypt to the recipients of this file (one age1… per line, # comments, as age -R reads it; repeatable)"
      )
    )
  ),
  ...appFlags,
  notifyWebhookFile: userPathFlag(Flag.String("notify-webhook-file")).pipe(
    Flag.withDescription(
      "file holding a webhook URL told of every deleted space (default: SPACES_VAULT_WEBHOOK_URL; the URL is a secret, so never a flag)"
    ),
    Flag.optional
  ),
  apiUrl: apiUrlFlag,
  s3Endpoint: s3EndpointFlag,
  objectLockDays: objectLockDaysFlag,
  objectLockMode: objectLockModeFlag,
  json: jsonFlag
}

/** --max-wait as a Duration; a value that is not one is a usage error (exit 2). */
const maxWaitOf = (text: Option.Option<string>) =>
  Option.match(text, {
    onNone: () => Effect.succeed(Option.none<Duration.Duration>()),
    onSome: (t) =>
      Result.match(parseWaitDuration(t), {
        onFailure: (message) => Effect.fail(new UsageError({ message: `--max-wait: ${message}` })),
        onSuccess: (d) => Effect.succeed(Option.some(d))
      })
  })

/**
 * Paths that cannot work are usage errors (exit 2), found before any request: an --out that is empty or a file,
 * a --since that does not exist or is not a file. An archive that exists but cannot be read fails at run time (1).
 */
const checkPaths = (out: LocationSource, since: ArchiveSource | undefined) =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const kind = (path: string) =>
      fs.stat(path).pipe(
        Effect.map((info) => (info.type === "Directory" ? "directory" : info.type === "File" ? "file" : "other")),
        Effect.orElseSucceed(() => "missing" as const)
      )
    if (typeof out === "string") {
      if (out.trim() === "") return yield* new UsageError({ message: "--out must name a directory" })
      const outKind = yield* kind(out)
      if (outKind !== "directory" && outKind !== "missing")
        return yield* new UsageError({ message: `--out ${out} is not a directory` })
    }
    // An archive in a store is looked at when the export opens it.
    if (typeof since !== "string") return
    const sinceKind = yield* kind(since)
    if (sinceKind === "missing") return yield* new UsageError({ message: `--since ${since}: no such archive` })
    if (sinceKind !== "file") return yield* new UsageError({ message: `--since ${since} is not an archive file` })
  })

/** --shard INDEX/COUNT; a value that is not one is a usage error (exit 2). */
const shardOf = (text: Option.Option<string>) =>
  Option.match(text, {
    onNone: () => Effect.succeed(undefined),
    onSome: (t) =>
      Result.match(parseShard(t), {
        onFailure: (message) => Effect.fail(new UsageError({ message: `--shard ${message}` })),
        onSuccess: (s) => Effect.succeed(s)
      })
  })

/**
 * The recipients of --encrypt-to and --encrypt-to-file, or undefined for a plaintext export. One that does not parse,
 * or a file that cannot be read, is a usage error (exit 2) before any request: encryption fails closed.
 */
const recipientsOf = (given: ReadonlyArray<string>, files: ReadonlyArray<string>) =>
  given.length === 0 && files.length === 0
    ? Effect.succeed(undefined)
    : recipientSet(given, files).pipe(Effect.mapError(recipientFailure))

/** Core's words with the flag that led to them; the recipient's text is never repeated (it may be a secret key). */
const recipientFailure = (e: CryptoError) => {
  const flag = e.file !== undefined ? "--encrypt-to-file" : "--encrypt-to"
  return isConfigProblem(e)
    ? new UsageError({ message: `${flag}: ${e.message}` })
    : new RunFailed({ message: `${flag}: ${e.message}`, reported: false })
}

/** The summary's line on encryption: how many recipients, and the set's fingerprint (the manifest records it). */
const encryptionLine = (set: RecipientSet) =>
  `encrypted to ${plural(set.recipients.length, "recipient")} (${set.fingerprint})`

/** Failures shown per owner on a terminal; the manifest has them all. */
const FAILURES_SHOWN = 3

/** The flag that names a login as what GitHub says it is: `--user mona`. */
const kindFlag = (kind: OwnerKind, login: string) => `--${kind} ${login}`

export const renderSummary = (s: ExportSummary): string => {
  const lines = [`archive: ${s.archive}${s.partial ? " (PARTIAL)" : ""}`]
  for (const o of s.owners) {
    const hint = o.actualKind === undefined ? "" : ` (use ${kindFlag(o.actualKind, o.owner)})`
    lines.push(
      `  ${o.kind} ${o.owner}: ${plural(o.spaces, "space")}${o.failed > 0 ? `, ${o.failed} failed` : ""}${hint}`
    )
    for (const f of o.failures.slice(0, FAILURES_SHOWN)) lines.push(`    ${f}`)
    if (o.failures.length > FAILURES_SHOWN) {
      lines.push(
        `    … and ${formatCount(o.failures.length - FAILURES_SHOWN)} more (listed in the archive's manifest.json)`
      )
    }
  }
  lines.push(
    `requests: ${formatCount(s.requests)} (${formatCount(s.notModified)} not modified), ${(s.durationMs / 1000).toFixed(1)} s`
  )
  return lines.join("\n")
}

/** Core's failure in the command's words: the flags it names are this command's. */
export const renderExportError = (e: ExportError): string => {
  const r = e.reason
  switch (r._tag) {
    case "PreviousUnreadable":
      return `--since: ${r.detail}`
    case "NoOwnerRead":
      return `no owner could be read, so no archive was written: ${r.owners
        .map(
          (o) =>
            `${o.login}: ${o.failure}${o.actualKind === undefined ? "" : `: use ${kindFlag(o.actualKind, o.login)}`}`
        )
        .join("; ")}`
    default:
      return e.message
  }
}

/** The report's lines: counts per owner, then one line per deleted or restored space. */
export const renderChanges = (report: ChangeReport): Array<string> => {
  const owners = Object.entries(report.changes)
  if (owners.length === 0) return []
  const lines = ["changes since each owner's last complete archive:"]
  for (const [owner, c] of owners)
    lines.push(
      `  ${owner}: ${c.deleted.length} deleted, ${c.added.length} added, ${c.changed.length} changed${c.restored.length > 0 ? `, ${c.restored.length} restored` : ""}`
    )
  for (const line of deletionLines(report)) lines.push(`  ${line}`)
  if (reportCounts(report).deleted > 0)
    lines.push("  (spaces-vault restore --from DIR --space OWNER/NUMBER brings one back)")
  return lines
}

/** The webhook URL from --notify-webhook-file, else the environment; a bad one is a usage error before any request. */
const webhookOf = (file: Option.Option<string>) =>
  Effect.gen(function* () {
    const env = yield* Config.option(Config.String(WEBHOOK_ENV)).pipe(Effect.map(Option.getOrUndefined))
    return yield* webhookUrl(Option.getOrUndefined(file), env).pipe(
      Effect.mapError(
        (e) => new UsageError({ message: Option.isSome(file) ? `--notify-webhook-file: ${e.detail}` : e.detail })
      )
    )
  })

/**
 * A live status line: owner, spaces done/listed, that owner's budget left (its installation's, with an App), current
 * wait. Redrawn every second while waiting.
 */
const progressReporter = (out: OutputShape) =>
  Effect.gen(function* () {
    const client = yield* GitHubClient
    let line = "starting"
    let current: Owner | undefined
    const draw = Effect.gen(function* () {
      const budget = current === undefined ? yield* client.budget : yield* client.budgetOf(current)
      const paused = current === undefined ? yield* client.pausedUntil : yield* client.pausedUntilOf(current)
      const now = yield* Clock.currentTimeMillis
      const parts = [line]
      if (budget !== undefined) parts.push(`budget ${formatCount(budget.remaining)}/${formatCount(budget.limit)}`)
      if (paused !== undefined && paused > now) parts.push(`waiting ${describeWait(now, paused)} (rate limit)`)
      yield* out.progress(parts.join(" · "))
    })
    const onProgress = (e: ExportProgress) =>
      Effect.suspend(() => {
        current = e.owner
        if (e._tag === "OwnerStarted") line = `${e.owner.login}: listing`
        else if (e._tag === "SpaceDone")
          line = `${e.owner.login}: ${formatCount(e.done)}/${formatCount(e.listed)} spaces`
        else line = `${e.owner.login}: ${plural(e.spaces, "space")} done`
        return draw
      })
    return { onProgress, ticker: draw.pipe(Effect.repeat(Schedule.spaced(Duration.seconds(1)))) }
  })

/** Core's installations, in the command's words and exit codes: without an App the flags are wrong (2). */
const withInstallations = (given: ReadonlyArray<Owner>) =>
  ownersWithInstallations(given).pipe(
    Effect.mapError((e) =>
      e.reason._tag === "NotApp"
        ? new UsageError({ message: "--all-installations needs a GitHub App: give --app-id and --app-key" })
        : new RunFailed({ message: e.message, reported: false })
    )
  )

/**
 * With a GitHub App, each owner's primary budget (its installation's) as its last answer reported it. With one
 * personal token every owner shares one budget, which the summary does not repeat per owner.
 */
interface OwnerBudget {
  readonly limit: number
  readonly remaining: number
  readonly resetAt: string
}

const budgetsOf = (owners: ReadonlyArray<Owner>) =>
  Effect.gen(function* () {
    const client = yield* GitHubClient
    const budgets = new Map<string, OwnerBudget>()
    if (client.authMode !== "app") return budgets
    for (const owner of owners) {
      const b = yield* client.budgetOf(owner)
      if (b !== undefined)
        budgets.set(`${owner.kind}:${owner.login.toLowerCase()}`, {
          limit: b.limit,
          remaining: b.remaining,
          resetAt: new Date(b.resetAt * 1000).toISOString()
        })
    }
    return budgets
  })

/** The documented `--json` result of an export (docs/json.md): counts per owner, the messages are in the manifest. */
const exportJson = (
  summary: ExportSummary & { readonly budgets: ReadonlyMap<string, OwnerBudget> },
  shard: Shard | undefined,
  encryptTo: RecipientSet | undefined,
  report: ChangeReport | undefined
) => ({
  archive: summary.archive,
  partial: summary.partial,
  owners: summary.owners.map(({ owner, kind, spaces, failed, actualKind }) => {
    const budget = summary.budgets.get(`${kind}:${owner.toLowerCase()}`)
    return {
      owner,
      kind,
      spaces,
      failed,
      ...(actualKind === undefined ? {} : { actualKind }),
      ...(budget === undefined ? {} : { budget })
    }
  }),
  requests: summary.requests,
  ...(summary.runId === undefined ? {} : { runId: summary.runId }),
  ...(shard === undefined ? {} : { shard }),
  ...(encryptTo === undefined
    ? {}
    : { encrypted: { recipients: encryptTo.fingerprint, recipientCount: encryptTo.recipients.length } }),
  changes: report?.changes ?? {}
})

export const exportCommand = Command.make("export", flags, (f) =>
  Effect.gen(function* () {
    // Where archives live is checked first: an unsupported location must never become a local path.
    const outDir = yield* locationInput(f.out, "--out")
    if (typeof outDir === "string" && (Option.isSome(f.objectLockDays) || Option.isSome(f.objectLockMode)))
      return yield* new UsageError({ message: "--object-lock-days and --object-lock-mode need an s3:// --out" })
    const since = Option.isSome(f.since) ? yield* archiveInput(f.since.value, "--since") : undefined
    const out = (yield* Output)(f.json)
    const listed = ownerList(splitList(f.org), splitList(f.user))
    if (Result.isFailure(listed)) return yield* new UsageError({ message: listed.failure })
    const given = listed.success
    if (given.length === 0 && !f.allInstallations)
      return yield* new UsageError({ message: "give at least one --org or --user to export" })
    const shard = yield* shardOf(f.shard)
    const runId = Option.getOrUndefined(f.runId)
    if (runId !== undefined && runId.trim() === "")
      return yield* new UsageError({ message: "--run-id must not be empty" })
    const concurrency = yield* checkRange("concurrency", f.concurrency, 1, 100)
    const maxWait = yield* maxWaitOf(f.maxWait)
    yield* checkPaths(outDir, since)
    const hook = yield* webhookOf(f.notifyWebhookFile)
    const stateDir = yield* stateDirOf(f.stateDir)
    const encryptTo = yield* recipientsOf(f.encryptTo, f.encryptToFile)

    const summary = yield* Effect.gen(function* () {
      const listedOwners = f.allInstallations ? yield* withInstallations(given) : given
      // Sharded after listing: an App's installations are split like owners given by name.
      const owners = shard === undefined ? listedOwners : ownersOfShard(listedOwners, shard)
      const reporter = yield* progressReporter(out)
      const ticker = out.interactive ? yield* Effect.forkChild(reporter.ticker) : undefined
      const result = yield* exportSpaces({
        owners,
        outDir,
        since,
        concurrency,
        shard,
        runId,
        encryptTo,
        onProgress: out.interactive ? reporter.onProgress : undefined,
        onWarning: out.warn
      })
      if (ticker !== undefined) yield* Fiber.interrupt(ticker)
      return { ...result, budgets: yield* budgetsOf(owners) }
    }).pipe(
      Effect.provide(
        githubLayer("spaces-vault", {
          apiUrl: f.apiUrl,
          concurrency: Option.fromUndefinedOr(concurrency),
          maxWait,
          app: appSettings(f)
        })
      ),
      Effect.catchTag("ExportError", (e) =>
        Effect.fail(new RunFailed({ message: renderExportError(e), reported: false }))
      ),
      withLocationLock(yield* lockDirOf(f.stateDir, outDir, stateDir), "export", outDir, shard)
    )

    const after = yield* afterExport({
      dir: outDir,
      stateDir,
      webhookUrl: hook,
      archiveName: summary.archive.split(/[\\/]/).pop()
    })
    if (after.problem !== undefined) yield* out.warn(`no change report: ${after.problem}`)
    if (after.notifyError !== undefined) yield* out.warn(after.notifyError)
    const report = after.report
    const lines = [
      renderSummary(summary),
      ...(encryptTo === undefined ? [] : [encryptionLine(encryptTo)]),
      ...(report === undefined ? [] : renderChanges(report))
    ]
    yield* out.result(lines.join("\n"), exportJson(summary, shard, encryptTo, report))
    if (summary.partial) {
      return yield* new RunFailed({ message: "the export is partial: some owners or spaces failed", reported: true })
    }
  }).pipe(withArchiveStore(f))
).pipe(
  Command.withDescription("Export every space of the given orgs and users into a verifiable archive."),
  Command.withExamples([
    { command: "spaces-vault export --org octo-org --out backups", description: "back up an organization's spaces" },
    {
      command: "spaces-vault export --org octo-org,octo-archive --user mona --out backups --json",
      description: "several owners (a user's own spaces need a classic token), one JSON summary on stdout"
    },
    {
      command: "spaces-vault export --app-id 123456 --app-key app.pem --all-installations --out backups",
      description: "as a GitHub App: every organization it is installed on, each on its own installation's budget"
    },
    {
      command: "spaces-vault export --org octo-org --out backups --encrypt-to-file recipients.txt",
      description: "an encrypted archive (format 2): only the identities of recipients.txt open its spaces"
    },
    {
      command: "GITHUB_API_URL=https://api.acme.ghe.com spaces-vault export --org acme --out backups",
      description: "GitHub Enterprise Cloud with data residency (GHE.com)"
    }
  ])
)
