// The replay journal: which source spaces replays into one target have created there, and how far each got. It
// lives in the state directory, keyed by the target (GitHub instance and owner) and the source space (owner,
// number and id), never by the archive: a restore from a read-only mount works, and a space restored from one
// archive is found when a later run replays another. Written atomically after every step, so a re-run after a
// crash at any point finds its own spaces (with the name match as a second line of defence) and never creates a
// duplicate. A journal an older version left beside an archive is still read, never written.
import { createHash } from "node:crypto"
import { readFile } from "node:fs/promises"
import { join } from "node:path"
import { Effect, Schema } from "effect"
import type { Owner } from "../domain/Owner.ts"
import { writeJsonAtomic } from "../runtime/AtomicFile.ts"
import { errorText } from "../runtime/ErrorText.ts"

export const JournalSource = Schema.Struct({ owner: Schema.String, number: Schema.Int, id: Schema.Int })
export type JournalSource = typeof JournalSource.Type

export const JournalEntry = Schema.Struct({
  state: Schema.Literals(["creating", "created", "done"]),
  name: Schema.String,
  target: Schema.optionalKey(Schema.Int),
  source: Schema.optionalKey(JournalSource),
  /** The archive it was last replayed from, for people reading the file. */
  archive: Schema.optionalKey(Schema.String)
})
export type JournalEntry = typeof JournalEntry.Type

export const JournalFile = Schema.Struct({
  /** Journals beside an archive (older versions) name it; those in the state directory name the API instead. */
  archive: Schema.optionalKey(Schema.String),
  apiUrl: Schema.optionalKey(Schema.String),
  target: Schema.String,
  spaces: Schema.Record(Schema.String, JournalEntry)
})

export const Unreadable = Schema.TaggedStruct("Unreadable", { detail: Schema.String })
export const InvalidJson = Schema.TaggedStruct("InvalidJson", {})
export const NotAJournal = Schema.TaggedStruct("NotAJournal", {})
export const WriteFailed = Schema.TaggedStruct("WriteFailed", { detail: Schema.String })
export const JournalErrorReason = Schema.Union([Unreadable, InvalidJson, NotAJournal, WriteFailed])
export type JournalErrorReason = typeof JournalErrorReason.Type

export class JournalError extends Schema.TaggedError<JournalError>()("JournalError", {
  path: Schema.String,
  reason: JournalErrorReason
}) {
  override get message(): string {
    const r = this.reason
    switch (r._tag) {
      case "Unreadable":
        return `cannot read the replay journal ${this.path}: ${r.detail}`
      case "InvalidJson":
        return `the replay journal ${this.path} is not valid JSON`
      case "NotAJournal":
        return `the replay journal ${this.path} is not a spaces-vault journal`
      case "WriteFailed":
        return `cannot write the replay journal ${this.path}: ${r.detail}`
    }
  }
}

/**
 * The name shared by a target's journal and lock in the state directory: readable (kind and login) and unique per
 * GitHub instance (a hash of the API URL with them).
 */
export const targetFileStem = (apiUrl: string, target: Owner): string => {
  const login = target.login.toLowerCase()
  const hash = createHash("sha256").update(`${apiUrl} ${target.kind}:${login}`).digest("hex").slice(0, 12)
  return `${target.kind}-${login}-${hash}`
}

/** The folder of the state directory that replays use. */
export const replayStateDir = (stateDir: string) => join(stateDir, "replay")

export const journalPath = (stateDir: string, apiUrl: string, target: Owner) =>
  join(replayStateDir(stateDir), `${targetFileStem(apiUrl, target)}.json`)

/** Where versions before the state directory kept the journal of replaying `archive` into `target`. */
export const legacyJournalPath = (archive: string, target: Owner) =>
  `${archive}.replay-${target.kind}-${target.login.toLowerCase()}.json`

/** A source space's key: owner, number and id (an owner deleted and made anew numbers its spaces from 1 again). */
export const journalKey = (s: JournalSource) => `${s.owner.toLowerCase()}/${s.number}/${s.id}`

export interface Journal {
  readonly path: string
  readonly get: (source: JournalSource) => JournalEntry | undefined
  readonly set: (source: JournalSource, entry: JournalEntry) => Effect.Effect<void, JournalError>
}

/** A journal's spaces, or none when the file does not exist. */
const readSpaces = (path: string) =>
  Effect.gen(function* () {
    const fail = (reason: JournalErrorReason) => new JournalError({ path, reason })
    const text = yield* Effect.tryPromise({
      try: () =>
        readFile(path, "utf8").catch((e: NodeJS.ErrnoException) =>
          e.code === "ENOENT" ? undefined : Promise.reject(e)
        ),
      catch: (e) => fail({ _tag: "Unreadable", detail: errorText(e) })
    })
    if (text === undefined) return {}
    const parsed = yield* Effect.try({
      try: () => JSON.parse(text) as unknown,
      catch: () => fail({ _tag: "InvalidJson" })
    })
    const decoded = yield* Schema.decodeUnknownEffect(JournalFile)(parsed).pipe(
      Effect.mapError(() => fail({ _tag: "NotAJournal" }))
    )
    return decoded.spaces
  })

export interface JournalOptions {
  readonly stateDir: string
  readonly apiUrl: string
  readonly target: Owner
  /** The archive being replayed: recorded in entries, and where an older version's journal may be. */
  readonly archive: string
  /** False for an archive outside the local file system (S3): no older version wrote a journal beside it. */
  readonly archiveIsLocal?: boolean | undefined
  /** A dry run plans with the journal but never writes it. */
  readonly dryRun: boolean
}

export const openJournal = (options: JournalOptions) =>
  Effect.gen(function* () {
    const { stateDir, apiUrl, target, archive, dryRun } = options
    const path = journalPath(stateDir, apiUrl, target)
    const spaces: Record<string, JournalEntry> = { ...(yield* readSpaces(path)) }
    // Keyed `owner/number`: it only ever held the spaces of its one archive.
    const legacy = options.archiveIsLocal === false ? {} : yield* readSpaces(legacyJournalPath(archive, target))
    const save = Effect.suspend(() =>
      writeJsonAtomic(path, { apiUrl, target: `${target.kind}:${target.login}`, spaces }, { mkdirs: true })
    ).pipe(Effect.mapError((e) => new JournalError({ path, reason: { _tag: "WriteFailed", detail: e.detail } })))
    const journal: Journal = {
      path,
      get: (source) => spaces[journalKey(source)] ?? legacy[`${source.owner.toLowerCase()}/${source.number}`],
      set: (source, entry) =>
        dryRun
          ? Effect.void
          : Effect.suspend(() => {
              spaces[journalKey(source)] = { ...entry, source, archive }
              return save
            })
    }
    return journal
  })
