// verify, inspect and diff on encrypted archives (format 2) as a user types them: without an identity they check
// and compare what the manifest allows (stored sha256s, owners, numbers) and say so; with --identity (or
// SPACES_VAULT_IDENTITY_FILE) they decrypt; a key that is not a recipient is one sentence and exit 1; asking for a
// space's contents without any key is exit 2. The --json outputs are checked against docs/json.md.
import { readFile } from "node:fs/promises"
import { join } from "node:path"
import { archiveFileName } from "@spaces-vault/core/archive/ArchiveDirectory"
import { openArchiveWriter } from "@spaces-vault/core/archive/ArchiveWriter"
import { entryEncrypter } from "@spaces-vault/core/crypto/EntryCipher"
import { generateIdentityFile } from "@spaces-vault/core/crypto/Keygen"
import { recipientSet } from "@spaces-vault/core/crypto/Recipients"
import { checkShape, readShapes } from "@spaces-vault/fixtures/jsonShapes"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { cli, tmp } from "../harness.ts"

const space = (number: number, name = `Space ${number}`) => ({
  id: 100 + number,
  number,
  name,
  description: null,
  general_instructions: "Answer in English.",
  base_role: "reader",
  owner: { login: "octo-org", id: 1, type: "Organization" },
  creator: { login: "octocat", id: 2 },
  created_at: "2024-01-01T00:00:00Z",
  updated_at: "2024-01-02T00:00:00Z",
  html_url: `https://github.com/copilot/spaces/octo-org/${number}`,
  api_url: `https://api.github.com/orgs/octo-org/copilot-spaces/${number}`,
  resources_attributes: [
    { id: 9, resource_type: "repository", metadata: { repository_id: 42 }, copilot_chat_attachment_id: null }
  ],
  collaborators: [],
  etags: {}
})

/** One night's archive of octo-org's `spaces`, encrypted to `recipient`. */
const writeNight = (dir: string, iso: string, recipient: string, spaces: ReadonlyArray<ReturnType<typeof space>>) =>
  Effect.scoped(
    Effect.gen(function* () {
      const set = yield* Effect.orDie(recipientSet([recipient], []))
      const w = yield* openArchiveWriter(join(dir, archiveFileName(Date.parse(iso))), {
        encryption: entryEncrypter(set)
      })
      for (const s of spaces) yield* w.addSpace("octo-org", s.number, s)
      yield* w.setRepositories({ "42": { full_name: "octo-org/api" } })
      return yield* w.finish({
        toolVersion: "test",
        createdAt: iso,
        sourceApiUrl: "https://api.github.com",
        partial: false,
        owners: [
          { login: "octo-org", kind: "org", status: "complete", spaces: spaces.length, failures: [], vanished: [] }
        ]
      })
    })
  )

const scene = Effect.gen(function* () {
  const dir = yield* tmp
  const keys = yield* tmp
  const key = yield* Effect.orDie(generateIdentityFile(join(keys, "restore.key")))
  const stranger = yield* Effect.orDie(generateIdentityFile(join(keys, "stranger.key")))
  const older = yield* writeNight(dir, "2026-11-24T02:30:00Z", key.recipient, [space(1), space(2), space(3)])
  const newer = yield* writeNight(dir, "2026-11-25T02:30:00Z", key.recipient, [space(1), space(2, "Roadmap"), space(4)])
  return { dir, older, newer, key: key.file, stranger: stranger.file }
})

const shapeOf = (command: string, json: unknown) =>
  Effect.promise(() => readFile(new URL("../../../../docs/json.md", import.meta.url), "utf8")).pipe(
    Effect.map((doc) => checkShape(readShapes(doc).get(command)!, json, new Set()))
  )

