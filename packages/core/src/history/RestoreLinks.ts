// Which archived spaces a replay has restored, and as what: read from the replay journals in the state directory,
// so reports and history say "octo-org/12 restored as octo-org/242" instead of "deleted" again.
import { readdir, readFile } from "node:fs/promises"
import { join } from "node:path"
import { Effect, Schema } from "effect"
import { JournalFile, replayStateDir } from "../replay/Journal.ts"
import { spaceKey } from "./ArchiveSearch.ts"

/** `owner/number` of a source space (owner case-folded) -> "target-owner/number" it was restored as. */
export type RestoreLinks = ReadonlyMap<string, string>

/** The links one journal file records: spaces it created (or finished), with their target number. */
export const linksOf = (file: typeof JournalFile.Type): ReadonlyArray<readonly [string, string]> => {
  const targetLogin = file.target.replace(/^(org|user):/, "")
  return Object.values(file.spaces).flatMap((e) =>
    e.source !== undefined && e.target !== undefined && e.state !== "creating"
      ? [[spaceKey(e.source), `${targetLogin}/${e.target}`] as const]
      : []
  )
}

const decode = Schema.decodeUnknownOption(Schema.fromJsonString(JournalFile))

/** Every link the state directory's journals hold; a missing folder or an unreadable journal adds none. */
export const readRestoreLinks = (stateDir: string): Effect.Effect<RestoreLinks> =>
  Effect.promise(async () => {
    const dir = replayStateDir(stateDir)
    const names = await readdir(dir).catch(() => [] as Array<string>)
    const links = new Map<string, string>()
    for (const name of names.filter((n) => n.endsWith(".json"))) {
      const text = await readFile(join(dir, name), "utf8").catch(() => undefined)
      const file = text === undefined ? undefined : decode(text)
      if (file === undefined || file._tag === "None") continue
      for (const [k, v] of linksOf(file.value)) links.set(k, v)
    }
    return links
  })
