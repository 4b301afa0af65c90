// Remap on plain data: no GitHub, no files.
import { assert, describe, it } from "@effect/vitest"
import type { ArchivedSpace } from "../../src/archive/ArchiveFormat.ts"
import { user } from "../../src/domain/Owner.ts"
import { emptyMaps } from "../../src/replay/MapFiles.ts"
import { mapSlug, remapSpace } from "../../src/replay/Remap.ts"
import { planSpace } from "../../src/replay/ReplayPlan.ts"
import { archived, dir, index } from "./fixtures.ts"

const kinds = (r: ReturnType<typeof remapSpace>) => r.unmapped.map((u) => u.kind).sort()

describe("remapSpace", () => {
  it("maps repositories by name and reports each item it cannot carry over", () => {
    const r = remapSpace(archived, index, dir(), emptyMaps)
    assert.deepStrictEqual(r.resources, [
      { resource_type: "repository", metadata: { repository_id: 900 } },
      { resource_type: "free_text", metadata: { name: "n", text: "t" } }
    ])
    assert.deepStrictEqual(r.collaborators, [
      { actor_type: "User", identifier: "ada", role: "writer" },
      { actor_type: "Team", identifier: "platform", role: "admin" }
    ])
    assert.deepStrictEqual(kinds(r), ["repository", "team", "upload", "user"])
    assert.match(
      r.unmapped.find((u) => u.kind === "repository")!.detail,
      /src\/docs, but dst\/docs does not exist in dst/
    )
    // The default name mapping is a rename worth showing in the plan: src/api became dst/api.
    assert.deepStrictEqual(r.mappings, [{ kind: "repository", from: "src/api", to: "dst/api", by: "name" }])
    assert.deepStrictEqual(r.notes, [])
  })

  it("lets an explicit map entry win over the default name mapping, and returns every rename it applied", () => {
    const r = remapSpace(archived, index, dir(), {
      ...emptyMaps,
      repos: new Map([["src/docs", "dst/docs-v2"]]),
      teams: new Map([["platform", "Platform"]]),
      users: new Map([["linus", "ada"]])
    })
    assert.deepStrictEqual(r.resources[1], {
      resource_type: "github_file",
      metadata: { repository_id: 901, file_path: "a.md" }
    })
    // linus -> ada merges two collaborators into one: a note, not an item lost.
    assert.deepStrictEqual(kinds(r), ["team", "upload"])
    assert.deepStrictEqual(r.notes, ["two archived collaborators map to user ada; it gets the higher role, writer"])
    // A change of case only is not a rename.
    assert.deepStrictEqual(r.mappings, [
      { kind: "repository", from: "src/api", to: "dst/api", by: "name" },
      { kind: "repository", from: "src/docs", to: "dst/docs-v2", by: "map" },
      { kind: "user", from: "linus", to: "ada", by: "map" }
    ])
  })

  it("restoring into the space's own owner keeps the archived ids that still resolve, else finds the archived name", () => {
    // src/api was renamed (same id 100); src/docs was deleted and made anew (new id 555); a map entry named
    // "constructor" must not find Object's prototype.
    const restore = dir({
      owner: { kind: "org", login: "src" },
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
    assert.deepStrictEqual(
      r.resources.filter((x) => x.resource_type !== "free_text"),
      [
        { resource_type: "repository", metadata: { repository_id: 100 } },
        { resource_type: "github_file", metadata: { repository_id: 555, file_path: "a.md" } }
      ]
    )
    assert.deepStrictEqual(kinds(r), ["team", "upload"])
    assert.deepStrictEqual(r.mappings, [{ kind: "repository", from: "src/api", to: "src/api-v2", by: "id" }])
    assert.strictEqual(mapSlug("constructor", emptyMaps), "constructor")
  })

  it("gives one target account the higher role when a map merges two archived collaborators into it", () => {
    const r = remapSpace(archived, index, dir({ users: new Map([["ada", true]]) }), {
      ...emptyMaps,
      users: new Map([["linus", "ada"]])
    })
    assert.deepStrictEqual(
      r.collaborators.filter((c) => c.actor_type === "User"),
      [{ actor_type: "User", identifier: "ada", role: "writer" }]
    )
    assert.include(r.notes, "two archived collaborators map to user ada; it gets the higher role, writer")
    assert.isFalse(r.unmapped.some((u) => u.detail.includes("two archived collaborators")))
  })

  it("downgrades writer/admin base roles for user targets, and says so", () => {
    const r = remapSpace(archived, index, dir({ owner: user("mona"), users: new Map([["ada", true]]) }), emptyMaps)
    assert.strictEqual(r.base_role, "reader")
    assert.isTrue(r.unmapped.some((u) => u.kind === "base_role"))
    assert.isFalse(r.collaborators.some((c) => c.actor_type === "Team"))
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
    assert.strictEqual(r.base_role, "no_access")
    assert.deepStrictEqual(
      r.resources.map((x) => x.resource_type),
      ["repository", "free_text"]
    )
    assert.deepStrictEqual(
      r.collaborators.map((c) => c.identifier),
      ["ada", "platform"]
    )
    const news = r.unmapped.filter((u) => /does not know/.test(u.detail))
    assert.deepStrictEqual(news.map((u) => u.kind).sort(), ["base_role", "collaborator", "resource_type", "user"])
    assert.match(news.map((u) => u.detail).join("\n"), /github_discussion[^\n]*stays in the archive/)
    assert.strictEqual(
      planSpace({ owner: "src", number: 7, name: "Runbooks" }, r, undefined, "skip", true)._tag,
      "Refused"
    )
  })
})
