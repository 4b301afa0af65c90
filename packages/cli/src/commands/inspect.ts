// `spaces-vault inspect ARCHIVE [--owner O]… [--space OWNER/N]`: the owners and spaces an archive holds, or one
// space in full.
import { Effect, Option } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { describeFailure } from "@spaces-vault/core/archive/ArchiveFormat"
import type { ArchiveError } from "@spaces-vault/core/archive/ArchiveError"
import {
  inspectArchive,
  inspectSpace,
  type Inspection,
  type NotInArchive,
  type SpaceInspection
} from "@spaces-vault/core/archive/Inspect"
import { RunFailed, UsageError } from "@spaces-vault/program/ExitCode"
import { userLocationArgument } from "@spaces-vault/program/UserPaths"
import { archiveInput } from "./ArchiveInputs.ts"
import { Output } from "../Output.ts"
import { s3EndpointFlag, withArchiveStore } from "./s3Flags.ts"
import { identityFlag, jsonFlag, plural, repeatable, splitList, withIdentities } from "./shared.ts"

export const renderInspection = (i: Inspection): string => {
  const lines = [
    `archive: ${i.archive}`,
    `format ${i.formatVersion}, created ${i.createdAt} by ${i.tool.name} ${i.tool.version} from ${i.sourceApiUrl}${i.partial ? " (PARTIAL)" : ""}`,
    ...(i.runId === undefined && i.shard === undefined
      ? []
      : [
          [
            i.runId === undefined ? undefined : `run ${i.runId}`,
            i.shard === undefined ? undefined : `shard ${i.shard.index} of ${i.shard.count}`
          ]
            .filter((x) => x !== undefined)
            .join(", ")
        ]),
    `repositories referenced: ${i.repositories}`,
    ...(i.decrypted
      ? []
      : ["encrypted: spaces by number only; their names and contents need an identity (--identity FILE)"])
  ]
  for (const o of i.owners) {
    lines.push("", `${o.kind} ${o.login}: ${plural(o.spaces.length, "space")}, ${o.status}`)
    for (const f of o.failures) lines.push(`  ! ${describeFailure(f)}`)
    if (o.vanished.length > 0) lines.push(`  (deleted during the export: ${o.vanished.map((n) => `#${n}`).join(", ")})`)
    for (const s of o.spaces) {
      lines.push(
        s.name === undefined
          ? `  #${s.number}`
          : `  #${String(s.number).padEnd(5)} ${s.name}  [${plural(s.resources ?? 0, "resource")}, ${plural(s.collaborators ?? 0, "collaborator")}]`
      )
    }
  }
  return lines.join("\n")
}

/** Text indented under its heading, line by line; "(none)" when absent or empty. */
const block = (text: string | null): ReadonlyArray<string> =>
  text === null || text === "" ? ["  (none)"] : text.split("\n").map((line) => `  ${line}`.trimEnd())

export const renderSpace = (s: SpaceInspection): string => {
  const width = (xs: ReadonlyArray<string>) => Math.max(0, ...xs.map((x) => x.length))
  const typeWidth = width(s.resources.map((r) => r.type))
  const nameWidth = width(s.collaborators.map((c) => `${c.type} ${c.name}`))
  return [
    `space ${s.owner}/${s.number}: ${s.name}`,
    `  in archive ${s.archive} (created ${s.createdAt})`,
    `  ${s.url}`,
    `  created ${s.spaceCreatedAt} by ${s.creator}, updated ${s.spaceUpdatedAt}`,
    `  base role: ${s.baseRole}`,
    "",
    "description:",
    ...block(s.description),
    "",
    "general instructions:",
    ...block(s.generalInstructions),
    "",
    `resources (${s.resources.length}):`,
    ...s.resources.flatMap((r) => [
      `  ${r.type.padEnd(typeWidth)}  ${r.summary}`,
      // A note's text is the resource itself: shown under it, indented.
      ...(r.metadata.text === undefined ? [] : r.metadata.text.split("\n").map((line) => `      ${line}`.trimEnd()))
    ]),
    "",
    `collaborators (${s.collaborators.length}):`,
    ...s.collaborators.map((c) => `  ${`${c.type} ${c.name}`.trimEnd().padEnd(nameWidth)}  ${c.role}`)
  ].join("\n")
}

const SPACE_ARG = /^([^/\s]+)\/(\d+)$/

/**
 * An archive that cannot be read, or does not hold what was asked for: a run-time failure (exit 1), one sentence.
 * An encrypted archive's contents asked for without an identity stay an ArchiveError: exit 2, the invocation lacks a key.
 */
const notReadable = <A, R>(self: Effect.Effect<A, ArchiveError | NotInArchive, R>) =>
  Effect.mapError(self, (e) =>
    e._tag === "ArchiveError" && e.reason === "Encrypted" ? e : new RunFailed({ message: e.message, reported: false })
  )

export const inspectCommand = Command.make(
  "inspect",
  {
    archive: userLocationArgument(Argument.String("archive").pipe(Argument.withDescription("archive to list"))),
    owner: repeatable(
      Flag.String("owner").pipe(Flag.withDescription("list only the spaces of OWNER (repeatable, or comma-separated)"))
    ),
    space: Flag.String("space").pipe(
      Flag.withDescription("show one space in full, as OWNER/NUMBER: texts, resources, collaborators"),
      Flag.optional
    ),
    identity: identityFlag,
    s3Endpoint: s3EndpointFlag,
    json: jsonFlag
  },
  (f) =>
    Effect.gen(function* () {
      const archive = yield* archiveInput(f.archive)
      const out = (yield* Output)(f.json)
      const owners = splitList(f.owner)
      if (Option.isSome(f.space)) {
        const m = SPACE_ARG.exec(f.space.value)
        if (m === null) return yield* new UsageError({ message: `--space ${f.space.value}: expected OWNER/NUMBER` })
        if (owners.length > 0) return yield* new UsageError({ message: "--space and --owner cannot be combined" })
        const space = yield* inspectSpace(archive, m[1]!, Number(m[2])).pipe(notReadable)
        return yield* out.result(renderSpace(space), space)
      }
      const inspection = yield* inspectArchive(archive, owners).pipe(notReadable)
      yield* out.result(renderInspection(inspection), inspection)
    }).pipe(withIdentities(f.identity), withArchiveStore(f))
).pipe(
  Command.withDescription(
    "List the owners and spaces of an archive (number, name, resource and collaborator counts), or show one space. " +
      "An encrypted archive without --identity lists its owners and space numbers only; --space needs --identity."
  ),
  Command.withExamples([
    { command: "spaces-vault inspect backups/spaces-vault-20261125T021000Z.zip", description: "owners and spaces" },
    {
      command: "spaces-vault inspect backups/spaces-vault-20261125T021000Z.zip --space octo-org/42",
      description: "one space in full: its texts, resources and collaborators"
    },
    {
      command: "spaces-vault inspect backups/spaces-vault-20261125T021000Z.zip --owner mona --json",
      description: "one owner's spaces, as one JSON object"
    }
  ])
)
