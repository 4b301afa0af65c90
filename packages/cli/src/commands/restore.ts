// `spaces-vault restore --from LOCATION`: the morning-after command. Finds the newest archive holding each space asked
// (or each space deleted since a time) and replays them with replay's engine, plan, exit codes and --json.
import { Clock, Effect, Option } from "effect"
import { Command, Flag } from "effect/cli"
import { parseSpaceKey } from "@spaces-vault/core/history/ArchiveSearch"
import { applyRestore, planRestore, type RestorePlan, type RestoreSelection } from "@spaces-vault/core/history/Restore"
import { parseTimeSpec, TIME_SPEC_HELP } from "@spaces-vault/core/history/TimeSpec"
import { loadMaps } from "@spaces-vault/core/replay/MapFiles"
import { emptySummary } from "@spaces-vault/core/replay/ReplaySummary"
import { RunFailed, UsageError } from "@spaces-vault/program/ExitCode"
import { githubLayer } from "@spaces-vault/program/GitHubLayer"
import { userLocationFlag } from "@spaces-vault/program/UserPaths"
import { fromLocationFailure, locationInput } from "./ArchiveInputs.ts"
import { Output } from "../Output.ts"
import {
  flags as replayFlags,
  mapFileFailure,
  parseOwner,
  renderInterrupted,
  renderReplay,
  replayFailure,
  stateDirOf,
  summaryJson
} from "./replay.ts"
import { withArchiveStore } from "./s3Flags.ts"
import { appSettings, plural, repeatable, withIdentities } from "./shared.ts"

const { archive: _archive, owner: _owner, space: _space, ...replayOptions } = replayFlags

const flags = {
  from: userLocationFlag(Flag.String("from")).pipe(
    Flag.withDescription("the location of archives to restore from: a directory or s3://bucket/prefix")
  ),
  space: repeatable(
    Flag.String("space").pipe(
      Flag.withDescription("restore OWNER/NUMBER from the newest archive holding it (repeatable)")
    )
  ),
  asOf: Flag.String("as-of").pipe(
    Flag.withDescription(`take each --space from the newest archive made at or before TIME: ${TIME_SPEC_HELP}`),
    Flag.optional
  ),
  deletedSince: Flag.String("deleted-since").pipe(
    Flag.withDescription(`restore every space deleted since TIME, as the archives know it: ${TIME_SPEC_HELP}`),
    Flag.optional
  ),
  ...replayOptions
}

const timeOf = (flag: string, raw: string) =>
  Effect.flatMap(Clock.currentTimeMillis, (now) => {
    const t = parseTimeSpec(raw, now)
    return t === undefined
      ? Effect.fail(new UsageError({ message: `--${flag} ${raw}: expected ${TIME_SPEC_HELP}` }))
      : Effect.succeed(t)
  })

const selectionOf = (f: {
  space: ReadonlyArray<string>
  asOf: Option.Option<string>
  deletedSince: Option.Option<string>
}) =>
  Effect.gen(function* () {
    if (Option.isSome(f.deletedSince)) {
      if (f.space.length > 0 || Option.isSome(f.asOf))
        return yield* new UsageError({
          message: "--deleted-since restores what was deleted: give it without --space or --as-of"
        })
      return {
        _tag: "DeletedSince",
        since: yield* timeOf("deleted-since", f.deletedSince.value)
      } satisfies RestoreSelection
    }
    if (f.space.length === 0)
      return yield* new UsageError({ message: "give --space OWNER/NUMBER (repeatable) or --deleted-since TIME" })
    const spaces = []
    for (const s of f.space) {
      const key = parseSpaceKey(s)
      if (key === undefined) return yield* new UsageError({ message: `--space ${s}: expected OWNER/NUMBER` })
      spaces.push(key)
    }
    const asOf = Option.isSome(f.asOf) ? yield* timeOf("as-of", f.asOf.value) : undefined
    return { _tag: "Spaces", spaces, asOf } satisfies RestoreSelection
  })

