// The archive search on plain data: which archive holds a space, its versions, and what was deleted since a time.
import { assert, describe, it } from "@effect/vitest"
import type { ManifestOwner } from "../../src/archive/ArchiveFormat.ts"
import { type ArchiveSnapshot, deletedSince, newestHolding, spaceVersions } from "../../src/history/ArchiveSearch.ts"

const owner = (login: string, failures: ManifestOwner["failures"] = []): ManifestOwner => ({
  login,
  kind: "org",
  status: failures.length > 0 ? "partial" : "complete",
  spaces: 0,
  failures,
  vanished: []
})
const day = (n: number) => Date.UTC(2026, 0, n, 2)
/** An archive of day `n` holding `spaces` ("octo-org/12" -> sha). */
const snap = (n: number, spaces: Record<string, string>, owners = [owner("octo-org")]): ArchiveSnapshot => ({
  name: `night-${n}`,
  createdAt: day(n),
  owners,
  spaces: new Map(Object.entries(spaces))
})
const listFailed = [{ scope: "list", message: "502" }]
const s12 = { owner: "Octo-Org", number: 12 }

describe("ArchiveSearch", () => {
  it("finds the newest archive holding a space, before --as-of when given", () => {
    const archives = [snap(1, { "octo-org/12": "a" }), snap(2, { "octo-org/12": "b" }), snap(3, {})]
    assert.strictEqual(newestHolding(archives, s12)?.name, "night-2")
    assert.strictEqual(newestHolding(archives, s12, day(1) + 1000)?.name, "night-1")
    assert.strictEqual(newestHolding(archives, { owner: "octo-org", number: 99 }), undefined)
  })

  it("lists first appearance, changes and disappearance; a failed night is neither", () => {
    const archives = [
      snap(1, { "octo-org/12": "a" }),
      snap(2, { "octo-org/12": "a" }),
      snap(3, { "octo-org/12": "b" }),
      snap(4, {}, [owner("octo-org", listFailed)]),
      snap(5, {}, [owner("mona")]),
      snap(6, {})
    ]
    const events = spaceVersions(archives, s12).map((e) => `${e._tag} ${e.archive.name}`)
    assert.deepStrictEqual(events, ["Appeared night-1", "Changed night-3", "Disappeared night-6"])
  })

  it("lists spaces deleted since a time, each with the newest archive holding it; unverified is not deleted", () => {
    const archives = [
      snap(1, { "octo-org/1": "a", "octo-org/2": "a", "octo-org/3": "a", "octo-org/4": "a" }),
      snap(2, { "octo-org/1": "a", "octo-org/2": "b", "octo-org/4": "a" }), // 3 deleted on day 2
      snap(3, { "octo-org/1": "a" }, [owner("octo-org", [{ scope: "space 4", message: "500" }])]), // 2 deleted, 4 unverified
      snap(4, {}, [owner("octo-org", listFailed)]) // nothing vouched for
    ]
    const found = deletedSince(archives, day(2)).map(
      (d) => `${d.owner}/${d.number} gone ${d.goneIn.name} from ${d.lastSeen.name}`
    )
    assert.deepStrictEqual(found, ["octo-org/3 gone night-2 from night-1", "octo-org/2 gone night-3 from night-2"])
    assert.deepStrictEqual(
      deletedSince(archives, day(3)).map((d) => d.number),
      [2]
    )
  })

  it("does not list a space that came back", () => {
    const archives = [snap(1, { "octo-org/1": "a" }), snap(2, {}), snap(3, { "octo-org/1": "a" })]
    assert.deepStrictEqual(deletedSince(archives, day(1)), [])
  })
})
