// `spaces-vault diff OLD NEW` / `diff DIR`: spaces added, removed (deleted since: what a restore starts from) and
// changed. With a directory, its newest archive is compared owner by owner with the newest earlier archive that
// covers that owner completely.
import { Effect, FileSystem, Option } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import {
  type ArchiveDiff,
  type ChangedSpace,
  diffArchives,
  type SpaceRef,
  type UnverifiedSpace
} from "@spaces-vault/core/archive/Diff"
import { type DirectoryDiff, diffDirectory } from "@spaces-vault/core/archive/DirectoryDiff"
import { spaceKey } from "@spaces-vault/core/history/ArchiveSearch"
import { readRestoreLinks, type RestoreLinks } from "@spaces-vault/core/history/RestoreLinks"
import { RunFailed, UsageError } from "@spaces-vault/program/ExitCode"
import { userLocationArgument, userPathFlag } from "@spaces-vault/program/UserPaths"
import { archiveInput, isLocalPath, locationInput } from "./ArchiveInputs.ts"
import { Output } from "../Output.ts"
import { stateDirOf } from "./replay.ts"
import { s3EndpointFlag, withArchiveStore } from "./s3Flags.ts"
import { identityFlag, jsonFlag, plural, withIdentities } from "./shared.ts"

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
    return `  ${owner}: ${plural(numbers.length, "space")} (${shown.join(", ")}${more}): ${reason}`
  })
}

/** A removed space a replay has since restored carries where it lives now (from the replay journals). */
export type RemovedSpace = ArchiveDiff["removed"][number] & { readonly restoredAs?: string }

/** The diff with each removed space that a replay restored marked `restoredAs`: it is back, not to restore again. */
export const withRestoreLinks = <D extends ArchiveDiff>(d: D, links: RestoreLinks): D => ({
  ...d,
  removed: d.removed.map((r): RemovedSpace => {
    const as = links.get(spaceKey(r))
    return as === undefined ? r : { ...r, restoredAs: as }
  })
})

/** Whether any space is shown without its name: an encrypted archive was compared without an identity. */
const unnamed = (d: ArchiveDiff) =>
  [d.added, d.removed, d.changed, d.unverified].some((items) => items.some((s: SpaceRef) => s.name === undefined))

export const renderDiff = (d: ArchiveDiff): string => {
  const lines: Array<string> = []
  if (unnamed(d))
    lines.push(
      "encrypted archives compared without an identity: spaces by number, by their contents' sha256 (--identity FILE shows names and what changed)"
    )
  const section = (title: string, items: ReadonlyArray<SpaceRef>, extra?: (i: never) => string) => {
    lines.push(`${title} (${items.length}):`)
    for (const s of items)
      lines.push(
        `  ${s.owner}/${s.number}${s.name === undefined ? "" : `  ${s.name}`}${extra ? extra(s as never) : ""}`
      )
  }
  section("removed", d.removed, (r: RemovedSpace) =>
    r.restoredAs === undefined ? "" : `  (restored as ${r.restoredAs})`
  )
  section("added", d.added)
  section("changed", d.changed, (c: ChangedSpace) => `\n      ${changeLines(c).join("\n      ")}`)
  if (d.unverified.length > 0) {
    lines.push(`unverified: missing from NEW, which could not check them (${d.unverified.length}):`)
    lines.push(...unverifiedLines(d.unverified))
  }
  lines.push(`unchanged: ${d.unchanged}`)
  return lines.join("\n")
}

/** Which archive each owner was compared against, then the diff. */
export const renderDirectoryDiff = (d: DirectoryDiff): string =>
  [
    `newest: ${d.newest}`,
    ...d.baselines.map((b) =>
      b.baseline === null
        ? `  ${b.owner}: no earlier archive covers it completely; not compared`
        : `  ${b.owner}: compared with ${b.baseline}`
    ),
    ...d.unreadable.map((u) => `  unreadable, never a baseline: ${u.name} (${u.problem})`),
    renderDiff(d)
  ].join("\n")

const runFailed = (e: { readonly message: string }) =>
  Effect.fail(new RunFailed({ message: e.message, reported: false }))

export const diffCommand = Command.make(
  "diff",
  {
    old: userLocationArgument(
      Argument.String("old").pipe(
        Argument.withDescription("the older archive; or, alone, a directory of archives (see the description)")
      )
    ),
    new: userLocationArgument(Argument.String("new").pipe(Argument.withDescription("the newer archive"))).pipe(
      Argument.optional
    ),
    stateDir: userPathFlag(Flag.String("state-dir")).pipe(
      Flag.withDescription("where replay journals live, to mark removed spaces a restore brought back (as replay's)"),
      Flag.optional
    ),
    identity: identityFlag,
    s3Endpoint: s3EndpointFlag,
    json: jsonFlag
  },
  (f) =>
    Effect.gen(function* () {
      // Where archives live is checked first: an unsupported location must never become a local path.
      if (Option.isSome(f.new)) {
        const older = yield* archiveInput(f.old)
        const newer = yield* archiveInput(f.new.value)
        const out = (yield* Output)(f.json)
        const links = yield* readRestoreLinks(yield* stateDirOf(f.stateDir))
        const diff = yield* diffArchives(older, newer).pipe(Effect.catchTag("ArchiveError", runFailed))
        const marked = withRestoreLinks(diff, links)
        return yield* out.result(renderDiff(marked), marked)
      }
      const location = isLocalPath(f.old) ? f.old : yield* locationInput(f.old)
      const out = (yield* Output)(f.json)
      const links = yield* readRestoreLinks(yield* stateDirOf(f.stateDir))
      if (typeof location !== "string") {
        const diff = yield* diffDirectory(location).pipe(
          Effect.catchTags({ ArchiveError: runFailed, ArchiveDirectoryError: runFailed })
        )
        const marked = withRestoreLinks(diff, links)
        return yield* out.result(renderDirectoryDiff(marked), marked)
      }
      const fs = yield* FileSystem.FileSystem
      const info = yield* fs.stat(f.old).pipe(Effect.option)
      if (Option.isNone(info) || info.value.type !== "Directory") {
        return yield* new UsageError({
          message: `${f.old} is not a directory: give a directory of archives, or two archives (diff OLD NEW)`
        })
      }
      const diff = yield* diffDirectory(f.old).pipe(
        Effect.catchTags({ ArchiveError: runFailed, ArchiveDirectoryError: runFailed })
      )
      const marked = withRestoreLinks(diff, links)
      yield* out.result(renderDirectoryDiff(marked), marked)
    }).pipe(withIdentities(f.identity), withArchiveStore(f))
).pipe(
  Command.withDescription(
    "Compare two archives: spaces added, removed (deleted since OLD) and changed, with what changed (old and new " +
      "texts). Given a directory instead, compare its newest archive with, owner by owner, the newest earlier " +
      "archive that covers that owner completely (an owner with none is reported, not compared). Encrypted archives " +
      "without --identity are compared by their manifests' digests: spaces by owner and number, without names."
  ),
  Command.withExamples([
    {
      command: "spaces-vault diff backups/spaces-vault-20261124T021000Z.zip backups/spaces-vault-20261125T021000Z.zip",
      description: "what changed overnight; a removed space is one to restore"
    },
    { command: "spaces-vault diff backups", description: "the newest archive in backups against the ones before it" }
  ])
)
