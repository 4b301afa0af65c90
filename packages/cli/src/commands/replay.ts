// `spaces-vault replay ARCHIVE`: restore spaces into their original owners, or migrate them with --to.
import { Config, Effect, Option } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { isLogin, org, user, type Owner } from "@spaces-vault/core/domain/Owner"
import { loadMaps, type MapFileError } from "@spaces-vault/core/replay/MapFiles"
import { type ReplayError, replayArchive, type ReplaySummary } from "@spaces-vault/core/replay/Replay"
import { estimateSeconds } from "@spaces-vault/core/replay/ReplayPlan"
import { resolveStateDir } from "@spaces-vault/core/runtime/StateDir"
import { RunFailed, UsageError } from "@spaces-vault/program/ExitCode"
import { githubLayer } from "@spaces-vault/program/GitHubLayer"
import { userLocationArgument, userPathFlag } from "@spaces-vault/program/UserPaths"
import { archiveInput } from "./ArchiveInputs.ts"
import { Output } from "../Output.ts"
import { s3EndpointFlag, withArchiveStore } from "./s3Flags.ts"
import {
  apiUrlFlag,
  appFlags,
  appSettings,
  identityFlag,
  jsonFlag,
  plural,
  repeatable,
  withIdentities
} from "./shared.ts"

const file = (name: string, what: string) =>
  userPathFlag(Flag.String(name).pipe(Flag.withDescription(what))).pipe(Flag.optional)

export const flags = {
  archive: userLocationArgument(Argument.String("archive").pipe(Argument.withDescription("archive to replay"))),
  to: Flag.String("to").pipe(
    Flag.withDescription(
      "migrate into this owner: an organization login, or user:LOGIN (default: restore into the original owners)"
    ),
    Flag.optional
  ),
  repoMap: file("repo-map", "JSON file mapping archived repository names or ids to target names or ids"),
  teamMap: file("team-map", "JSON file mapping archived team slugs to target slugs"),
  userMap: file("user-map", "JSON file mapping archived logins to target logins"),
  space: repeatable(
    Flag.String("space").pipe(
      Flag.withDescription(
        "replay only OWNER/NUMBER, or OWNER/* for all of an owner's spaces (repeatable; default all)"
      )
    )
  ),
  owner: repeatable(
    Flag.String("owner").pipe(
      Flag.withDescription("replay every space of this archived owner (repeatable; the same as --space OWNER/*)")
    )
  ),
  onConflict: Flag.Literals("on-conflict", ["skip", "update", "fail"]).pipe(
    Flag.withDescription(
      "when the target already has the space: skip it (default), update it to equal the archive, or stop"
    ),
    Flag.withDefault("skip" as const)
  ),
  writeRate: Flag.Int("write-rate").pipe(
    Flag.withDescription("mutating requests per minute (default 60: one per second)"),
    Flag.optional
  ),
  strict: Flag.Boolean("strict").pipe(
    Flag.withDescription("do not create a space when anything in it cannot be carried over"),
    Flag.withDefault(false)
  ),
  dryRun: Flag.Boolean("dry-run").pipe(
    Flag.withDescription("print the plan; send no POST, PUT or DELETE"),
    Flag.withDefault(false)
  ),
  verbose: Flag.Boolean("verbose").pipe(
    Flag.withDescription("also list the spaces skipped because they already exist or already equal the archive"),
    Flag.withDefault(false)
  ),
  stateDir: userPathFlag(Flag.String("state-dir")).pipe(
    Flag.withDescription(
      "where replay journals and locks live (default: SPACES_VAULT_STATE_DIR, else $XDG_STATE_HOME/spaces-vault, else ~/.local/state/spaces-vault)"
    ),
    Flag.optional
  ),
  identity: identityFlag,
  ...appFlags,
  apiUrl: apiUrlFlag,
  s3Endpoint: s3EndpointFlag,
  json: jsonFlag
}

