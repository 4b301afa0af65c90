// The reader trusts nothing: every read of contents (inspect, diff on either side, one space as export reads it on
// a 304) refuses an archive whose entries differ from its manifest, and calls damaged bytes damaged, in words.
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { openArchive } from "../../src/archive/ArchiveReader.ts"
import { diffArchives } from "../../src/archive/Diff.ts"
import { inspectArchive, inspectSpace } from "../../src/archive/Inspect.ts"
import { verifyArchive } from "../../src/archive/Verify.ts"
import {
  failureMessage,
  flipBytes,
  manifest,
  rawZip,
  readBytes,
  space,
  tmp,
  writeArchive,
  writeBytes,
  zipLayout
} from "./archives.ts"

/** The messages of inspect, of diff with the archive as the newer and as the older one, and of reading space 2 alone (as export does on a 304). */
const refusals = (path: string, good: string) =>
  Effect.all([
    failureMessage(inspectArchive(path)),
    failureMessage(diffArchives(good, path)),
    failureMessage(diffArchives(path, good)),
    failureMessage(Effect.scoped(Effect.flatMap(openArchive(path), (a) => a.readSpaceRaw("octo-org", 2))))
  ])

describe("reading refuses an archive whose entries differ from its manifest", () => {
  const text = (n: number, extra: Record<string, unknown> = {}) => `${JSON.stringify(space(n, extra), null, 2)}\n`
  const repos = `${JSON.stringify({ "42": { full_name: "octo-org/api" } }, null, 2)}\n`
  /** What the manifest lists: spaces 1-3 and repositories.json. */
  const listed = [1, 2, 3]
    .map((n) => ({ path: `spaces/octo-org/${n}.json`, text: text(n) }))
    .concat({ path: "repositories.json", text: repos })
  const entry = (n: number, body = text(n)): [string, string] => [`spaces/octo-org/${n}.json`, body]

  /** A zip whose manifest lists `listed`, holding `entries` instead. */
  const tampered = (entries: ReadonlyArray<[string, string]>) =>
    Effect.gen(function* () {
      const path = join(yield* tmp, "tampered.zip")
      yield* rawZip(path, [["manifest.json", manifest(listed)], ...entries])
      return path
    })
  const untampered = tampered([entry(1), entry(2), entry(3), ["repositories.json", repos]])

  const refusedBy = (path: string, problem: string) =>
    Effect.gen(function* () {
      assert.deepStrictEqual(
        yield* refusals(path, yield* untampered),
        Array(4).fill(`archive ${path} is invalid: ${problem}`)
      )
    })

  it.effect("still inspects and diffs an archive whose entries match (the tampered ones below start from it)", () =>
    Effect.gen(function* () {
      const path = yield* untampered
      const inspection = yield* inspectArchive(path)
      assert.deepStrictEqual(
        inspection.owners[0]!.spaces.map((s) => s.number),
        [1, 2, 3]
      )
      assert.strictEqual(inspection.repositories, 1)
      const d = yield* diffArchives(path, yield* untampered)
      assert.deepStrictEqual(d, { added: [], removed: [], changed: [], unverified: [], unchanged: 3 })
      assert.isTrue((yield* verifyArchive(path)).ok)
    })
  )

  it.effect("refuses an entry edited in place (same size, other bytes)", () =>
    Effect.gen(function* () {
      const edited = text(2).replace("be nice", "be kind")
      assert.strictEqual(Buffer.byteLength(edited), Buffer.byteLength(text(2)))
      const path = yield* tampered([entry(1), entry(2, edited), entry(3), ["repositories.json", repos]])
      yield* refusedBy(path, "entry spaces/octo-org/2.json does not match its sha256 in the manifest")
    })
  )

  it.effect("refuses an edited repository index, though a diff does not use it", () =>
    Effect.gen(function* () {
      const edited = repos.replace(/[a-z](?=")/, (c) => (c === "x" ? "y" : "x"))
      assert.notStrictEqual(edited, repos)
      assert.strictEqual(Buffer.byteLength(edited), Buffer.byteLength(repos))
      const path = yield* tampered([entry(1), entry(2), entry(3), ["repositories.json", edited]])
      // inspect and both diffs; reading one good space entry alone (as export does on a 304) rightly still works
      const [inspect, diffNewer, diffOlder] = yield* refusals(path, yield* untampered)
      assert.deepStrictEqual(
        [inspect, diffNewer, diffOlder],
        Array(3).fill(`archive ${path} is invalid: entry repositories.json does not match its sha256 in the manifest`)
      )
    })
  )

  it.effect("refuses an entry whose size differs from the manifest", () =>
    Effect.gen(function* () {
      const longer = text(2).replace("be nice", "be nicer")
      const path = yield* tampered([entry(1), entry(2, longer), entry(3), ["repositories.json", repos]])
      yield* refusedBy(
        path,
        `entry spaces/octo-org/2.json has ${Buffer.byteLength(longer)} bytes, the manifest says ${Buffer.byteLength(text(2))}`
      )
    })
  )

  it.effect("refuses an entry name that appears twice in the zip, whatever the copies hold", () =>
    Effect.gen(function* () {
      const path = yield* tampered([entry(1), entry(2), entry(3), ["repositories.json", repos], entry(2, text(3))])
      yield* refusedBy(path, "entry spaces/octo-org/2.json appears more than once in the zip")
      // A duplicate with the very same bytes is just as ambiguous to other zip readers.
      const same = yield* tampered([entry(1), entry(2), entry(2), entry(3), ["repositories.json", repos]])
      yield* refusedBy(same, "entry spaces/octo-org/2.json appears more than once in the zip")
    })
  )

  it.effect("refuses an entry the manifest lists but the zip lacks, even one diff never reads", () =>
    Effect.gen(function* () {
      const path = yield* tampered([entry(1), entry(2), ["repositories.json", repos]])
      yield* refusedBy(path, "entry spaces/octo-org/3.json is listed in the manifest but missing from the archive")
      const noRepos = yield* tampered([entry(1), entry(2), entry(3)])
      yield* refusedBy(noRepos, "entry repositories.json is listed in the manifest but missing from the archive")
    })
  )

  it.effect("refuses a space entry the manifest does not list", () =>
    Effect.gen(function* () {
      const path = yield* tampered([entry(1), entry(2), entry(3), entry(4), ["repositories.json", repos]])
      yield* refusedBy(path, "entry spaces/octo-org/4.json is not listed in the manifest")
    })
  )

  it.effect("refuses a listed space entry that holds another space's number", () =>
    Effect.gen(function* () {
      const path = join(yield* tmp, "renumbered.zip")
      const renumbered = listed.map((e) => (e.path === "spaces/octo-org/2.json" ? { ...e, text: text(3) } : e))
      yield* rawZip(path, [
        ["manifest.json", manifest(renumbered)],
        ...renumbered.map((e): [string, string] => [e.path, e.text])
      ])
      const messages = yield* refusals(path, yield* untampered)
      assert.deepStrictEqual(
        messages.slice(0, 3),
        Array(3).fill(`archive ${path} is invalid: spaces/octo-org/2.json holds space number 3`)
      )
    })
  )
})

describe("a damaged archive is called damaged, in the archive's terms", () => {
  const advice = "use the previous archive instead"

  /** A good archive of spaces 1-3 and, beside it, a copy damaged by `damage`. */
  const damaged = (damage: (path: string, bytes: Buffer, to: string) => Effect.Effect<string>) =>
    Effect.gen(function* () {
      const dir = yield* tmp
      const good = yield* writeArchive(join(dir, "good.zip"))
      return { good, bad: yield* damage(good, yield* readBytes(good), join(dir, "bad.zip")) }
    })

  it.effect("a truncated archive: its table of contents cannot be read, by inspect, diff and a single read", () =>
    Effect.gen(function* () {
      const { good, bad } = yield* damaged((_, bytes, to) =>
        Effect.as(writeBytes(to, bytes.subarray(0, Math.floor(bytes.length / 2))), to)
      )
      const sentence = `archive ${bad} is damaged: its table of contents (zip central directory) cannot be read; ${advice}`
      assert.deepStrictEqual(yield* refusals(bad, good), Array(4).fill(sentence))
      assert.deepStrictEqual(yield* failureMessage(inspectSpace(bad, "octo-org", 2)), sentence)
    })
  )

  it.effect("flipped bytes in the central directory: damaged, not 'strong encryption is not supported'", () =>
    Effect.gen(function* () {
      // Bit 6 of the first record's flags is what yauzl reads as strong encryption.
      const { good, bad } = yield* damaged((path, bytes, to) =>
        flipBytes(path, to, [zipLayout(bytes).centralDirectory + 8])
      )
      const sentence = `archive ${bad} is damaged: its table of contents (zip central directory) cannot be read; ${advice}`
      assert.deepStrictEqual(yield* refusals(bad, good), Array(4).fill(sentence))
    })
  )

  it.effect("flipped bytes in an entry's compressed data: that entry is damaged, zlib's words stay out", () =>
    Effect.gen(function* () {
      const { good, bad } = yield* damaged((path, bytes, to) => {
        const entry = zipLayout(bytes).entries.find((e) => e.name === "spaces/octo-org/2.json")!
        return flipBytes(path, to, [entry.data + 2, entry.data + 3])
      })
      const sentence = `entry spaces/octo-org/2.json of archive ${bad} is damaged: its compressed data is corrupt; ${advice}`
      assert.deepStrictEqual(yield* refusals(bad, good), Array(4).fill(sentence))
      // The other spaces still read: the damage is that entry's alone.
      const one = yield* Effect.scoped(Effect.flatMap(openArchive(bad), (a) => a.readSpaceRaw("octo-org", 1)))
      assert.deepStrictEqual(one, space(1))
    })
  )

  it.effect("flipped bytes in an entry's local header: that entry is damaged", () =>
    Effect.gen(function* () {
      const { bad } = yield* damaged((path, bytes, to) => {
        const entry = zipLayout(bytes).entries.find((e) => e.name === "spaces/octo-org/2.json")!
        return flipBytes(path, to, [entry.header])
      })
      assert.strictEqual(
        yield* failureMessage(inspectArchive(bad)),
        `entry spaces/octo-org/2.json of archive ${bad} is damaged: its zip header is corrupt; ${advice}`
      )
    })
  )

  it.effect("every single flipped byte of an archive is refused or harmless, never a zip or zlib message", () =>
    Effect.gen(function* () {
      const dir = yield* tmp
      const good = yield* writeArchive(join(dir, "good.zip"), 1)
      const bytes = yield* readBytes(good)
      const leaks: Array<string> = []
      for (let offset = 0; offset < bytes.length; offset += 7) {
        const bad = yield* flipBytes(good, join(dir, "bad.zip"), [offset])
        const message = yield* failureMessage(inspectArchive(bad))
        const known =
          message === "no error" ||
          /^(archive \S+ is (damaged|invalid): |entry \S+ of archive \S+ is damaged: its (compressed data|zip header) is corrupt; )/.test(
            message
          )
        if (!known || /encryption|literal|lengths|signature|CRC|zlib|EOF/.test(message))
          leaks.push(`${offset}: ${message}`)
      }
      assert.deepStrictEqual(leaks, [])
    })
  )
})
