import { describe, expect, it } from "@effect/vitest"
import { nextLink } from "../../src/github/Link.ts"

describe("nextLink", () => {
  it("finds rel=next among other relations and returns its URL verbatim", () => {
    const next = "https://api.github.com/orgs/o/copilot-spaces?per_page=100&after=Y3Vyc29yOnYyOpK5"
    const header = `<https://api.github.com/orgs/o/copilot-spaces?per_page=100&before=abc>; rel="prev", <${next}>; rel="next"`
    expect(nextLink(header)).toBe(next)
  })

  it("answers undefined on the last page or without a header", () => {
    expect(nextLink(undefined)).toBeUndefined()
    expect(nextLink(`<https://api.github.com/x?before=a>; rel="prev"`)).toBeUndefined()
    expect(nextLink("")).toBeUndefined()
  })

  it("accepts a space-separated relation list", () => {
    expect(nextLink(`<https://h/x?after=1>; rel="last next"`)).toBe("https://h/x?after=1")
  })
})
