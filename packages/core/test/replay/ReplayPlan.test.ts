// ReplayPlan on plain data: matching what exists, planning, what a dry run reports, and the write estimate.
import { assert, describe, it } from "@effect/vitest"
import { org } from "../../src/domain/Owner.ts"
import type { Space } from "../../src/domain/Space.ts"
import { emptyMaps } from "../../src/replay/MapFiles.ts"
import { remapSpace } from "../../src/replay/Remap.ts"
import {
  collaboratorChanges,
  estimateSeconds,
  type ExistingSpaces,
  type ExistingTarget,
  matchExisting,
  needsDetail,
  planSpace,
  plannedOutcome,
  resourceChanges,
  writesOf
} from "../../src/replay/ReplayPlan.ts"
import { archived, dir, index } from "./fixtures.ts"

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
const existing: ExistingTarget = {
  number: 3,
  match: "name",
  unfinished: false,
  detail: {
    space: existingSpace,
    collaborators: [
      { actor_type: "User" as const, role: "reader" as const, login: "ada", id: 5 },
      { actor_type: "User" as const, role: "admin" as const, login: "stranger", id: 9 }
    ]
  }
}

describe("matchExisting", () => {
  const target: ExistingSpaces = {
    numbers: new Set([3, 7, 12]),
    byName: new Map([
      ["Runbooks", 3],
      ["Renamed in the target", 12]
    ])
  }
  const space = { number: 7, name: "Runbooks" }

  it("finds the journal's space first, then (in a restore) the space itself, then one of the same name", () => {
    assert.deepStrictEqual(matchExisting(space, { state: "done", name: "Runbooks", target: 12 }, true, target), {
      number: 12,
      match: "journal",
      unfinished: false
    })
    assert.deepStrictEqual(matchExisting(space, undefined, true, target), {
      number: 7,
      match: "itself",
      unfinished: false
    })
    assert.deepStrictEqual(matchExisting(space, undefined, false, target), {
      number: 3,
      match: "name",
      unfinished: false
    })
    assert.isUndefined(matchExisting({ number: 8, name: "Other" }, undefined, true, target))
  })

  it("passes over a journaled space that was deleted since, and marks an unfinished one", () => {
    const gone = { state: "created" as const, name: "Runbooks", target: 99 }
    assert.deepStrictEqual(matchExisting(space, gone, false, target), { number: 3, match: "name", unfinished: true })
    // A creation cut short before GitHub answered has no number: the name finds it.
    const cut = { state: "creating" as const, name: "Runbooks" }
    assert.deepStrictEqual(matchExisting(space, cut, false, target), { number: 3, match: "name", unfinished: true })
  })

  it("asks for what the space holds only to update it or to finish it", () => {
    const found = { number: 3, match: "name" as const, unfinished: false }
    assert.isFalse(needsDetail(undefined, "update"))
    assert.isFalse(needsDetail(found, "skip"))
    assert.isFalse(needsDetail(found, "fail"))
    assert.isTrue(needsDetail(found, "update"))
    assert.isTrue(needsDetail({ ...found, unfinished: true }, "skip"))
  })
})

