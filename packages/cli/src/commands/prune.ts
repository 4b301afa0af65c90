// `spaces-vault prune DIR --keep-*`: retention for people who schedule exports with cron themselves.
import { Effect } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { pruneArchives, type PruneResult } from "@spaces-vault/core/retention/Prune"
import { isEmptyPolicy } from "@spaces-vault/core/retention/Retention"
import { RunFailed, UsageError } from "../ExitCode.ts"
import { Output } from "../Output.ts"
import { jsonFlag } from "./shared.ts"

const keep = (name: string, what: string) =>
  Flag.Int(name).pipe(Flag.withDescription(what), Flag.withDefault(0))

export const renderPrune = (r: PruneResult): string =>
  [
    ...r.keep.map((d) => `keep    ${d.archive.name}  (${d.reasons.join(", ")})`),
    ...r.remove.map((a) => `${r.dryRun ? "would remove" : "removed"} ${a.name}`),
    ...r.unreadable.map((u) => `skipped ${u.name}: ${u.problem}`),
    `${r.keep.length} kept, ${r.remove.length} ${r.dryRun ? "to remove (dry run)" : "removed"}${r.unreadable.length ? `, ${r.unreadable.length} unreadable` : ""}`
  ].join("\n")

export const pruneCommand = Command.make(
  "prune",
  {
    dir: Argument.String("dir").pipe(Argument.withDescription("directory holding spaces-vault archives")),
    keepLast: keep("keep-last", "keep the N newest archives"),
    keepDaily: keep("keep-daily", "keep the newest archive of each of the last N days with archives"),
    keepWeekly: keep("keep-weekly", "keep the newest archive of each of the last N weeks with archives"),
    keepMonthly: keep("keep-monthly", "keep the newest archive of each of the last N months with archives"),
    dryRun: Flag.Boolean("dry-run").pipe(Flag.withDescription("show what would be removed, remove nothing"), Flag.withDefault(false)),
    json: jsonFlag
  },
  (f) =>
    Effect.gen(function* () {
      const out = (yield* Output)(f.json)
      const policy = { keepLast: f.keepLast, keepDaily: f.keepDaily, keepWeekly: f.keepWeekly, keepMonthly: f.keepMonthly }
      for (const [name, n] of Object.entries(policy)) {
        if (!Number.isInteger(n) || n < 0) return yield* new UsageError({ message: `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} must be 0 or more, got ${n}` })
      }
      if (isEmptyPolicy(policy)) {
        return yield* new UsageError({ message: "give at least one of --keep-last, --keep-daily, --keep-weekly, --keep-monthly (a policy that keeps nothing is refused)" })
      }
      const result = yield* pruneArchives(f.dir, policy, f.dryRun).pipe(
        Effect.catchTag("PruneError", (e) => Effect.fail(new RunFailed({ message: e.message, reported: false })))
      )
      yield* out.result(renderPrune(result), result)
      if (result.unreadable.length > 0) {
        return yield* new RunFailed({ message: "some archives could not be read; they were kept", reported: true })
      }
    })
).pipe(Command.withDescription("Delete old archives by a retention policy (restic forget semantics); never the newest complete one."))
