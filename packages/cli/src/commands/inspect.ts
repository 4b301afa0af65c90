// `spaces-vault inspect ARCHIVE`: the owners and spaces an archive holds.
import { Effect } from "effect"
import { Argument, Command } from "effect/cli"
import { describeFailure } from "@spaces-vault/core/archive/ArchiveFormat"
import { inspectArchive, type Inspection } from "@spaces-vault/core/archive/Inspect"
import { RunFailed } from "../ExitCode.ts"
import { Output } from "../Output.ts"
import { jsonFlag } from "./shared.ts"

export const renderInspection = (i: Inspection): string => {
  const lines = [
    `archive: ${i.archive}`,
    `format ${i.formatVersion}, created ${i.createdAt} by ${i.tool.name} ${i.tool.version} from ${i.sourceApiUrl}${i.partial ? " (PARTIAL)" : ""}`,
    `repositories referenced: ${i.repositories}`
  ]
  for (const o of i.owners) {
    lines.push("", `${o.kind} ${o.login}: ${o.spaces.length} spaces, ${o.status}`)
    for (const f of o.failures) lines.push(`  ! ${describeFailure(f)}`)
    if (o.vanished.length > 0) lines.push(`  (deleted during the export: ${o.vanished.map((n) => `#${n}`).join(", ")})`)
    for (const s of o.spaces) {
      lines.push(
        `  #${String(s.number).padEnd(5)} ${s.name}  [${s.resources} resources, ${s.collaborators} collaborators]`
      )
    }
  }
  return lines.join("\n")
}

export const inspectCommand = Command.make(
  "inspect",
  { archive: Argument.String("archive").pipe(Argument.withDescription("archive to list")), json: jsonFlag },
  (f) =>
    Effect.gen(function* () {
      const out = (yield* Output)(f.json)
      const inspection = yield* inspectArchive(f.archive).pipe(
        Effect.catchTag("ArchiveError", (e) => Effect.fail(new RunFailed({ message: e.message, reported: false })))
      )
      yield* out.result(renderInspection(inspection), inspection)
    })
).pipe(
  Command.withDescription("List the owners and spaces of an archive (number, name, resource and collaborator counts).")
)
