// `spaces-vault diff OLD NEW`: spaces added, removed (deleted since OLD: what a restore starts from) and changed.
import { Effect } from "effect"
import { Argument, Command } from "effect/cli"
import {
  type ArchiveDiff,
  type ChangedSpace,
  diffArchives,
  type UnverifiedSpace
} from "@spaces-vault/core/archive/Diff"
import { RunFailed } from "../ExitCode.ts"
import { Output } from "../Output.ts"
import { jsonFlag } from "./shared.ts"

/** Numbers shown on an owner's line of unverified spaces before "and N more". */
const UNVERIFIED_SHOWN = 10

/** One changed space's lines under its heading: each change, with old and new texts where the diff read them. */
const changeLines = (c: ChangedSpace): ReadonlyArray<string> =>
  c.changes.flatMap((change) => {
    const text = c.texts?.find((t) => t.field === change)
    if (text === undefined) return [change]
    if (text.diff === undefined) return [`${change}: ${JSON.stringify(text.old)} -> ${JSON.stringify(text.new)}`]
    return [`${change}:`, ...text.diff.split("\n").map((line) => `  ${line}`)]
  })

/** Unverified spaces, one line per owner and reason: an owner the newer archive lacks can hold thousands. */
const unverifiedLines = (items: ReadonlyArray<UnverifiedSpace>): ReadonlyArray<string> => {
  const groups = new Map<string, { owner: string; reason: string; numbers: Array<number> }>()
  for (const u of items) {
    const key = `${u.owner}\n${u.reason}`
    const group = groups.get(key) ?? { owner: u.owner, reason: u.reason, numbers: [] }
    group.numbers.push(u.number)
    groups.set(key, group)
  }
  return [...groups.values()].map(({ owner, reason, numbers }) => {
    const shown = numbers.slice(0, UNVERIFIED_SHOWN).map((n) => `#${n}`)
    const more = numbers.length > UNVERIFIED_SHOWN ? ` and ${numbers.length - UNVERIFIED_SHOWN} more` : ""
    const count = numbers.length === 1 ? "1 space" : `${numbers.length} spaces`
    return `  ${owner}: ${count} (${shown.join(", ")}${more}): ${reason}`
  })
}

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
  section("changed", d.changed, (c: ChangedSpace) => `\n      ${changeLines(c).join("\n      ")}`)
  if (d.unverified.length > 0) {
    lines.push(`unverified: missing from NEW, which could not check them (${d.unverified.length}):`)
    lines.push(...unverifiedLines(d.unverified))
  }
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
    "Compare two archives: spaces added, removed (deleted since OLD) and changed, with what changed (old and new texts)."
  )
)
