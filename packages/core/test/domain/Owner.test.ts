// Owners as the command line and the worker's config give them: checked and de-duplicated before any request.
import { Result } from "effect"
import { describe, expect, it } from "vitest"
import { isLogin, org, ownerList, user } from "../../src/domain/Owner.ts"

describe("ownerList", () => {
  it("keeps each owner once, in the order given, whatever the case of a repeat", () => {
    expect(ownerList(["octo-org", "OCTO-ORG", "other"], ["mona", "Mona"])).toEqual(
      Result.succeed([org("octo-org"), org("other"), user("mona")])
    )
  })

  it("refuses a login given as both organization and user, and what is not a login", () => {
    expect(Result.isFailure(ownerList(["mona"], ["Mona"]))).toBe(true)
    for (const bad of ["octo org", "octo-org/", "../x", "mona%2F", "-mona", ""]) {
      const r = ownerList([bad], [])
      expect(Result.isFailure(r) && r.failure).toMatch(/is not a GitHub login/)
    }
  })

  it("accepts Enterprise Managed Users' logins", () => {
    expect(isLogin("mona_acme")).toBe(true)
  })
})
