// `spaces-vault history --from LOCATION --space OWNER/N`: the versions of one space across a location's archives.
import { Effect } from "effect"
import { Command, Flag } from "effect/cli"
import { parseSpaceKey } from "@spaces-vault/core/history/ArchiveSearch"
import { type SpaceHistory, spaceHistory } from "@spaces-vault/core/history/SpaceHistory"
import { UsageError } from "@spaces-vault/program/ExitCode"
import { userLocationFlag, userPathFlag } from "@spaces-vault/program/UserPaths"
import { fromLocationFailure, locationInput } from "./ArchiveInputs.ts"
import { Output } from "../Output.ts"
import { stateDirOf } from "./replay.ts"
import { s3EndpointFlag, withArchiveStore } from "./s3Flags.ts"
import { identityFlag, jsonFlag, withIdentities } from "./shared.ts"

const flags = {
  from: userLocationFlag(Flag.String("from")).pipe(
    Flag.withDescription("the location of archives: a directory or s3://bucket/prefix")
  ),
  space: Flag.String("space").pipe(Flag.withDescription("the space, OWNER/NUMBER")),
  stateDir: userPathFlag(Flag.String("state-dir")).pipe(
    Flag.withDescription("where replay journals live, to say what the space was restored as (default as for replay)"),
    Flag.optional
  ),
  identity: identityFlag,
  s3Endpoint: s3EndpointFlag,
  json: jsonFlag
}

const verbs = { appeared: "first seen", changed: "changed", disappeared: "gone" } as const

export const renderHistory = (h: SpaceHistory): string => {
  const lines = [`${h.space}: ${h.events.length === 0 ? "in no archive" : ""}`.trimEnd()]
  for (const e of h.events) {
    const name = e.name === null ? "" : ` "${e.name}"`
    const detail =
      e.kind === "changed"
        ? `: ${(e.changes ?? []).join("; ")}`
        : e.kind === "disappeared"
          ? " (deleted, or no longer readable by the token)"
          : ""
    lines.push(`  ${e.at}  ${verbs[e.kind]}${name}${detail}  [${e.archive}]`)
  }
  if (h.restoredAs !== null) lines.push(`  restored as ${h.restoredAs}`)
  return lines.join("\n")
}

export const historyCommand = Command.make("history", flags, (f) =>
  Effect.gen(function* () {
    // Refused before anything else: a scheme no store reads, an archive's name, an S3 bucket that cannot be reached.
    const from = yield* locationInput(f.from, "--from")
    const out = (yield* Output)(f.json)
    const space = parseSpaceKey(f.space)
    if (space === undefined) return yield* new UsageError({ message: `--space ${f.space}: expected OWNER/NUMBER` })
    const h = yield* spaceHistory(from, space, yield* stateDirOf(f.stateDir)).pipe(Effect.mapError(fromLocationFailure))
    for (const u of h.unreadable) yield* out.warn(`skipped ${u.name}: ${u.problem}`)
    if (h.events.length === 0)
      return yield* new UsageError({ message: `--space ${f.space}: in no readable archive of ${f.from}` })
    yield* out.result(renderHistory(h), h)
  }).pipe(withIdentities(f.identity), withArchiveStore(f))
).pipe(
  Command.withDescription("Show the versions of one space across the archives: first seen, each change, when it went."),
  Command.withExamples([
    {
      command: "spaces-vault history --from backups --space octo-org/12",
      description: "when octo-org/12 appeared, changed and disappeared, archive by archive"
    }
  ])
)