export const parseOwner = (raw: string): Effect.Effect<Owner, UsageError> => {
  const [, kind, login = ""] = /^(?:(org|user):)?(.*)$/.exec(raw.trim())!
  if (!isLogin(login))
    return Effect.fail(new UsageError({ message: `--to ${raw}: expected an organization login or user:LOGIN` }))
  return Effect.succeed(kind === "user" ? user(login) : org(login))
}

type Ref = { source: { owner: string; number: number; name: string }; target: string; number?: number }
const ref = (r: Ref) =>
  `${r.source.owner}/${r.source.number} "${r.source.name}"${r.number !== undefined && r.number > 0 ? ` -> ${r.target}/${r.number}` : ` -> ${r.target}`}`

/** Core words a failure without options; the one an option led to gets its name here. */
const failureText = (f: ReplaySummary["failed"][number]) =>
  f.kind === "conflict" ? `${f.error} (--on-conflict fail)` : f.kind === "strict" ? `--strict: ${f.error}` : f.error

/** "about 12 s", "about 4 min", "about 2 h 5 min". */
export const formatDuration = (seconds: number): string => {
  if (seconds < 90) return `about ${Math.max(1, Math.round(seconds))} s`
  const minutes = Math.round(seconds / 60)
  if (minutes < 90) return `about ${minutes} min`
  return `about ${Math.floor(minutes / 60)} h ${minutes % 60} min`
}

/**
 * The names mapped into each target: map entries and repositories found by id one by one; repositories that keep
 * their name in the new owner (a migration's default) as one line per source owner, unless --verbose.
 */
const mappingLines = (s: ReplaySummary, verbose: boolean): Array<string> => {
  const lines: Array<string> = []
  for (const target of new Set(s.mappings.map((m) => m.target))) {
    const all = s.mappings.filter((m) => m.target === target)
    lines.push(`  names mapped into ${target}:`)
    for (const m of all.filter((x) => verbose || x.by !== "name")) {
      lines.push(`      ${m.kind} ${m.from} -> ${m.to}${m.by === "id" ? " (found by its id)" : ""}`)
    }
    if (verbose) continue
    const byName = all.filter((x) => x.by === "name")
    for (const owner of new Set(byName.map((m) => m.from.split("/")[0]))) {
      const n = byName.filter((m) => m.from.startsWith(`${owner}/`)).length
      lines.push(`      ${n} repositor${n === 1 ? "y" : "ies"} by name: ${owner}/NAME -> ${target}/NAME`)
    }
  }
  return lines
}

/** The lines of created, updated and failed spaces (with what each holds, or what changes). */
const spaceLines = (s: ReplaySummary, verbose: boolean): Array<string> => {
  const verb = (done: string, planned: string) => (s.dryRun ? planned : done)
  const lines: Array<string> = []
  for (const c of s.created) {
    const { resources, collaborators, baseRole } = c.contents
    lines.push(
      `  ${verb("created", "create")}  ${ref(c)}: ${plural(resources, "resource")}, ${plural(collaborators, "collaborator")}, base role ${baseRole}`
    )
  }
  for (const u of s.updated)
    lines.push(`  ${verb("updated", "update")}  ${ref(u)}\n      ${u.changes.join("\n      ")}`)
  for (const k of s.skipped) if (verbose || k.kind === "stopped") lines.push(`  skip     ${ref(k)}: ${k.reason}`)
  for (const f of s.failed) lines.push(`  FAILED   ${ref(f)}: ${failureText(f)}`)
  return lines
}

