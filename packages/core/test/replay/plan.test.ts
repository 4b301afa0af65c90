// Remap and ReplayPlan on plain data: no GitHub, no files.
import { describe, expect, it } from "vitest"
import type { ArchivedSpace } from "../../src/archive/ArchiveFormat.ts"
import { org, user } from "../../src/domain/owner.ts"
import type { Space } from "../../src/domain/space.ts"
import { emptyMaps } from "../../src/replay/MapFiles.ts"
import { mapSlug, remapSpace, type TargetDirectory } from "../../src/replay/Remap.ts"
import { collaboratorChanges, planSpace, resourceChanges } from "../../src/replay/ReplayPlan.ts"

const archived = {
  id: 1,
  number: 7,
  name: "Runbooks",
  description: "d",
  general_instructions: "gi",
  base_role: "writer",
  owner: { login: "src", id: 1 },
  creator: { login: "src", id: 1 },
  created_at: "x",
  updated_at: "x",
  html_url: "x",
  api_url: "x",
  resources_attributes: [
    { id: 10, resource_type: "repository", metadata: { repository_id: 100 } },
    { id: 11, resource_type: "github_file", metadata: { repository_id: 101, file_path: "a.md" } },
    { id: 12, resource_type: "free_text", metadata: { name: "n", text: "t" } },
    { id: 13, resource_type: "media_content", metadata: { name: "p.png" } }
  ],
  collaborators: [
    { actor_type: "User", role: "writer", login: "ada", id: 5 },
    { actor_type: "User", role: "reader", login: "linus", id: 6 },
    { actor_type: "Team", role: "admin", slug: "platform", id: 7, name: "Platform" },
    { actor_type: "Team", role: "reader", slug: "gone", id: 8, name: "Gone" }
  ],
  etags: {}
} as unknown as ArchivedSpace

const index = { "100": { full_name: "src/api" }, "101": { full_name: "src/docs" } }

const dir = (overrides: Partial<TargetDirectory> = {}): TargetDirectory => ({
  owner: org("dst"),
  repositories: new Map([
    ["dst/api", 900],
    ["dst/docs", undefined],
    ["dst/docs-v2", 901]
  ]),
  repositoryIds: new Map(),
  teams: new Map([
    ["platform", true],
    ["gone", false]
  ]),
  users: new Map([
    ["ada", true],
    ["linus", false]
  ]),
  ...overrides
})

describe("remapSpace", () => {
  it("maps repositories by name and reports each item it cannot carry over", () => {
    const r = remapSpace(archived, index, dir(), emptyMaps)
    expect(r.resources).toEqual([
      { resource_type: "repository", metadata: { repository_id: 900 } },
      { resource_type: "free_text", metadata: { name: "n", text: "t" } }
    ])
    expect(r.collaborators).toEqual([
      { actor_type: "User", identifier: "ada", role: "writer" },
      { actor_type: "Team", identifier: "platform", role: "admin" }
    ])
    expect(r.unmapped.map((u) => u.kind).sort()).toEqual(["repository", "team", "upload", "user"])
    expect(r.unmapped.find((u) => u.kind === "repository")!.detail).toMatch(
      /src\/docs, but dst\/docs does not exist in dst/
    )
  })

  it("lets an explicit map entry win over the default name mapping", () => {
    const r = remapSpace(archived, index, dir(), {
      ...emptyMaps,
      repos: new Map([["src/docs", "dst/docs-v2"]]),
      users: new Map([["linus", "ada"]])
    })
    expect(r.resources[1]).toEqual({
      resource_type: "github_file",
      metadata: { repository_id: 901, file_path: "a.md" }
    })
    // linus -> ada merges two collaborators into one: reported as well
    expect(r.unmapped.map((u) => u.kind).sort()).toEqual(["team", "upload", "user"])
  })

  it("restoring into the space's own owner keeps the archived ids that still resolve, else finds the archived name", () => {
    // src/api was renamed (same id 100); src/docs was deleted and made anew (new id 555); a map entry named
    // "constructor" must not find Object's prototype.
    const restore = dir({
      owner: org("src"),
      repositoryIds: new Map([
        [100, "src/api-v2"],
        [101, undefined]
      ]),
      repositories: new Map([["src/docs", 555]]),
      teams: new Map([["platform", true]]),
      users: new Map([
        ["ada", true],
        ["linus", true]
      ])
    })
    const r = remapSpace(archived, index, restore, { ...emptyMaps, teams: new Map([["x", "y"]]) })
    expect(r.resources.filter((x) => x.resource_type !== "free_text")).toEqual([
      { resource_type: "repository", metadata: { repository_id: 100 } },
      { resource_type: "github_file", metadata: { repository_id: 555, file_path: "a.md" } }
    ])
    expect(r.unmapped.map((u) => u.kind).sort()).toEqual(["team", "upload"])
    expect(mapSlug("constructor", emptyMaps)).toBe("constructor")
  })

  it("gives one target account the higher role when a map merges two archived collaborators into it", () => {
    const r = remapSpace(archived, index, dir({ users: new Map([["ada", true]]) }), {
      ...emptyMaps,
      users: new Map([["linus", "ada"]])
    })
    expect(r.collaborators.filter((c) => c.actor_type === "User")).toEqual([
      { actor_type: "User", identifier: "ada", role: "writer" }
    ])
    expect(r.unmapped.map((u) => u.detail)).toContain(
      "two archived collaborators map to user ada; it gets the higher role, writer"
    )
  })

  it("downgrades writer/admin base roles for user targets, and says so", () => {
    const r = remapSpace(archived, index, dir({ owner: user("mona"), users: new Map([["ada", true]]) }), emptyMaps)
    expect(r.base_role).toBe("reader")
    expect(r.unmapped.some((u) => u.kind === "base_role")).toBe(true)
    expect(r.collaborators.some((c) => c.actor_type === "Team")).toBe(false)
  })

  it("reports values GitHub added after this version instead of sending them, and gives the least access", () => {
    const newer = {
      ...archived,
      base_role: "org_members",
      resources_attributes: [
        ...(archived.resources_attributes ?? []),
        { id: 14, resource_type: "github_discussion", metadata: { repository_id: 100, number: 3 } }
      ],
      collaborators: [
        ...archived.collaborators,
        { actor_type: "User", role: "maintainer", login: "ada2", id: 15 },
        { actor_type: "EnterpriseTeam", role: "reader", slug: "all", id: 16 }
      ]
    } as unknown as ArchivedSpace
    const r = remapSpace(
      newer,
      index,
      dir({
        users: new Map([
          ["ada", true],
          ["ada2", true]
        ])
      }),
      emptyMaps
    )
    expect(r.base_role).toBe("no_access")
    expect(r.resources.map((x) => x.resource_type)).toEqual(["repository", "free_text"])
    expect(r.collaborators.map((c) => c.identifier)).toEqual(["ada", "platform"])
    const news = r.unmapped.filter((u) => /does not know/.test(u.detail))
    expect(news.map((u) => u.kind).sort()).toEqual(["base_role", "collaborator", "resource_type", "user"])
    expect(news.map((u) => u.detail).join("\n")).toMatch(/github_discussion[^\n]*stays in the archive/)
    expect(planSpace({ owner: "src", number: 7, name: "Runbooks" }, r, undefined, "skip", true)._tag).toBe("Refused")
  })
})

