// history and restore over encrypted archives (format 2): the index needs only manifests, so a space's history keeps
// its events without an identity (no names, no details) and gets them with one; reading a space to restore it
// without an identity fails with the Encrypted reason (exit 2 in the commands).
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { archiveFileName } from "../../src/archive/ArchiveDirectory.ts"
import { SEALED_CHANGE } from "../../src/archive/Diff.ts"
import { readSpaceEntries } from "../../src/history/ArchiveIndex.ts"
import { spaceHistory } from "../../src/history/SpaceHistory.ts"
import { tmp } from "../archive/archives.ts"
import { newKey, type TestKey } from "../crypto/keys.ts"
import { writeOwnersArchive } from "../support/archives.ts"
import { encryptingTo, withKeys } from "../support/encrypted.ts"

const nights = ["2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z", "2026-01-03T00:00:00Z"]

/** Space 1 renamed on the second night, space 2 gone on the third; every night encrypted to `key`. */
const writeNights = (dir: string, key: TestKey) =>
  Effect.gen(function* () {
    const options = yield* encryptingTo(key)
    const paths: Array<string> = []
    for (const [night, createdAt] of nights.entries()) {
      const spaces = [night > 0 ? ([1, { name: "Runbooks v2" }] as const) : 1, ...(night < 2 ? [2] : []), 3]
      paths.push(
        yield* writeOwnersArchive(
          join(dir, archiveFileName(Date.parse(createdAt))),
          createdAt,
          [{ login: "octo-org", spaces }],
          options
        )
      )
    }
    return paths
  })

describe("history and restore over encrypted archives", () => {
  it.effect("a space's history without an identity: its events by manifest digests, without names", () =>
    Effect.gen(function* () {
      const dir = yield* tmp
      const key = yield* newKey
      yield* writeNights(dir, key)
      const sealed = yield* spaceHistory(dir, { owner: "octo-org", number: 1 }, undefined)
      assert.deepStrictEqual(
        sealed.events.map((e) => [e.kind, e.name, e.changes]),
        [
          ["appeared", null, undefined],
          ["changed", null, [SEALED_CHANGE]]
        ]
      )
      // Encryption is no problem of the archives.
      assert.deepStrictEqual(sealed.unreadable, [])
      const gone = yield* spaceHistory(dir, { owner: "octo-org", number: 2 }, undefined)
      assert.deepStrictEqual(
        gone.events.map((e) => [e.kind, e.name]),
        [
          ["appeared", null],
          ["disappeared", null]
        ]
      )
      const opened = yield* withKeys(key)(spaceHistory(dir, { owner: "octo-org", number: 1 }, undefined))
      assert.deepStrictEqual(
        opened.events.map((e) => [e.kind, e.name, e.changes]),
        [
          ["appeared", "Space 1", undefined],
          ["changed", "Runbooks v2", ['name: "Space 1" -> "Runbooks v2"']]
        ]
      )
    })
  )

  it.effect("reading a space to restore it needs the identity: Encrypted without one", () =>
    Effect.gen(function* () {
      const dir = yield* tmp
      const key = yield* newKey
      const [first] = yield* writeNights(dir, key)
      const error = yield* Effect.flip(readSpaceEntries(first!, [{ owner: "octo-org", number: 2 }]))
      assert.strictEqual(error.reason, "Encrypted")
      const [entry] = yield* withKeys(key)(readSpaceEntries(first!, [{ owner: "octo-org", number: 2 }]))
      assert.strictEqual(entry?.space.name, "Space 2")
    })
  )
})
