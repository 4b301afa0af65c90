// Route templates and the paths they name: what errors report and what the rate gate counts per endpoint.
import { assert, describe, it } from "@effect/vitest"
import { org, user } from "../../src/domain/Owner.ts"
import { methodOf, ownerParams, ownerRoute, pathOf, spaceParams } from "../../src/github/Routes.ts"

describe("Routes", () => {
  it("fills a template with encoded parameters, and reads the path of a Link URL without its query", () => {
    assert.strictEqual(
      pathOf("GET /orgs/{org}/copilot-spaces/{space_number}", { org: "a b", space_number: 7 }),
      "/orgs/a%20b/copilot-spaces/7"
    )
    assert.strictEqual(
      pathOf("GET https://api.github.com/orgs/o/copilot-spaces?after=x&per_page=100"),
      "/orgs/o/copilot-spaces"
    )
    assert.strictEqual(methodOf("DELETE /orgs/{org}"), "DELETE")
  })

  it("names an owner's spaces under /orgs or /users", () => {
    assert.strictEqual(ownerRoute(org("o"), "/{space_number}"), "/orgs/{org}/copilot-spaces/{space_number}")
    assert.strictEqual(ownerRoute(user("mona"), ""), "/users/{username}/copilot-spaces")
    assert.deepStrictEqual(ownerParams(user("mona")), { username: "mona" })
    assert.deepStrictEqual(spaceParams(org("o"), 3), { org: "o", space_number: 3 })
  })
})
