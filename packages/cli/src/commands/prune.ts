// `spaces-vault prune DIR --keep-*`: retention for people who schedule `spaces-vault export` with cron themselves.
// Flags and output only; the policy is core/retention.
import { DateTime, Effect, Option } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { pruneArchives, type PruneResult } from "@spaces-vault/core/retention/Prune"
import { isoTime } from "@spaces-vault/core/domain/Canonical"
import { type ArchiveInfo, policyOf } from "@spaces-vault/core/retention/Retention"
import { RunFailed, UsageError } from "@spaces-vault/program/ExitCode"
import { userLocationArgument, userPathFlag } from "@spaces-vault/program/UserPaths"
import { locationInput } from "./ArchiveInputs.ts"
import { Output } from "../Output.ts"
import { stateDirOf } from "./replay.ts"
import { lockDirOf, lockFailure } from "./LocationLocks.ts"
import { s3EndpointFlag, withArchiveStore } from "./s3Flags.ts"
import { jsonFlag } from "./shared.ts"

const keep = (name: string, what: string) => Flag.Int(name).pipe(Flag.withDescription(what), Flag.withDefault(0))

const describeArchive = (a: ArchiveInfo) => ({
  name: a.name,
  createdAt: isoTime(a.createdAt),
  complete: a.complete,
  owners: a.owners.map(({ login, complete }) => ({ login, complete }))
})

/** The --json object. */
export const pruneJson = (dir: string, r: PruneResult) => ({
  dir,
  dryRun: r.dryRun,
  keep: r.keep.map((d) => ({ ...describeArchive(d.archive), reasons: d.reasons, keptFor: d.keptFor })),
  remove: r.remove.map(describeArchive),
  unreadable: r.unreadable,
  retained: r.retained
})

export const renderPrune = (r: PruneResult): string =>
  [
    ...r.keep.map(
      (d) => `keep          ${d.archive.name}${d.archive.complete ? "" : " (partial)"}  ${d.reasons.join(", ")}`
    ),
    ...r.remove.map(
      (a) => `${r.dryRun ? "would remove " : "removed      "} ${a.name}${a.complete ? "" : " (partial)"}`
    ),
    ...r.unreadable.map((u) => `kept, unreadable ${u.name}: ${u.problem}`),
    ...r.retained.map((k) => `retained      ${k.name}: ${k.detail}; a later prune tries again`),
    `${r.keep.length} kept, ${r.remove.length} ${r.dryRun ? "to remove (dry run, nothing deleted)" : "removed"}` +
      (r.unreadable.length > 0 ? `, ${r.unreadable.length} unreadable (kept)` : "") +
      (r.retained.length > 0 ? `, ${r.retained.length} retained (Object Lock)` : "")
  ].join("\n")

const flagName = (key: string) => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`

export const pruneCommand = Command.make(
  "prune",
  {
    dir: userLocationArgument(
      Argument.String("dir").pipe(Argument.withDescription("directory holding spaces-vault archives"))
    ),
    keepLast: keep("keep-last", "keep the N newest archives"),
    keepDaily: keep("keep-daily", "keep the newest archive of each of the last N days that have archives"),
    keepWeekly: keep("keep-weekly", "keep the newest archive of each of the last N ISO weeks that have archives"),
    keepMonthly: keep("keep-monthly", "keep the newest archive of each of the last N months that have archives"),
    timeZone: Flag.String("time-zone").pipe(
      Flag.withDescription("IANA time zone in which days, weeks and months begin (default UTC)"),
      Flag.optional
    ),
    dryRun: Flag.Boolean("dry-run").pipe(
      Flag.withDescription("show what would be removed; remove nothing"),
      Flag.withDefault(false)
    ),
    stateDir: userPathFlag(Flag.String("state-dir")).pipe(
      Flag.withDescription(
        "where the retention lock lives, shared with the worker's stateDir to keep them from deleting at once (default: SPACES_VAULT_STATE_DIR, else DIR/.spaces-vault when a worker keeps its state there, else $XDG_STATE_HOME/spaces-vault, else ~/.local/state/spaces-vault)"
      ),
      Flag.optional
    ),
    s3Endpoint: s3EndpointFlag,
    json: jsonFlag
  },
  (f) =>
    Effect.gen(function* () {
      const dir = yield* locationInput(f.dir)
      const out = (yield* Output)(f.json)
      const counts = {
        keepLast: f.keepLast,
        keepDaily: f.keepDaily,
        keepWeekly: f.keepWeekly,
        keepMonthly: f.keepMonthly
      }
      for (const [key, n] of Object.entries(counts)) {
        if (!Number.isInteger(n) || n < 0)
          return yield* new UsageError({ message: `${flagName(key)} must be 0 or more, got ${n}` })
      }
      const policy = policyOf(counts)
      if (policy === undefined) {
        return yield* new UsageError({
          message:
            "give at least one of --keep-last, --keep-daily, --keep-weekly, --keep-monthly (a policy that keeps nothing is refused)"
        })
      }
      const timeZone = Option.getOrUndefined(f.timeZone)
      if (timeZone !== undefined && Option.isNone(DateTime.zoneMakeNamed(timeZone))) {
        return yield* new UsageError({
          message: `--time-zone: "${timeZone}" is not an IANA time zone (e.g. Europe/Berlin)`
        })
      }
      const stateDir = yield* lockDirOf(f.stateDir, dir, yield* stateDirOf(f.stateDir))
      const result = yield* pruneArchives(dir, policy, { dryRun: f.dryRun, timeZone, stateDir }).pipe(
        Effect.catchTag("PruneError", (e) => Effect.fail(new RunFailed({ message: e.message, reported: false }))),
        Effect.catchTag("LockedError", (e) => Effect.fail(lockFailure(e)))
      )
      yield* out.result(renderPrune(result), pruneJson(f.dir, result))
      if (result.unreadable.length > 0) {
        return yield* new RunFailed({ message: "some archives could not be read; they were kept", reported: true })
      }
    }).pipe(withArchiveStore(f))
).pipe(
  Command.withDescription(
    "Delete old archives by a retention policy (restic forget semantics), applied to each owner over the archives " +
      "holding it; an archive is kept while any owner keeps it. Never deletes an owner's newest complete archive " +
      "or an archive it cannot read (exit 1 when there is one)."
  ),
  Command.withExamples([
    {
      command: "spaces-vault prune backups --keep-daily 7 --keep-weekly 4 --keep-monthly 12 --dry-run",
      description: "see what a week, a month and a year of history would remove"
    },
    { command: "spaces-vault prune backups --keep-last 3", description: "keep the three newest archives" }
  ])
)
