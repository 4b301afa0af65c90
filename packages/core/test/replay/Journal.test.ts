// The replay journal in a temporary state directory: keyed by target and source space, never by the archive.
import { mkdir, mkdtemp, readdir, readFile, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { org, user } from "../../src/domain/Owner.ts"
import { journalPath, legacyJournalPath, openJournal } from "../../src/replay/Journal.ts"

const scratch = Effect.promise(() => mkdtemp(join(tmpdir(), "sv-journal-")))
const api = "https://api.github.com"
const source = { owner: "Octo-Org", number: 5, id: 5005 }

describe("openJournal", () => {
  it.effect("keeps entries in the state directory, found from any archive, keyed by owner, number and id", () =>
    Effect.gen(function* () {
      const stateDir = join(yield* scratch, "state")
      const target = org("octo-migrated")
      const first = yield* openJournal({ stateDir, apiUrl: api, target, archive: "/mnt/ro/a.zip", dryRun: false })
      yield* first.set(source, { state: "done", name: "Runbooks", target: 17 })
      assert.strictEqual(first.path, journalPath(stateDir, api, target))
      assert.match(first.path, /\/state\/replay\/org-octo-migrated-[0-9a-f]{12}\.json$/)

      // Another night's archive, elsewhere: the same journal finds the space.
      const later = yield* openJournal({ stateDir, apiUrl: api, target, archive: "/other/b.zip", dryRun: false })
      assert.deepStrictEqual(later.get({ owner: "octo-org", number: 5, id: 5005 }), {
        state: "done",
        name: "Runbooks",
        target: 17,
        source,
        archive: "/mnt/ro/a.zip"
      })
      // A space of the same owner and number but another id (the owner deleted and made anew) is another space.
      assert.isUndefined(later.get({ owner: "octo-org", number: 5, id: 9 }))
      // Nothing was written beside the archives.
      assert.deepStrictEqual(yield* Effect.promise(() => readdir(join(stateDir, "replay"))), [
        first.path.split("/").pop()
      ])
    })
  )

  it.effect("keeps one journal per GitHub instance and target", () =>
    Effect.gen(function* () {
      const stateDir = yield* scratch
      const a = journalPath(stateDir, api, org("octo"))
      assert.notStrictEqual(a, journalPath(stateDir, "https://ghe.example.com/api/v3", org("octo")))
      assert.notStrictEqual(a, journalPath(stateDir, api, user("octo")))
      assert.strictEqual(a, journalPath(stateDir, api, org("OCTO")))
    })
  )

  it.effect("still reads a journal an older version left beside the archive, and never writes it", () =>
    Effect.gen(function* () {
      const dir = yield* scratch
      const archive = join(dir, "a.zip")
      const target = org("octo-org")
      const legacy = legacyJournalPath(archive, target)
      const old = {
        archive,
        target: "org:octo-org",
        spaces: { "octo-org/5": { state: "created", name: "R", target: 9 } }
      }
      yield* Effect.promise(() => writeFile(legacy, JSON.stringify(old)))
      const journal = yield* openJournal({ stateDir: join(dir, "state"), apiUrl: api, target, archive, dryRun: false })
      assert.deepStrictEqual(journal.get(source), { state: "created", name: "R", target: 9 })
      yield* journal.set(source, { state: "done", name: "R", target: 9 })
      assert.deepStrictEqual(JSON.parse(yield* Effect.promise(() => readFile(legacy, "utf8"))), old)
      assert.strictEqual(journal.get(source)?.state, "done")
      // An archive in a store (S3) never had a journal beside it: no file-system path is derived from its name.
      const remote = yield* openJournal({
        stateDir: join(dir, "remote-state"),
        apiUrl: api,
        target,
        archive,
        archiveIsLocal: false,
        dryRun: true
      })
      assert.strictEqual(remote.get(source), undefined)
    })
  )

  it.effect("a dry run plans with the journal but writes nothing", () =>
    Effect.gen(function* () {
      const stateDir = yield* scratch
      const journal = yield* openJournal({ stateDir, apiUrl: api, target: org("o"), archive: "a.zip", dryRun: true })
      yield* journal.set(source, { state: "done", name: "R", target: 1 })
      assert.deepStrictEqual(yield* Effect.promise(() => readdir(stateDir)), [])
    })
  )

  it.effect("refuses a journal it cannot trust, saying which and why", () =>
    Effect.gen(function* () {
      const stateDir = yield* scratch
      const target = org("o")
      const path = journalPath(stateDir, api, target)
      const open = openJournal({ stateDir, apiUrl: api, target, archive: "a.zip", dryRun: false })
      yield* Effect.promise(async () => {
        await mkdir(join(stateDir, "replay"))
        await writeFile(path, "{ half")
      })
      const invalid = yield* Effect.flip(open)
      assert.deepStrictEqual(invalid.reason, { _tag: "InvalidJson" })
      assert.strictEqual(invalid.message, `the replay journal ${path} is not valid JSON`)
      yield* Effect.promise(() => writeFile(path, JSON.stringify({ spaces: [] })))
      assert.strictEqual((yield* Effect.flip(open)).reason._tag, "NotAJournal")
    })
  )

  it.effect("says why a write failed", () =>
    Effect.gen(function* () {
      const stateDir = join(yield* scratch, "state")
      const journal = yield* openJournal({ stateDir, apiUrl: api, target: org("o"), archive: "a.zip", dryRun: false })
      // The state directory's place is taken by a file since: nothing can be made under it.
      yield* Effect.promise(() => writeFile(stateDir, ""))
      const error = yield* Effect.flip(journal.set(source, { state: "creating", name: "R" }))
      assert.strictEqual(error.reason._tag, "WriteFailed")
      assert.match(error.message, /^cannot write the replay journal .*: a part of the path is not a directory$/)
    })
  )
})
