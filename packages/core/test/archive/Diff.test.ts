// diff: pure on digests (added, removed, changed, unverified), and over two archive files, where changed texts
// come back with their old and new values.
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import type { ArchivedSpace } from "../../src/archive/ArchiveFormat.ts"
import type { WriterOptions } from "../../src/archive/ArchiveWriter.ts"
import { coverageOf, diffArchives, diffDigests, SEALED_CHANGE, unifiedDiff } from "../../src/archive/Diff.ts"
import { digestSpace, sealedDigest } from "../../src/archive/SpaceDigest.ts"
import { newKey } from "../crypto/keys.ts"
import { encryptingTo, withKeys } from "../support/encrypted.ts"
import { completeOwner, flipBytes, readBytes, space, tmp, writeArchive, zipLayout } from "./archives.ts"

const digest = (n: number, extra: Record<string, unknown> = {}) =>
  digestSpace("octo-org", space(n, extra) as unknown as ArchivedSpace)

describe("diffDigests", () => {
  it("lists added, removed and changed spaces with what changed", () => {
    const before = [digest(1), digest(2), digest(3)]
    const after = [
      digest(1),
      digest(3, {
        name: "Renamed",
        base_role: "admin",
        resources_attributes: [],
        collaborators: [
          { actor_type: "User", role: "admin", login: "hubot", id: 5 },
          { actor_type: "Team", role: "reader", id: 7, slug: "platform", name: "Platform" }
        ]
      }),
      digest(4)
    ]
    const d = diffDigests(before, after)
    assert.deepStrictEqual(
      d.removed.map((s) => s.number),
      [2]
    )
    assert.deepStrictEqual(
      d.added.map((s) => s.number),
      [4]
    )
    assert.strictEqual(d.unchanged, 1)
    assert.deepStrictEqual(d.changed, [
      {
        owner: "octo-org",
        number: 3,
        name: "Renamed",
        changes: [
          'name: "Space 3" -> "Renamed"',
          "base_role: reader -> admin",
          "resources: +0 -1 ~0",
          "collaborators: +Team/platform(reader) ~User/hubot writer->admin"
        ]
      }
    ])
  })

  it("calls a missing space unverified, not removed, when the newer archive could not have seen it", () => {
    const owner = (login: string, failures: Array<{ scope: string; message: string }> = []) =>
      ({
        login,
        kind: "org",
        status: failures.length > 0 ? "partial" : "complete",
        spaces: 0,
        failures,
        vanished: []
      }) as const
    const before = [digest(1), digest(2), digest(3), digestSpace("other-org", space(9) as unknown as ArchivedSpace)]
    const after = [digest(1)]
    // Space 2 failed to download; space 3 is really gone; other-org was not exported this time.
    const coverage = coverageOf([
      owner("Octo-Org", [{ scope: "space 2", message: "GET … failed: GitHub answered 502" }])
    ])
    const d = diffDigests(before, after, coverage)
    assert.deepStrictEqual(
      d.removed.map((s) => s.number),
      [3]
    )
    assert.deepStrictEqual(d.unverified, [
      { owner: "octo-org", number: 2, name: "Space 2", reason: "the newer archive could not read this space" },
      { owner: "other-org", number: 9, name: "Space 9", reason: "the newer archive does not include other-org" }
    ])
    // The listing itself failed: nothing of that owner can be called removed.
    const listFailed = diffDigests(
      before,
      [],
      coverageOf([owner("octo-org", [{ scope: "list", message: "403" }]), owner("other-org")])
    )
    assert.deepStrictEqual(
      listFailed.removed.map((s) => `${s.owner}/${s.number}`),
      ["other-org/9"]
    )
    assert.deepStrictEqual(
      listFailed.unverified.map((s) => s.reason),
      Array(3).fill("the newer archive could not list octo-org's spaces")
    )
  })

  it("compares resources and collaborators as sets, and texts by content", () => {
    const resources = [
      { id: 9, resource_type: "repository", metadata: { repository_id: 42 }, copilot_chat_attachment_id: null },
      { id: 10, resource_type: "free_text", metadata: { name: "n", text: "t" }, copilot_chat_attachment_id: null }
    ]
    const people = [
      { actor_type: "User", role: "writer", login: "hubot", id: 5 },
      { actor_type: "Team", role: "reader", id: 7, slug: "platform", name: "Platform" }
    ]
    const a = digest(1, { resources_attributes: resources, collaborators: people })
    const reordered = digest(1, {
      resources_attributes: [...resources].reverse(),
      collaborators: [...people].reverse()
    })
    assert.strictEqual(diffDigests([a], [reordered]).unchanged, 1)
    const edited = digest(1, {
      description: "",
      resources_attributes: [
        { ...resources[1], metadata: { name: "n", text: "changed" } },
        { ...resources[0], id: 11 }
      ],
      collaborators: [{ ...people[1], role: "admin" }]
    })
    assert.deepStrictEqual(diffDigests([a], [edited]).changed[0]?.changes, [
      "description",
      "resources: +1 -1 ~1",
      "collaborators: -User/hubot ~Team/platform reader->admin"
    ])
  })

  it("ignores ETags and timestamps alone", () => {
    const d = diffDigests([digest(1)], [digest(1, { etags: { space: `"other"` }, updated_at: "2030-01-01T00:00:00Z" })])
    assert.deepStrictEqual(d.changed, [])
    assert.strictEqual(d.unchanged, 1)
  })
})