describe("planSpace", () => {
  it("creates when nothing exists and skips by default when it does, saying how it was found", () => {
    assert.strictEqual(planSpace(source, remapped, undefined, "skip", false)._tag, "Create")
    const skip = planSpace(source, remapped, existing, "skip", false)
    assert.deepStrictEqual(skip._tag === "Skip" && [skip.target, skip.reason], [
      3,
      "a space with this name already exists in the target"
    ])
    const itself = planSpace(source, remapped, { ...existing, match: "itself" }, "skip", false)
    assert.strictEqual(itself._tag === "Skip" && itself.reason, "the space still exists")
    assert.strictEqual(planSpace(source, remapped, existing, "fail", false)._tag, "Conflict")
  })

  it("updates to equal the archive with nested resources_attributes, never destroying uploads", () => {
    const plan = planSpace(source, remapped, existing, "update", false)
    if (plan._tag !== "Update") return assert.fail(plan._tag)
    assert.deepStrictEqual(plan.fields, { base_role: "writer" })
    assert.deepStrictEqual(plan.resources, [
      { id: 51, _destroy: true },
      { resource_type: "free_text", metadata: { name: "n", text: "t" } }
    ])
    assert.deepStrictEqual(plan.collaborators, {
      add: [{ actor_type: "Team", identifier: "platform", role: "admin" }],
      update: [{ actor_type: "User", identifier: "ada", role: "writer" }],
      remove: [{ actor_type: "User", identifier: "stranger" }]
    })
  })

  it("completes a space an earlier run left unfinished, whatever the policy", () => {
    assert.strictEqual(planSpace(source, remapped, { ...existing, unfinished: true }, "skip", false)._tag, "Update")
  })

  it("refuses a space with unmapped items in strict mode, saying how many, without naming an option", () => {
    const refused = planSpace(source, remapped, undefined, "skip", true)
    assert.strictEqual(refused._tag === "Refused" && refused.unmapped, 4)
    assert.deepStrictEqual(plannedOutcome(org("dst"), refused), {
      _tag: "Failed",
      kind: "strict",
      error: "4 item(s) cannot be carried over"
    })
    // A space that exists and is only skipped is not written, so nothing is lost: not refused.
    assert.strictEqual(planSpace(source, remapped, existing, "skip", true)._tag, "Skip")
  })

  it("clears a field the archive has empty, and then finds nothing to change", () => {
    const empty = { ...remapped, description: null }
    const plan = planSpace(source, empty, existing, "update", false)
    if (plan._tag !== "Update") return assert.fail(plan._tag)
    assert.strictEqual(plan.fields.description, "")
    const cleared: ExistingTarget = {
      ...existing,
      detail: { ...existing.detail!, space: { ...existingSpace, description: "", base_role: "writer" } as Space }
    }
    const again = planSpace(source, empty, cleared, "update", false)
    if (again._tag !== "Update") return assert.fail(again._tag)
    assert.deepStrictEqual(again.fields, {})
  })

  it("never removes a target collaborator of a kind this version could not add back", () => {
    const other = { actor_type: "EnterpriseTeam", role: "reader", slug: "all", id: 16 }
    const changes = collaboratorChanges(
      [other, { actor_type: "User", role: "reader", login: "gone", id: 1 }] as never,
      []
    )
    assert.deepStrictEqual(changes.remove, [{ actor_type: "User", identifier: "gone" }])
  })

  it("never destroys a target resource of a type this version cannot recreate", () => {
    const existingNewer = [
      { id: 60, resource_type: "github_discussion", metadata: { repository_id: 900, number: 3 } },
      { id: 61, resource_type: "free_text", metadata: { name: "old", text: "t" } }
    ]
    assert.deepStrictEqual(resourceChanges(existingNewer as never, []), [{ id: 61, _destroy: true }])
  })

  it("keeps duplicates apart when matching resources", () => {
    const same = { resource_type: "free_text" as const, metadata: { name: "n", text: "t" } }
    const changes = resourceChanges([{ id: 1, ...same }] as never, [same, same])
    assert.deepStrictEqual(changes, [{ resource_type: "free_text", metadata: { name: "n", text: "t" } }])
  })
})

describe("plannedOutcome", () => {
  const target = org("dst")
  it("is what a dry run reports: a creation without a number yet, a conflict as a failure naming the space", () => {
    assert.deepStrictEqual(plannedOutcome(target, planSpace(source, remapped, undefined, "skip", false)), {
      _tag: "Created",
      number: 0
    })
    assert.deepStrictEqual(plannedOutcome(target, planSpace(source, remapped, existing, "skip", false)), {
      _tag: "Skipped",
      number: 3,
      reason: "a space with this name already exists in the target"
    })
    assert.deepStrictEqual(plannedOutcome(target, planSpace(source, remapped, existing, "fail", false)), {
      _tag: "Failed",
      kind: "conflict",
      number: 3,
      error: "space dst/3 already exists"
    })
    assert.deepStrictEqual(plannedOutcome(target, planSpace(source, remapped, existing, "update", false)), {
      _tag: "Updated",
      number: 3,
      changed: true
    })
  })
})

describe("the write estimate", () => {
  it("counts a creation and its collaborators as content-creating POSTs, and an update's changes", () => {
    assert.deepStrictEqual(writesOf(planSpace(source, remapped, undefined, "skip", false)), { total: 3, creating: 3 })
    // one PUT (fields and resources), one role change, one removal, one addition
    assert.deepStrictEqual(writesOf(planSpace(source, remapped, existing, "update", false)), { total: 4, creating: 1 })
    assert.deepStrictEqual(writesOf(planSpace(source, remapped, existing, "skip", false)), { total: 0, creating: 0 })
  })

  it("paces writes at the write rate and within GitHub's content-creation limits", () => {
    assert.strictEqual(estimateSeconds({ total: 0, creating: 0 }, 60), 0)
    assert.strictEqual(estimateSeconds({ total: 61, creating: 0 }, 60), 60)
    assert.strictEqual(estimateSeconds({ total: 61, creating: 61 }, 600), 6)
    // 161 POSTs at 6000 a minute still wait for two more minutes of the 80-a-minute limit...
    assert.strictEqual(estimateSeconds({ total: 161, creating: 161 }, 6000), 120)
    // ...and 1,001 for two more hours of the 500-an-hour limit.
    assert.strictEqual(estimateSeconds({ total: 1001, creating: 1001 }, 6000), 7200)
  })
})
