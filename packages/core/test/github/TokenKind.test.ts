// Token kinds from their documented prefixes: export warns about fine-grained tokens and refuses user spaces for
// every kind but classic PATs and OAuth tokens, so a wrong reading would mislead the person.
import { assert, describe, it } from "@effect/vitest"
import { tokenKindOf } from "../../src/github/TokenKind.ts"

describe("tokenKindOf", () => {
  it("reads each documented prefix, and anything else as unknown", () => {
    const cases: ReadonlyArray<readonly [string, ReturnType<typeof tokenKindOf>]> = [
      ["ghp_abc", "classic"],
      ["gho_abc", "oauth"],
      ["github_pat_11ABC_xyz", "fine-grained"],
      ["ghu_abc", "app-user"],
      ["ghs_abc", "app-installation"],
      ["abc123", "unknown"],
      ["", "unknown"]
    ]
    for (const [token, kind] of cases) assert.strictEqual(tokenKindOf(token), kind, token)
  })
})
