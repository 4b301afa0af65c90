// The replay journal beside the archive: which source spaces this replay has created in the target and how far
// it got. Written atomically after every step, so a re-run after a crash at any point finds its own spaces
// (with the name match as a second line of defence) and never creates a duplicate.
import { readFile } from "node:fs/promises"
import { Effect, Schema } from "effect"
import type { Owner } from "../domain/owner.ts"
import { writeJsonAtomic } from "../runtime/AtomicFile.ts"

export const JournalEntry = Schema.Struct({
  state: Schema.Literals(["creating", "created", "done"]),
  name: Schema.String,
  target: Schema.optionalKey(Schema.Int)
})
export type JournalEntry = typeof JournalEntry.Type

export const JournalFile = Schema.Struct({
  archive: Schema.String,
  target: Schema.String,
  spaces: Schema.Record(Schema.String, JournalEntry)
})

export class JournalError extends Schema.TaggedError<JournalError>()("JournalError", { message: Schema.String }) {}

export const journalPath = (archive: string, target: Owner) =>
  `${archive}.replay-${target.kind}-${target.login.toLowerCase()}.json`

export interface Journal {
  readonly path: string
  readonly get: (sourceKey: string) => JournalEntry | undefined
  readonly set: (sourceKey: string, entry: JournalEntry) => Effect.Effect<void, JournalError>
}

export const openJournal = (archive: string, target: Owner, dryRun: boolean) =>
  Effect.gen(function* () {
    const path = journalPath(archive, target)
    const text = yield* Effect.promise(() =>
      readFile(path, "utf8").then(
        (t) => t,
        () => undefined
      )
    )
    const spaces: Record<string, JournalEntry> = {}
    if (text !== undefined) {
      const parsed = yield* Effect.try({
        try: () => JSON.parse(text) as unknown,
        catch: () => new JournalError({ message: `the replay journal ${path} is not valid JSON` })
      })
      const decoded = yield* Schema.decodeUnknownEffect(JournalFile)(parsed).pipe(
        Effect.mapError(() => new JournalError({ message: `the replay journal ${path} is not a spaces-vault journal` }))
      )
      Object.assign(spaces, decoded.spaces)
    }
    const save = Effect.suspend(() =>
      writeJsonAtomic(path, { archive, target: `${target.kind}:${target.login}`, spaces })
    ).pipe(
      Effect.mapError((e) => new JournalError({ message: `cannot write the replay journal ${path}: ${e.detail}` }))
    )
    const journal: Journal = {
      path,
      get: (key) => spaces[key],
      // A dry run plans with the journal but never writes it.
      set: (key, entry) =>
        dryRun
          ? Effect.void
          : Effect.suspend(() => {
              spaces[key] = entry
              return save
            })
    }
    return journal
  })