describe("encrypted archives through verify, inspect and diff", () => {
  it.live("verify: without an identity it says it did not decrypt; with one it decrypts; a stranger's key fails", () =>
    Effect.gen(function* () {
      const { newer, key, stranger } = yield* scene
      const sealed = yield* cli(["verify", newer])
      assert.strictEqual(sealed.code, 0)
      assert.deepStrictEqual(sealed.stdout, [
        `ok: ${newer} (format 2, encrypted, 1 owner, 3 spaces, 4 entries verified; not decrypted: no identity given, contents unchecked)`
      ])
      const json = yield* cli(["verify", newer, "--json"])
      assert.deepStrictEqual([json.code, json.json().decrypted, json.json().encrypted], [0, false, true])
      assert.deepStrictEqual(yield* shapeOf("verify", json.json()), [])

      const opened = yield* cli(["verify", newer, "--identity", key])
      assert.strictEqual(opened.code, 0)
      assert.deepStrictEqual(opened.stdout, [
        `ok: ${newer} (format 2, encrypted, decrypted, 1 owner, 3 spaces, 4 entries verified)`
      ])
      const fromEnv = yield* cli(["verify", newer, "--json"], { SPACES_VAULT_IDENTITY_FILE: key })
      assert.isTrue(fromEnv.json().decrypted)

      const wrong = yield* cli(["verify", newer, "--identity", stranger])
      assert.strictEqual(wrong.code, 1)
      assert.deepStrictEqual(wrong.stdout.join("\n").split("\n"), [
        `FAILED: ${newer}`,
        "  - none of the given identities is a recipient of this archive: its contents were not decrypted"
      ])
    })
  )

  it.live("inspect: owners and numbers without an identity, names with one; --space without one exits 2", () =>
    Effect.gen(function* () {
      const { newer, key } = yield* scene
      const sealed = yield* cli(["inspect", newer])
      assert.strictEqual(sealed.code, 0)
      const text = sealed.stdout.join("\n")
      assert.include(text, "encrypted: spaces by number only; their names and contents need an identity")
      assert.include(text, "org octo-org: 3 spaces, complete\n  #1\n  #2\n  #4")
      assert.notInclude(text, "Roadmap")
      const json = (yield* cli(["inspect", newer, "--json"])).json()
      assert.deepStrictEqual(json.owners[0].spaces, [{ number: 1 }, { number: 2 }, { number: 4 }])
      assert.deepStrictEqual(yield* shapeOf("inspect", json), [])

      const space2 = yield* cli(["inspect", newer, "--space", "octo-org/2"])
      assert.strictEqual(space2.code, 2)
      assert.deepStrictEqual(space2.stdout, [])
      assert.strictEqual(space2.stderr.length, 1)
      assert.include(space2.stderr[0], `archive ${newer} is encrypted and no identity was given to decrypt it`)

      const opened = yield* cli(["inspect", newer, "--identity", key])
      assert.include(opened.stdout.join("\n"), "#2     Roadmap  [1 resource, 0 collaborators]")
      const one = yield* cli(["inspect", newer, "--space", "octo-org/2", "--identity", key])
      assert.strictEqual(one.code, 0)
      assert.include(one.stdout[0], "space octo-org/2: Roadmap")
    })
  )

  it.live("diff OLD NEW and diff DIR: by number without an identity, with names and changes with one", () =>
    Effect.gen(function* () {
      const { dir, older, newer, key, stranger } = yield* scene
      const sealed = yield* cli(["diff", older, newer])
      assert.strictEqual(sealed.code, 0)
      assert.deepStrictEqual(sealed.stdout.join("\n").split("\n"), [
        "encrypted archives compared without an identity: spaces by number, by their contents' sha256 (--identity FILE shows names and what changed)",
        "removed (1):",
        "  octo-org/3",
        "added (1):",
        "  octo-org/4",
        "changed (1):",
        "  octo-org/2",
        "      encrypted contents (what changed needs an identity)",
        "unchanged: 1"
      ])
      const json = (yield* cli(["diff", dir, "--json"])).json()
      assert.deepStrictEqual(json.removed, [{ owner: "octo-org", number: 3 }])
      assert.deepStrictEqual(yield* shapeOf("diff", json), [])

      // A key that is not a recipient: one sentence, exit 1, nothing on stdout.
      for (const args of [
        ["diff", older, newer],
        ["inspect", newer]
      ]) {
        const wrong = yield* cli([...args, "--identity", stranger, "--json"])
        assert.deepStrictEqual([wrong.code, wrong.stdout, wrong.stderr.length], [1, [], 1])
        assert.include(wrong.stderr[0], "cannot be decrypted with the given identities: none of them is a recipient")
      }

      const opened = yield* cli(["diff", dir, "--identity", key, "--json"])
      assert.strictEqual(opened.code, 0)
      assert.deepStrictEqual(opened.json().removed, [{ owner: "octo-org", number: 3, name: "Space 3" }])
      assert.deepStrictEqual(opened.json().changed[0].changes, ['name: "Space 2" -> "Roadmap"'])
    })
  )
})
