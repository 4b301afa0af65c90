// `spaces-vault replay ARCHIVE`: restore spaces into their original owners, or migrate them with --to.
import { Effect, Option } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { isLogin, org, user, type Owner } from "@spaces-vault/core/domain/owner"
import { loadMaps } from "@spaces-vault/core/replay/MapFiles"
import { replayArchive, type ReplaySummary } from "@spaces-vault/core/replay/Replay"
import { RunFailed, UsageError } from "../ExitCode.ts"
import { githubLayer } from "../GitHubLayer.ts"
import { Output } from "../Output.ts"
import { apiUrlFlag, jsonFlag } from "./shared.ts"

const file = (name: string, what: string) => Flag.String(name).pipe(Flag.withDescription(what), Flag.optional)

const flags = {
  archive: Argument.String("archive").pipe(Argument.withDescription("archive to replay")),
  to: Flag.String("to").pipe(
    Flag.withDescription(
      "migrate into this owner: an organization login, or user:LOGIN (default: restore into the original owners)"
    ),
    Flag.optional
  ),
  repoMap: file("repo-map", "JSON file mapping archived repository names or ids to target names or ids"),
  teamMap: file("team-map", "JSON file mapping archived team slugs to target slugs"),
  userMap: file("user-map", "JSON file mapping archived logins to target logins"),
  space: Flag.String("space").pipe(
    Flag.withDescription("replay only OWNER/NUMBER (repeatable; default all)"),
    Flag.atLeast(0)
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
  apiUrl: apiUrlFlag,
  json: jsonFlag
}

const parseOwner = (raw: string): Effect.Effect<Owner, UsageError> => {
  const [, kind, login = ""] = /^(?:(org|user):)?(.*)$/.exec(raw.trim())!
  if (!isLogin(login))
    return Effect.fail(new UsageError({ message: `--to ${raw}: expected an organization login or user:LOGIN` }))
  return Effect.succeed(kind === "user" ? user(login) : org(login))
}

export const renderReplay = (s: ReplaySummary): string => {
  const verb = (done: string, planned: string) => (s.dryRun ? planned : done)
  const ref = (r: { source: { owner: string; number: number; name: string }; target: string; number?: number }) =>
    `${r.source.owner}/${r.source.number} "${r.source.name}"${r.number !== undefined && r.number > 0 ? ` -> ${r.target}/${r.number}` : ` -> ${r.target}`}`
  const lines: Array<string> = [s.dryRun ? "PLAN (dry run: nothing was changed)" : "replay finished"]
  for (const c of s.created) lines.push(`  ${verb("created", "create")}  ${ref(c)}`)
  for (const u of s.updated)
    lines.push(`  ${verb("updated", "update")}  ${ref(u)}\n      ${u.changes.join("\n      ")}`)
  for (const k of s.skipped) lines.push(`  skip     ${ref(k)}: ${k.reason}`)
  for (const f of s.failed) lines.push(`  FAILED   ${ref(f)}: ${f.error}`)
  for (const u of s.unmapped) {
    lines.push(`  unmapped ${ref(u)}:`)
    for (const i of u.items) lines.push(`      ${i.kind}: ${i.detail}`)
  }
  lines.push(
    `${s.created.length} ${verb("created", "to create")}, ${s.updated.length} ${verb("updated", "to update")}, ${s.skipped.length} skipped, ${s.failed.length} failed, ${s.unmapped.reduce((n, u) => n + u.items.length, 0)} unmapped items`
  )
  return lines.join("\n")
}

export const replayCommand = Command.make("replay", flags, (f) =>
  Effect.gen(function* () {
    const out = (yield* Output)(f.json)
    const to = Option.isSome(f.to) ? yield* parseOwner(f.to.value) : undefined
    for (const s of f.space) {
      if (!/^[^/\s]+\/\d+$/.test(s)) return yield* new UsageError({ message: `--space ${s}: expected OWNER/NUMBER` })
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
    }).pipe(Effect.mapError((e) => new UsageError({ message: e.message })))
    const summary = yield* replayArchive({
      archive: f.archive,
      to,
      spaces: f.space,
      maps,
      onConflict: f.onConflict,
      strict: f.strict,
      dryRun: f.dryRun,
      onProgress: out.progress
    }).pipe(
      Effect.provide(githubLayer({ apiUrl: f.apiUrl, writesPerMinute: f.writeRate })),
      Effect.catchTag("ReplayError", (e) =>
        Effect.fail(
          e.badRequest === true
            ? new UsageError({ message: e.message })
            : new RunFailed({ message: e.message, reported: false })
        )
      )
    )
    yield* out.result(renderReplay(summary), {
      created: summary.created,
      updated: summary.updated,
      skipped: summary.skipped,
      failed: summary.failed,
      unmapped: summary.unmapped,
      ...(summary.dryRun ? { dryRun: true } : {})
    })
    if (summary.failed.length > 0) return yield* new RunFailed({ message: "some spaces failed", reported: true })
  })
).pipe(
  Command.withDescription(
    "Restore archived spaces into their owners, or migrate them into another owner (--to), remapping repositories, teams and users."
  )
)