/** Which archive each space comes from: the first lines a person reads. */
const sourceLines = (plan: RestorePlan): Array<string> => {
  const byArchive = new Map<string, Array<string>>()
  for (const s of plan.sources) byArchive.set(s.archive, [...(byArchive.get(s.archive) ?? []), s.space])
  return [...byArchive].map(([archive, spaces]) => `from ${archive}: ${spaces.join(", ")}`)
}

export const restoreCommand = Command.make("restore", flags, (f) =>
  Effect.gen(function* () {
    // Refused before anything else: a scheme no store reads, an archive's name, an S3 bucket that cannot be reached.
    const from = yield* locationInput(f.from, "--from")
    const out = (yield* Output)(f.json)
    const selection = yield* selectionOf(f)
    const to = Option.isSome(f.to) ? yield* parseOwner(f.to.value) : undefined
    if (Option.isSome(f.writeRate) && !(f.writeRate.value > 0))
      return yield* new UsageError({
        message: `--write-rate must be a positive number of requests per minute, got ${f.writeRate.value}`
      })
    const maps = yield* loadMaps({
      repo: Option.getOrUndefined(f.repoMap),
      team: Option.getOrUndefined(f.teamMap),
      user: Option.getOrUndefined(f.userMap)
    }).pipe(Effect.mapError(mapFileFailure))
    const plan = yield* planRestore(from, selection).pipe(Effect.mapError(fromLocationFailure))
    for (const u of plan.unreadable) yield* out.warn(`skipped ${u.name}: ${u.problem}`)
    if (plan.missing.length > 0)
      return yield* new UsageError({
        message: `--space ${plan.missing.join(", ")}: in no readable archive of ${f.from}${selection._tag === "Spaces" && selection.asOf !== undefined ? " made before --as-of" : ""}`
      })
    const sources = plan.sources.map((s) => ({ space: s.space, archive: s.archive }))
    const writesPerMinute = Option.getOrElse(f.writeRate, () => 60)
    if (plan.sources.length === 0) {
      return yield* out.result("no space was deleted since then, as far as the archives know", {
        ...summaryJson(emptySummary(f.dryRun), writesPerMinute),
        sources
      })
    }
    const summary = yield* applyRestore(plan, {
      to,
      maps,
      onConflict: f.onConflict,
      strict: f.strict,
      dryRun: f.dryRun,
      stateDir: yield* stateDirOf(f.stateDir),
      onProgress: out.progress,
      onInterrupt: (soFar) =>
        out.json
          ? out.result("", { ...summaryJson(soFar, writesPerMinute), sources, interrupted: true })
          : out.warn(renderInterrupted(soFar))
    }).pipe(
      Effect.provide(
        githubLayer("spaces-vault", { apiUrl: f.apiUrl, writesPerMinute: f.writeRate, app: appSettings(f) })
      ),
      Effect.catchTag("ReplayError", (e) => Effect.fail(replayFailure(e, [])))
    )
    yield* out.result(
      [...sourceLines(plan), renderReplay(summary, { verbose: f.verbose, writesPerMinute })].join("\n"),
      { ...summaryJson(summary, writesPerMinute), sources }
    )
    if (summary.failed.length > 0)
      return yield* new RunFailed({ message: `${plural(summary.failed.length, "space")} failed`, reported: true })
  }).pipe(withIdentities(f.identity), withArchiveStore(f))
).pipe(
  Command.withDescription(
    "Restore spaces from the newest archive that holds them (or every space deleted since a time), with replay's engine."
  ),
  Command.withExamples([
    {
      command: "spaces-vault restore --from backups --space octo-org/12 --dry-run",
      description: "plan the restore of a deleted space from the newest archive holding it"
    },
    {
      command: "spaces-vault restore --from backups --deleted-since 36h",
      description: "bring back every space deleted in the last 36 hours"
    },
    {
      command: "spaces-vault restore --from backups --space octo-org/12 --as-of 2026-11-20",
      description: "restore the space as it was before November 20 (UTC)"
    }
  ])
)
