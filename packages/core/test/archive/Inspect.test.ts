// inspect: the inventory of an archive, of some owners only, and one space in full; asking for what the archive
// does not hold says so, and why when the manifest knows.
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { inspectArchive, inspectSpace } from "../../src/archive/Inspect.ts"
import type { WriterOptions } from "../../src/archive/ArchiveWriter.ts"
import { newKey } from "../crypto/keys.ts"
import { encryptingTo, withKeys } from "../support/encrypted.ts"
import { completeOwner, failureMessage, space, tmp, writeArchive } from "./archives.ts"

const resources = [
  { id: 9, resource_type: "repository", metadata: { repository_id: 42 }, copilot_chat_attachment_id: null },
  { id: 10, resource_type: "github_file", metadata: { repository_id: 42, file_path: "docs/runbook.md" } },
  { id: 11, resource_type: "github_issue", metadata: { repository_id: 77, number: 12 } },
  { id: 12, resource_type: "free_text", metadata: { name: "Escalation", text: "page the on-call" } }
]
const collaborators = [
  { actor_type: "User", role: "writer", login: "hubot", id: 5 },
  { actor_type: "Team", role: "reader", id: 7, slug: "platform", name: "Platform" },
  { actor_type: "Bot", role: "reader" }
]

/** octo-org with spaces 1-3 (2 in full detail) and mona with space 5; octo-org's space 4 vanished, 6 failed. */
const twoOwnersWith = (options: WriterOptions) =>
  Effect.gen(function* () {
    const path = join(yield* tmp, "a.zip")
    return yield* writeArchive(
      path,
      4,
      [
        { ...completeOwner("Octo-Org", 3), vanished: [4] },
        {
          ...completeOwner("mona", 1),
          kind: "user",
          status: "partial",
          failures: [{ scope: "space 6", message: "GET /users/mona/copilot-spaces/6 failed: GitHub answered 502" }]
        }
      ],
      [
        ["octo-org", space(1)],
        [
          "octo-org",
          space(2, {
            description: "On-call runbooks",
            general_instructions: "Answer in English.\nCite the runbook.",
            resources_attributes: resources,
            collaborators
          })
        ],
        ["octo-org", space(3)],
        ["mona", space(5)]
      ],
      options
    )
  })
const twoOwners = twoOwnersWith({})

describe("inspectArchive", () => {
  it.effect("lists every owner with its spaces, or only the owners asked for (in any case)", () =>
    Effect.gen(function* () {
      const path = yield* twoOwners
      const all = yield* inspectArchive(path)
      assert.deepStrictEqual(
        all.owners.map((o) => [o.login, o.spaces.map((s) => s.number)]),
        [
          ["Octo-Org", [1, 2, 3]],
          ["mona", [5]]
        ]
      )
      assert.deepStrictEqual(all.owners[0]!.spaces[1], { number: 2, name: "Space 2", resources: 4, collaborators: 3 })
      assert.strictEqual(all.repositories, 1)
      const mona = yield* inspectArchive(path, ["MONA"])
      assert.deepStrictEqual(
        mona.owners.map((o) => [o.login, o.status, o.spaces.map((s) => s.number)]),
        [["mona", "partial", [5]]]
      )
    })
  )

  it.effect("fails, naming it, for an owner the archive does not hold", () =>
    Effect.gen(function* () {
      const path = yield* twoOwners
      assert.strictEqual(
        yield* failureMessage(inspectArchive(path, ["mona", "hubot"])),
        `archive ${path} holds no owner hubot`
      )
    })
  )
})