export const renderReplay = (s: ReplaySummary, options: { verbose: boolean; writesPerMinute: number }): string => {
  const verb = (done: string, planned: string) => (s.dryRun ? planned : done)
  const lines: Array<string> = [s.dryRun ? "PLAN (dry run: nothing was changed)" : "replay finished"]
  lines.push(...mappingLines(s, options.verbose))
  lines.push(...spaceLines(s, options.verbose))
  for (const u of s.unmapped) {
    lines.push(`  not carried over from ${ref(u)}:`)
    for (const i of u.items) lines.push(`      ${i.kind}: ${i.detail}`)
  }
  for (const n of s.notes) for (const text of n.notes) lines.push(`  note     ${ref(n)}: ${text}`)
  const hidden = options.verbose ? 0 : s.skipped.filter((k) => k.kind !== "stopped").length
  const notCarried = s.unmapped.reduce((n, u) => n + u.items.length, 0)
  lines.push(
    `${s.created.length} ${verb("created", "to create")}, ${s.updated.length} ${verb("updated", "to update")}, ${s.skipped.length} skipped, ${s.failed.length} failed, ${plural(notCarried, "item")} not carried over`
  )
  if (hidden > 0)
    lines.push(
      `(${plural(hidden, "skipped space")} already there or already equal ${hidden === 1 ? "is" : "are"} not listed; --verbose lists them)`
    )
  if (s.dryRun && s.writes.total > 0) {
    const time = formatDuration(estimateSeconds(s.writes, options.writesPerMinute))
    lines.push(`${plural(s.writes.total, "write")}: ${time} at --write-rate ${options.writesPerMinute}`)
  }
  return lines.join("\n")
}

/** What an interrupted replay had done, for stderr: a re-run finds these spaces through the journal. */
export const renderInterrupted = (s: ReplaySummary): string => {
  const done = [...s.created.map((c) => `  created  ${ref(c)}`), ...s.updated.map((u) => `  updated  ${ref(u)}`)]
  return done.length === 0
    ? "the replay was interrupted before it created or changed any space"
    : `the replay was interrupted after these (a re-run finds them):\n${done.join("\n")}`
}

/** The summary for --json: the keys scripts already read, and the newer ones beside them. */
export const summaryJson = (s: ReplaySummary, writesPerMinute: number) => ({
  created: s.created,
  updated: s.updated,
  skipped: s.skipped,
  failed: s.failed,
  unmapped: s.unmapped,
  notes: s.notes,
  mappings: s.mappings,
  writes: s.writes,
  ...(s.dryRun
    ? { dryRun: true, estimate: { seconds: estimateSeconds(s.writes, writesPerMinute), writesPerMinute } }
    : {})
})

/** Core's errors, worded with the options that led to them, as usage errors (2) or failed runs (1). */
export const mapFileFailure = (e: MapFileError) => new UsageError({ message: e.describe(`--${e.which}-map ${e.path}`) })

export const replayFailure = (e: ReplayError, ownerFlags: ReadonlyArray<string>) => {
  const r = e.reason
  if (r._tag === "NotInArchive") {
    const owners = r.owners.map((o) =>
      ownerFlags.some((x) => x.toLowerCase() === o) ? `--owner ${o}` : `--space ${o}/*`
    )
    const parts = [
      ...(r.spaces.length > 0 ? [`--space ${r.spaces.join(", ")}: not in the archive`] : []),
      ...owners.map((o) => `${o}: the archive holds no space of this owner`)
    ]
    return new UsageError({ message: parts.join("; ") })
  }
  if (r._tag === "StateDirUnusable" || r._tag === "ArchiveEncrypted") return new UsageError({ message: e.message })
  return new RunFailed({ message: e.message, reported: false })
}

export const stateDirOf = (flag: Option.Option<string>) =>
  Effect.gen(function* () {
    const env = (name: string) => Config.option(Config.String(name)).pipe(Effect.map(Option.getOrUndefined))
    return resolveStateDir({
      flag: Option.getOrUndefined(flag),
      env: {
        SPACES_VAULT_STATE_DIR: yield* env("SPACES_VAULT_STATE_DIR"),
        XDG_STATE_HOME: yield* env("XDG_STATE_HOME")
      }
    })
  })