describe("planSpace", () => {
  const remapped = remapSpace(archived, index, dir(), emptyMaps)
  const source = { owner: "src", number: 7, name: "Runbooks" }
  const existingSpace = {
    ...archived,
    name: "Runbooks",
    base_role: "reader",
    resources_attributes: [
      { id: 50, resource_type: "repository", metadata: { repository_id: 900 } },
      { id: 51, resource_type: "free_text", metadata: { name: "old", text: "t" } },
      { id: 52, resource_type: "uploaded_text_file", metadata: { name: "keep.txt" } }
    ]
  } as unknown as Space
  const existing = {
    number: 3,
    space: existingSpace,
    collaborators: [
      { actor_type: "User" as const, role: "reader" as const, login: "ada", id: 5 },
      { actor_type: "User" as const, role: "admin" as const, login: "stranger", id: 9 }
    ],
    unfinished: false
  }

  it("creates when nothing exists and skips by default when it does", () => {
    expect(planSpace(source, remapped, undefined, "skip", false)._tag).toBe("Create")
    expect(planSpace(source, remapped, existing, "skip", false)).toMatchObject({ _tag: "Skip", target: 3 })
    expect(planSpace(source, remapped, existing, "fail", false)._tag).toBe("Conflict")
  })

  it("updates to equal the archive with nested resources_attributes, never destroying uploads", () => {
    const plan = planSpace(source, remapped, existing, "update", false)
    if (plan._tag !== "Update") throw new Error(plan._tag)
    expect(plan.fields).toEqual({ base_role: "writer" })
    expect(plan.resources).toEqual([
      { id: 51, _destroy: true },
      { resource_type: "free_text", metadata: { name: "n", text: "t" } }
    ])
    expect(plan.collaborators).toEqual({
      add: [{ actor_type: "Team", identifier: "platform", role: "admin" }],
      update: [{ actor_type: "User", identifier: "ada", role: "writer" }],
      remove: [{ actor_type: "User", identifier: "stranger" }]
    })
  })

  it("completes a space an earlier run left unfinished, whatever the policy", () => {
    expect(planSpace(source, remapped, { ...existing, unfinished: true }, "skip", false)._tag).toBe("Update")
  })

  it("refuses a space with unmapped items under --strict", () => {
    expect(planSpace(source, remapped, undefined, "skip", true)._tag).toBe("Refused")
  })

  it("clears a field the archive has empty, and then finds nothing to change", () => {
    const empty = { ...remapped, description: null }
    const plan = planSpace(source, empty, existing, "update", false)
    if (plan._tag !== "Update") throw new Error(plan._tag)
    expect(plan.fields).toMatchObject({ description: "" })
    const cleared = { ...existing, space: { ...existingSpace, description: "", base_role: "writer" } as Space }
    const again = planSpace(source, empty, cleared, "update", false)
    if (again._tag !== "Update") throw new Error(again._tag)
    expect(again.fields).toEqual({})
  })

  it("never removes a target collaborator of a kind this version could not add back", () => {
    const other = { actor_type: "EnterpriseTeam", role: "reader", slug: "all", id: 16 }
    const changes = collaboratorChanges(
      [other, { actor_type: "User", role: "reader", login: "gone", id: 1 }] as never,
      []
    )
    expect(changes.remove).toEqual([{ actor_type: "User", identifier: "gone" }])
  })

  it("never destroys a target resource of a type this version cannot recreate", () => {
    const existingNewer = [
      { id: 60, resource_type: "github_discussion", metadata: { repository_id: 900, number: 3 } },
      { id: 61, resource_type: "free_text", metadata: { name: "old", text: "t" } }
    ]
    expect(resourceChanges(existingNewer as never, [])).toEqual([{ id: 61, _destroy: true }])
  })

  it("keeps duplicates apart when matching resources", () => {
    const same = { resource_type: "free_text" as const, metadata: { name: "n", text: "t" } }
    const changes = resourceChanges([{ id: 1, ...same }] as never, [same, same])
    expect(changes).toEqual([{ resource_type: "free_text", metadata: { name: "n", text: "t" } }])
  })
})
