// inspect and diff as a user types them, on archives written here (no GitHub needed): one space in full, some
// owners only, old and new texts in a diff, and damaged archives through verify, inspect and diff: exit 1, one
// sentence on stderr, and nothing on stdout with --json where no result exists. (`it.live`: the commands run on the
// real clock.)
import { mkdtemp, readFile, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { openArchiveWriter } from "@spaces-vault/core/archive/ArchiveWriter"
import { Effect } from "effect"
import { beforeAll, describe, expect, it } from "@effect/vitest"
import { cli } from "./harness.ts"

const space = (number: number, extra: Record<string, unknown> = {}) => ({
  id: 100 + number,
  number,
  name: `Space ${number}`,
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
    { id: 9, resource_type: "repository", metadata: { repository_id: 42 }, copilot_chat_attachment_id: null },
    { id: 10, resource_type: "free_text", metadata: { name: "Escalation", text: "page the on-call" } }
  ],
  collaborators: [
    { actor_type: "User", role: "writer", login: "hubot", id: 5 },
    { actor_type: "Team", role: "reader", id: 7, slug: "platform", name: "Platform" }
  ],
  etags: {},
  ...extra
})

type Spaces = ReadonlyArray<[owner: string, space: ReturnType<typeof space>]>

const writeArchive = (path: string, spaces: Spaces) =>
  Effect.runPromise(
    Effect.scoped(
      Effect.gen(function* () {
        const w = yield* openArchiveWriter(path)
        for (const [owner, s] of spaces) yield* w.addSpace(owner, s.number, s)
        yield* w.setRepositories({ "42": { full_name: "octo-org/api" } })
        const owners = [...new Set(spaces.map(([o]) => o))]
        return yield* w.finish({
          toolVersion: "test",
          createdAt: "2026-01-01T00:00:00Z",
          sourceApiUrl: "https://api.github.com",
          partial: false,
          owners: owners.map((login) => ({
            login,
            kind: "org" as const,
            status: "complete" as const,
            spaces: spaces.filter(([o]) => o === login).length,
            failures: [],
            vanished: []
          }))
        })
      })
    )
  )

let dir: string
let older: string
let newer: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "sv-cli-archive-"))
  older = await writeArchive(join(dir, "old.zip"), [
    ["octo-org", space(1)],
    ["octo-org", space(2)],
    ["mona", space(3)]
  ])
  newer = await writeArchive(join(dir, "new.zip"), [
    ["octo-org", space(1)],
    [
      "octo-org",
      space(2, {
        description: "On-call runbooks",
        general_instructions: "Answer in English.\nCite the runbook."
      })
    ],
    ["mona", space(3)]
  ])
})