export const replayCommand = Command.make("replay", flags, (f) =>
  Effect.gen(function* () {
    const archive = yield* archiveInput(f.archive)
    const out = (yield* Output)(f.json)
    const to = Option.isSome(f.to) ? yield* parseOwner(f.to.value) : undefined
    for (const s of f.space) {
      if (!/^[^/\s]+\/(\d+|\*)$/.test(s)) {
        return yield* new UsageError({ message: `--space ${s}: expected OWNER/NUMBER or OWNER/*` })
      }
    }
    for (const o of f.owner) {
      if (!isLogin(o)) return yield* new UsageError({ message: `--owner ${o}: expected an owner's login` })
    }
    if (Option.isSome(f.writeRate) && !(f.writeRate.value > 0)) {
      return yield* new UsageError({
        message: `--write-rate must be a positive number of requests per minute, got ${f.writeRate.value}`
      })
    }
    // Allowed (a GitHub Enterprise Server may have no limits), but against GitHub's advice for github.com.
    if (Option.isSome(f.writeRate) && f.writeRate.value > 60 && !f.dryRun) {
      yield* out.warn(
        `--write-rate ${f.writeRate.value} is faster than GitHub's advice of at least one second between writes; expect secondary rate limits (each pauses every request)`
      )
    }
    const maps = yield* loadMaps({
      repo: Option.getOrUndefined(f.repoMap),
      team: Option.getOrUndefined(f.teamMap),
      user: Option.getOrUndefined(f.userMap)
    }).pipe(Effect.mapError(mapFileFailure))
    const writesPerMinute = Option.getOrElse(f.writeRate, () => 60)
    const summary = yield* replayArchive({
      archive,
      to,
      spaces: [...f.space, ...f.owner.map((o) => `${o}/*`)],
      maps,
      onConflict: f.onConflict,
      strict: f.strict,
      dryRun: f.dryRun,
      stateDir: yield* stateDirOf(f.stateDir),
      onProgress: out.progress,
      // Ctrl-C: say what was already done before the program says it was interrupted.
      onInterrupt: (soFar) =>
        out.json
          ? out.result("", { ...summaryJson(soFar, writesPerMinute), interrupted: true })
          : out.warn(renderInterrupted(soFar))
    }).pipe(
      Effect.provide(
        githubLayer("spaces-vault", { apiUrl: f.apiUrl, writesPerMinute: f.writeRate, app: appSettings(f) })
      ),
      Effect.catchTag("ReplayError", (e) => Effect.fail(replayFailure(e, f.owner)))
    )
    yield* out.result(
      renderReplay(summary, { verbose: f.verbose, writesPerMinute }),
      summaryJson(summary, writesPerMinute)
    )
    if (summary.failed.length > 0) return yield* new RunFailed({ message: "some spaces failed", reported: true })
  }).pipe(withIdentities(f.identity), withArchiveStore(f))
).pipe(
  Command.withDescription(
    "Restore archived spaces into their owners, or migrate them into another owner (--to), remapping repositories, teams and users."
  ),
  Command.withExamples([
    {
      command: "spaces-vault replay backups/spaces-vault-20261125T021000Z.zip --space octo-org/42 --dry-run",
      description: "plan the restore of one deleted space; change nothing"
    },
    {
      command: "spaces-vault replay backups/spaces-vault-20261125T021000Z.zip --space octo-org/42",
      description: "restore it into its owner"
    },
    {
      command:
        "spaces-vault replay backups/spaces-vault-20261125T021000Z.zip --identity restore.key --space octo-org/42",
      description: "restore it from an encrypted archive, with an identity that opens it"
    },
    {
      command: "spaces-vault replay backups/spaces-vault-20261125T021000Z.zip --to octo-new --repo-map repos.json",
      description: "migrate every space into another organization (docs/migrate.md)"
    }
  ])
)