describe("inspectSpace", () => {
  it.effect("shows one space in full: texts, resources with their repositories, collaborators", () =>
    Effect.gen(function* () {
      const path = yield* twoOwners
      const s = yield* inspectSpace(path, "octo-org", 2)
      assert.deepStrictEqual(
        { ...s, resources: undefined, collaborators: undefined },
        {
          archive: path,
          createdAt: "2026-01-01T00:00:00Z",
          owner: "Octo-Org",
          number: 2,
          name: "Space 2",
          description: "On-call runbooks",
          baseRole: "reader",
          generalInstructions: "Answer in English.\nCite the runbook.",
          url: "https://github.com/copilot/spaces/octo-org/1",
          creator: "octocat",
          spaceCreatedAt: "2024-01-01T00:00:00Z",
          spaceUpdatedAt: "2024-01-02T00:00:00Z",
          resources: undefined,
          collaborators: undefined
        }
      )
      assert.deepStrictEqual(
        s.resources.map((r) => [r.id, r.type, r.repository, r.summary]),
        [
          [9, "repository", "octo-org/api", "octo-org/api"],
          [10, "github_file", "octo-org/api", "octo-org/api: docs/runbook.md"],
          // The archive's repository index does not know 77: its id stands in for the name.
          [11, "github_issue", null, "repository 77#12"],
          [12, "free_text", null, "Escalation"]
        ]
      )
      assert.deepStrictEqual(s.collaborators, [
        { type: "User", name: "hubot", role: "writer" },
        { type: "Team", name: "platform", role: "reader" },
        { type: "Bot", name: "", role: "reader" }
      ])
    })
  )

  it.effect("says why a space is not in the archive when the manifest knows", () =>
    Effect.gen(function* () {
      const path = yield* twoOwners
      assert.strictEqual(
        yield* failureMessage(inspectSpace(path, "octo-org", 4)),
        `archive ${path} holds no space Octo-Org/4 (it was deleted during the export)`
      )
      assert.strictEqual(
        yield* failureMessage(inspectSpace(path, "mona", 6)),
        `archive ${path} holds no space mona/6 (the export could not read it: GET /users/mona/copilot-spaces/6 failed: GitHub answered 502)`
      )
      assert.strictEqual(
        yield* failureMessage(inspectSpace(path, "octo-org", 99)),
        `archive ${path} holds no space Octo-Org/99`
      )
      assert.strictEqual(yield* failureMessage(inspectSpace(path, "hubot", 1)), `archive ${path} holds no owner hubot`)
    })
  )
})

describe("inspect, encrypted archives (format 2)", () => {
  it.effect("without an identity: the inventory from the manifest, spaces by number; --space needs the identity", () =>
    Effect.gen(function* () {
      const key = yield* newKey
      const path = yield* twoOwnersWith(yield* encryptingTo(key))
      const sealed = yield* inspectArchive(path)
      assert.deepStrictEqual([sealed.formatVersion, sealed.encrypted, sealed.decrypted], [2, true, false])
      assert.deepStrictEqual(
        sealed.owners.map((o) => [o.login, o.status, o.vanished, o.failures.length, o.spaces]),
        [
          ["Octo-Org", "complete", [4], 0, [{ number: 1 }, { number: 2 }, { number: 3 }]],
          ["mona", "partial", [], 1, [{ number: 5 }]]
        ]
      )
      // The repository ids the manifest's rows list (42 and 77), without their names.
      assert.strictEqual(sealed.repositories, 2)
      assert.deepStrictEqual(
        (yield* inspectArchive(path, ["mona"])).owners.map((o) => o.login),
        ["mona"]
      )
      const refused = yield* Effect.flip(inspectSpace(path, "octo-org", 2))
      assert.strictEqual(refused._tag === "ArchiveError" && refused.reason, "Encrypted")

      // With the identity, as a plaintext archive shows it.
      const opened = yield* withKeys(key)(inspectArchive(path))
      assert.isTrue(opened.decrypted)
      assert.deepStrictEqual(opened.owners[0]!.spaces[1], {
        number: 2,
        name: "Space 2",
        resources: 4,
        collaborators: 3
      })
      assert.strictEqual((yield* withKeys(key)(inspectSpace(path, "octo-org", 2))).name, "Space 2")
      const plain = yield* inspectArchive(yield* twoOwners)
      assert.deepStrictEqual([plain.encrypted, plain.decrypted], [false, true])
    })
  )
})