describe("spaces-vault inspect", () => {
  it.live("--space OWNER/N shows one space readably, and as one JSON object", () =>
    Effect.gen(function* () {
      const r = yield* cli(["inspect", newer, "--space", "octo-org/2"])
      expect(r.code).toBe(0)
      expect(r.stderr).toEqual([])
      expect(r.stdout[0]).toBe(
        [
          "space octo-org/2: Space 2",
          `  in archive ${newer} (created 2026-01-01T00:00:00Z)`,
          "  https://github.com/copilot/spaces/octo-org/2",
          "  created 2024-01-01T00:00:00Z by octocat, updated 2024-01-02T00:00:00Z",
          "  base role: reader",
          "",
          "description:",
          "  On-call runbooks",
          "",
          "general instructions:",
          "  Answer in English.",
          "  Cite the runbook.",
          "",
          "resources (2):",
          "  repository  octo-org/api",
          "  free_text   Escalation",
          "      page the on-call",
          "",
          "collaborators (2):",
          "  User hubot     writer",
          "  Team platform  reader"
        ].join("\n")
      )
      const j = yield* cli(["inspect", newer, "--space", "OCTO-ORG/2", "--json"])
      expect(j.code).toBe(0)
      expect(j.stdout).toHaveLength(1)
      expect(j.json()).toMatchObject({
        owner: "octo-org",
        number: 2,
        generalInstructions: "Answer in English.\nCite the runbook.",
        resources: [{ id: 9, type: "repository", repository: "octo-org/api" }, { id: 10 }],
        collaborators: [{ type: "User", name: "hubot", role: "writer" }, { type: "Team" }]
      })
    })
  )

  it.live("--owner lists only that owner's spaces", () =>
    Effect.gen(function* () {
      const r = yield* cli(["inspect", newer, "--owner", "mona", "--json"])
      expect(r.code).toBe(0)
      expect(r.json().owners.map((o: { login: string }) => o.login)).toEqual(["mona"])
      const text = yield* cli(["inspect", newer, "--owner", "MONA"])
      expect(text.stdout[0]).toMatch(/\norg mona: 1 space, complete\n {2}#3 +Space 3 /)
      expect(text.stdout[0]).not.toMatch(/octo-org:/)
    })
  )

  it.live("exits 1 with one sentence, and nothing on stdout, for what the archive does not hold", () =>
    Effect.gen(function* () {
      for (const args of [
        ["--space", "octo-org/9"],
        ["--owner", "hubot"]
      ]) {
        const r = yield* cli(["inspect", newer, ...args, "--json"])
        expect(r.code).toBe(1)
        expect(r.stdout).toEqual([])
        expect(r.stderr).toEqual([
          expect.stringMatching(/^error: archive \S+new\.zip holds no (space octo-org\/9|owner hubot)$/)
        ])
      }
    })
  )

  it.live("exits 2 for a --space that is not OWNER/NUMBER, or given with --owner", () =>
    Effect.gen(function* () {
      const bad = yield* cli(["inspect", newer, "--space", "octo-org#2"])
      expect(bad.code).toBe(2)
      expect(bad.stderr).toEqual(["error: --space octo-org#2: expected OWNER/NUMBER"])
      const both = yield* cli(["inspect", newer, "--space", "octo-org/2", "--owner", "mona"])
      expect(both.code).toBe(2)
      expect(both.stderr).toEqual(["error: --space and --owner cannot be combined"])
    })
  )
})

describe("spaces-vault diff", () => {
  it.live("shows the old and new values of changed texts, the instructions as a unified diff", () =>
    Effect.gen(function* () {
      const r = yield* cli(["diff", older, newer])
      expect(r.code).toBe(0)
      expect(r.stdout[0]).toContain(
        [
          "changed (1):",
          "  octo-org/2  Space 2",
          '      description: null -> "On-call runbooks"',
          "      general_instructions:",
          "        @@ -1,1 +1,2 @@",
          "         Answer in English.",
          "        +Cite the runbook."
        ].join("\n")
      )
      const j = yield* cli(["diff", older, newer, "--json"])
      expect(j.json().changed).toEqual([
        {
          owner: "octo-org",
          number: 2,
          name: "Space 2",
          changes: ["description", "general_instructions"],
          texts: [
            { field: "description", old: null, new: "On-call runbooks" },
            {
              field: "general_instructions",
              old: "Answer in English.",
              new: "Answer in English.\nCite the runbook.",
              diff: "@@ -1,1 +1,2 @@\n Answer in English.\n+Cite the runbook."
            }
          ]
        }
      ])
    })
  )
})

describe("a damaged archive, through the commands", () => {
  /** Copies of `older`: cut in half, and with one byte flipped inside space 2's compressed data. */
  let truncated: string
  let corrupt: string
  beforeAll(async () => {
    const bytes = await readFile(older)
    truncated = join(dir, "truncated.zip")
    await writeFile(truncated, bytes.subarray(0, Math.floor(bytes.length / 2)))
    // Space 2 is the second entry; archiver writes no extra field, so its data starts right after its name.
    const at = bytes.indexOf(Buffer.from("spaces/octo-org/2.json", "latin1"))
    const flipped = Buffer.from(bytes)
    for (const offset of [at + 22 + 2, at + 22 + 3]) flipped[offset] = flipped[offset]! ^ 0xff
    corrupt = join(dir, "corrupt.zip")
    await writeFile(corrupt, flipped)
  })
  const tableOfContents = (path: string) =>
    `archive ${path} is damaged: its table of contents (zip central directory) cannot be read; use the previous archive instead`
  const entryData = (path: string) =>
    `entry spaces/octo-org/2.json of archive ${path} is damaged: its compressed data is corrupt; use the previous archive instead`

  it.live("inspect and diff exit 1 with one sentence on stderr and nothing on stdout with --json", () =>
    Effect.gen(function* () {
      const cases: Array<[ReadonlyArray<string>, string]> = [
        [["inspect", truncated], tableOfContents(truncated)],
        [["inspect", corrupt], entryData(corrupt)],
        [["inspect", corrupt, "--space", "octo-org/2"], entryData(corrupt)],
        [["diff", truncated, newer], tableOfContents(truncated)],
        [["diff", older, corrupt], entryData(corrupt)]
      ]
      for (const [args, sentence] of cases) {
        for (const json of [[], ["--json"]]) {
          const r = yield* cli([...args, ...json])
          expect(r.code).toBe(1)
          expect(r.stdout).toEqual([])
          expect(r.stderr).toEqual([`error: ${sentence}`])
        }
      }
    })
  )

  it.live("verify exits 1 and names the damage in its report", () =>
    Effect.gen(function* () {
      const cut = yield* cli(["verify", truncated])
      expect(cut.code).toBe(1)
      expect(cut.stdout).toEqual([`FAILED: ${truncated}\n  - ${tableOfContents(truncated)}`])
      const r = yield* cli(["verify", corrupt, "--json"])
      expect(r.code).toBe(1)
      expect(r.json()).toMatchObject({
        ok: false,
        problems: ["entry spaces/octo-org/2.json is damaged: its compressed data is corrupt"]
      })
    })
  )
})
