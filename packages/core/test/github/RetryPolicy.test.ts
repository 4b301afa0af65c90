// How answers are classified into GitHubError reasons, in GitHub's documented order.
import { describe, expect, it } from "@effect/vitest"
import { Duration } from "effect"
import { GitHubError, isRetryable } from "../../src/github/GitHubError.ts"
import { defaultRetryOptions, errorOf, reasonOf } from "../../src/github/RetryPolicy.ts"
import type { RawResponse } from "../../src/github/Transport.ts"

const answer = (
  status: number,
  headers: Record<string, string> = {},
  data: unknown = { message: "no" }
): RawResponse => ({
  status,
  headers,
  data
})
const reason = (res: RawResponse) => reasonOf(res, defaultRetryOptions)

describe("reasonOf", () => {
  it("maps plain statuses", () => {
    expect(reason(answer(401))._tag).toBe("Unauthorized")
    expect(reason(answer(404))._tag).toBe("NotFound")
    expect(
      reason(answer(403, { "x-ratelimit-remaining": "12" }, { message: "Resource not accessible by integration" }))._tag
    ).toBe("Forbidden")
    expect(reason(answer(400))._tag).toBe("UnexpectedStatus")
    expect(reason(answer(409))._tag).toBe("UnexpectedStatus")
    expect(reason(answer(500))).toEqual({ _tag: "Transient", detail: "GitHub answered 500" })
    expect(reason(answer(503))._tag).toBe("Transient")
  })

  it("keeps GitHub's validation errors", () => {
    const errors = [{ resource: "CopilotSpace", field: "name", code: "missing_field" }]
    expect(reason(answer(422, {}, { message: "Validation Failed", errors }))).toEqual({ _tag: "Validation", errors })
    expect(reason(answer(422, {}, "not json"))).toEqual({ _tag: "Validation", errors: [] })
  })

  it("treats remaining = 0 on 403 or 429 as the primary limit, with its reset", () => {
    const headers = { "x-ratelimit-remaining": "0", "x-ratelimit-reset": "1700000000" }
    expect(reason(answer(403, headers))).toEqual({ _tag: "RateLimited", resetAt: 1700000000 })
    expect(reason(answer(429, headers))).toEqual({ _tag: "RateLimited", resetAt: 1700000000 })
  })

  it("lets retry-after win over remaining = 0, as GitHub's guidance orders them", () => {
    const res = answer(403, { "retry-after": "7", "x-ratelimit-remaining": "0", "x-ratelimit-reset": "1700000000" })
    expect(reason(res)).toEqual({ _tag: "SecondaryRateLimited", retryAfterSeconds: 7 })
  })

  it("applies the floor to a secondary limit that came without retry-after", () => {
    const message = {
      message: "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
    }
    expect(reason(answer(403, {}, message))).toEqual({ _tag: "SecondaryRateLimited", retryAfterSeconds: 60 })
    expect(reason(answer(429, {}, { message: "slow down" }))).toEqual({
      _tag: "SecondaryRateLimited",
      retryAfterSeconds: 60
    })
    const short = reasonOf(answer(429), { ...defaultRetryOptions, secondaryFloor: Duration.seconds(2) })
    expect(short).toEqual({ _tag: "SecondaryRateLimited", retryAfterSeconds: 2 })
  })

  it("ignores a retry-after that is not a number of seconds", () => {
    expect(reason(answer(403, { "retry-after": "soon" }))._tag).toBe("Forbidden")
  })
})

describe("errorOf", () => {
  it("carries what a user needs, and only retries what is worth retrying", () => {
    const e = errorOf(
      "GET",
      "/orgs/o/copilot-spaces/1",
      answer(403, {}, { message: "Must have admin rights", documentation_url: "https://docs.github.com/x" }),
      defaultRetryOptions
    )
    expect(e).toBeInstanceOf(GitHubError)
    expect(e.status).toBe(403)
    expect(e.githubMessage).toBe("Must have admin rights")
    expect(e.documentationUrl).toBe("https://docs.github.com/x")
    expect(e.message).toMatch(/GET \/orgs\/o\/copilot-spaces\/1 is forbidden/)
    expect(isRetryable(e)).toBe(false)
    const retryable = [
      answer(502),
      answer(429, { "retry-after": "1" }),
      answer(403, { "x-ratelimit-remaining": "0", "x-ratelimit-reset": "1" })
    ]
    for (const res of retryable) expect(isRetryable(errorOf("GET", "/x", res, defaultRetryOptions))).toBe(true)
    for (const code of [400, 401, 404, 422])
      expect(isRetryable(errorOf("GET", "/x", answer(code), defaultRetryOptions))).toBe(false)
  })

  it("bounds a long GitHub message", () => {
    const e = errorOf("GET", "/x", answer(400, {}, { message: "m".repeat(1000) }), defaultRetryOptions)
    expect(e.githubMessage).toHaveLength(300)
  })
})

describe("primary limit without a usable reset", () => {
  it("gives resetAt 0 and a message that still renders", () => {
    const e = errorOf(
      "GET",
      "/x",
      answer(403, { "x-ratelimit-remaining": "0", "x-ratelimit-reset": "soon" }),
      defaultRetryOptions
    )
    expect(e.reason).toEqual({ _tag: "RateLimited", resetAt: 0 })
    expect(e.message).toMatch(/did not say when it resets/)
    const dated = errorOf(
      "GET",
      "/x",
      answer(429, { "x-ratelimit-remaining": "0", "x-ratelimit-reset": "1700000000" }),
      defaultRetryOptions
    )
    expect(dated.message).toMatch(/resets at 2023-11-14T22:13:20.000Z/)
  })
})
