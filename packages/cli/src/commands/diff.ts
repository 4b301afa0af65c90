// `spaces-vault diff OLD NEW`: spaces added, removed (deleted since OLD: what a restore starts from) and changed.
import { Effect } from "effect"
import { Argument, Command } from "effect/cli"
import type { ArchiveDiff } from "@spaces-vault/core/archive/Diff"
import { diffArchives } from "@spaces-vault/core/archive/Inspect"
import { RunFailed } from "../ExitCode.ts"
import { Output } from "../Output.ts"
import { jsonFlag } from "./shared.ts"

export const renderDiff = (d: ArchiveDiff): string => {
  const lines: Array<string> = []
  const section = (
    title: string,
    items: ReadonlyArray<{ owner: string; number: number; name: string }>,
    extra?: (i: never) => string
  ) => {
    lines.push(`${title} (${items.length}):`)
    for (const s of items) lines.push(`  ${s.owner}/${s.number}  ${s.name}${extra ? extra(s as never) : ""}`)
  }
  section("removed", d.removed)
  section("added", d.added)
  section("changed", d.changed, (c: { changes: ReadonlyArray<string> }) => `\n      ${c.changes.join("\n      ")}`)
  if (d.unverified.length > 0)
    section(
      "unverified: missing from NEW, which could not check them",
      d.unverified,
      (u: { reason: string }) => `  (${u.reason})`
    )
  lines.push(`unchanged: ${d.unchanged}`)
  return lines.join("\n")
}

export const diffCommand = Command.make(
  "diff",
  { old: Argument.String("old"), new: Argument.String("new"), json: jsonFlag },
  (f) =>
    Effect.gen(function* () {
      const out = (yield* Output)(f.json)
      const diff = yield* diffArchives(f.old, f.new).pipe(
        Effect.catchTag("ArchiveError", (e) => Effect.fail(new RunFailed({ message: e.message, reported: false })))
      )
      yield* out.result(renderDiff(diff), diff)
    })
).pipe(
  Command.withDescription(
    "Compare two archives: spaces added, removed (deleted since OLD) and changed, with what changed."
  )
)