describe("unifiedDiff", () => {
  it("prints the hunks of a line diff with three lines of context, without a no-newline marker", () => {
    const before = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine"].join("\n")
    const after = before.replace("five", "FIVE").replace("nine", "nine\nten")
    assert.strictEqual(
      unifiedDiff(before, after),
      [
        "@@ -2,8 +2,9 @@",
        " two",
        " three",
        " four",
        "-five",
        "+FIVE",
        " six",
        " seven",
        " eight",
        " nine",
        "+ten"
      ].join("\n")
    )
    // An empty or absent text has no lines, not one empty line.
    assert.strictEqual(unifiedDiff("", "new text"), "@@ -0,0 +1,1 @@\n+new text")
    assert.strictEqual(unifiedDiff("same", "same"), "")
  })
})

describe("diffArchives", () => {
  /** Two archives of octo-org: the older with spaces 1-3, the newer with `newer` as spaces. */
  const archivePair = (newer: ReadonlyArray<ReturnType<typeof space>>, options: WriterOptions = {}) =>
    Effect.gen(function* () {
      const dir = yield* tmp
      const older = yield* writeArchive(join(dir, "old.zip"), 3, undefined, undefined, options)
      const newerPath = yield* writeArchive(
        join(dir, "new.zip"),
        newer.length,
        [completeOwner("octo-org", newer.length)],
        newer.map((s) => ["octo-org", s] as [string, typeof s]),
        options
      )
      return { dir, older, newer: newerPath }
    })
  const archives = (newer: ReadonlyArray<ReturnType<typeof space>>) =>
    Effect.flatMap(archivePair(newer), (p) => diffArchives(p.older, p.newer))

  it.effect("gives the old and new values of changed texts, with a unified diff of the instructions", () =>
    Effect.gen(function* () {
      const d = yield* archives([
        space(1),
        space(2, { description: "Runbooks", general_instructions: "be nice\nanswer in English\ncite sources" }),
        space(3, { name: "Renamed" })
      ])
      assert.deepStrictEqual(
        d.removed.map((s) => s.number),
        []
      )
      assert.deepStrictEqual(d.changed, [
        {
          owner: "octo-org",
          number: 2,
          name: "Space 2",
          changes: ["description", "general_instructions"],
          texts: [
            { field: "description", old: null, new: "Runbooks" },
            {
              field: "general_instructions",
              old: "be nice",
              new: "be nice\nanswer in English\ncite sources",
              diff: "@@ -1,1 +1,3 @@\n be nice\n+answer in English\n+cite sources"
            }
          ]
        },
        // No text changed: no texts to read back.
        { owner: "octo-org", number: 3, name: "Renamed", changes: ['name: "Space 3" -> "Renamed"'] }
      ])
      assert.strictEqual(d.unchanged, 1)
    })
  )

  it.effect("says when a text was removed: its new value is null", () =>
    Effect.gen(function* () {
      const d = yield* archives([space(1), space(2), space(3, { general_instructions: null })])
      assert.deepStrictEqual(d.changed[0]?.texts, [
        { field: "general_instructions", old: "be nice", new: null, diff: "@@ -1,1 +0,0 @@\n-be nice" }
      ])
    })
  )

  it.effect("encrypted archives without an identity: by number and digest; with one, names and texts", () =>
    Effect.gen(function* () {
      const key = yield* newKey
      const pair = yield* archivePair(
        [space(1), space(2, { description: "Runbooks" }), space(4)],
        yield* encryptingTo(key)
      )
      const sealed = yield* diffArchives(pair.older, pair.newer)
      assert.deepStrictEqual(sealed.added, [{ owner: "octo-org", number: 4 }])
      assert.deepStrictEqual(sealed.removed, [{ owner: "octo-org", number: 3 }])
      assert.deepStrictEqual(sealed.changed, [{ owner: "octo-org", number: 2, changes: [SEALED_CHANGE] }])
      assert.strictEqual(sealed.unchanged, 1)
      const opened = yield* withKeys(key)(diffArchives(pair.older, pair.newer))
      assert.deepStrictEqual(opened.removed, [{ owner: "octo-org", number: 3, name: "Space 3" }])
      assert.deepStrictEqual(opened.changed[0]?.texts, [{ field: "description", old: null, new: "Runbooks" }])
    })
  )

  it.effect("without an identity, an encrypted archive that is not what its manifest says still fails the diff", () =>
    Effect.gen(function* () {
      const pair = yield* archivePair([space(1)], yield* encryptingTo(yield* newKey))
      const entry = zipLayout(yield* readBytes(pair.newer)).entries.find((e) => e.name.endsWith(".age"))!
      const flipped = yield* flipBytes(pair.newer, join(pair.dir, "flipped.zip"), [entry.data + 40])
      const error = yield* Effect.flip(diffArchives(pair.older, flipped))
      assert.strictEqual(error.reason, "Damaged")
    })
  )
})

describe("sealed digests", () => {
  it("compare by sha256 alone, with one change that says an identity shows more", () => {
    const full = { ...digest(1), sha256: "aa" }
    assert.deepStrictEqual(diffDigests([full], [sealedDigest("Octo-Org", 1, "aa")]).unchanged, 1)
    const d = diffDigests([full, sealedDigest("octo-org", 2, "bb")], [sealedDigest("octo-org", 1, "cc")])
    // The name comes from the side that has one.
    assert.deepStrictEqual(d.changed, [{ owner: "octo-org", number: 1, name: "Space 1", changes: [SEALED_CHANGE] }])
    assert.deepStrictEqual(d.removed, [{ owner: "octo-org", number: 2 }])
  })
})
