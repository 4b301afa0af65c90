// Following Link rel="next": GitHub's URL verbatim, relative ones resolved against the API's origin, other hosts
// refused. (Paging through the client, and the collaborator page-joining, are in GitHubClient.test.ts.)
import { assert, describe, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import { nextPage } from "../../src/github/Paging.ts"

const origin = "https://api.github.com"

describe("nextPage", () => {
  it.effect("follows the URL given, resolving a relative one against the API's origin", () =>
    Effect.gen(function* () {
      const absolute = yield* nextPage(`<${origin}/orgs/o/copilot-spaces?after=abc>; rel="next"`, origin, "/x")
      assert.deepStrictEqual(absolute, Option.some({ route: `GET ${origin}/orgs/o/copilot-spaces?after=abc` }))
      const relative = yield* nextPage(`</orgs/o/copilot-spaces?after=abc>; rel="next"`, origin, "/x")
      assert.deepStrictEqual(relative, absolute)
    })
  )

  it.effect("ends where there is no rel=next", () =>
    Effect.gen(function* () {
      assert.isTrue(Option.isNone(yield* nextPage(undefined, origin, "/x")))
      assert.isTrue(Option.isNone(yield* nextPage(`<${origin}/a?before=z>; rel="prev"`, origin, "/x")))
    })
  )

  it.effect("refuses a next page on another host, naming it", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(
        nextPage(`<https://evil.example/x>; rel="next"`, origin, "/orgs/o/copilot-spaces")
      )
      assert.strictEqual(error.reason._tag, "InvalidResponse")
      assert.strictEqual(error.path, "/orgs/o/copilot-spaces")
      assert.include(error.message, "https://evil.example")
    })
  )
})
