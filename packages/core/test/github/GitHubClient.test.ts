import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Fiber, Stream } from "effect"
import { TestClock } from "effect/testing"
import { org } from "../../src/domain/Owner.ts"
import { GitHubClient } from "../../src/github/GitHubClient.ts"
import { TransportFailure } from "../../src/github/Transport.ts"
import { ok, scripted, space, status } from "./scripted.ts"

const octo = org("octo-org")

/** Runs `program` in the background and moves the test clock until it is done. */
const runWithClock = <A, E>(program: Effect.Effect<A, E, GitHubClient>, step: Duration.Input, steps: number) =>
  Effect.gen(function* () {
    const fiber = yield* Effect.forkChild(program)
    for (let i = 0; i < steps; i++) yield* TestClock.adjust(step)
    return yield* Fiber.join(fiber)
  })

describe("GitHubClient retries", () => {
  it.effect("backs off after 5xx and connection errors, then succeeds", () => {
    const { layer, sent } = scripted((_r, n) =>
      n === 1
        ? status(502)
        : n === 2
          ? new TransportFailure({ detail: "connection failed (ECONNRESET)" })
          : ok(space(1))
    )
    return Effect.gen(function* () {
      const client = yield* GitHubClient
      const res = yield* runWithClock(client.getSpace(octo, 1), "100 millis", 100)
      expect(res._tag).toBe("Modified")
      expect(sent).toHaveLength(3)
      // exponential: ~1 s then ~2 s, each jittered by at most ±20%
      expect(sent[1]!.at - sent[0]!.at).toBeGreaterThanOrEqual(800)
      expect(sent[1]!.at - sent[0]!.at).toBeLessThanOrEqual(1200)
      expect(sent[2]!.at - sent[1]!.at).toBeGreaterThanOrEqual(1600)
      expect((yield* client.stats).retries).toBe(2)
    }).pipe(Effect.provide(layer))
  })

  it.effect("gives up after the bounded number of retries with a Transient error", () => {
    const { layer, sent } = scripted(() => status(503), { maxRetries: 3 })
    return Effect.gen(function* () {
      const client = yield* GitHubClient
      const error = yield* runWithClock(Effect.flip(client.getSpace(octo, 1)), "1 second", 60)
      expect(error.reason._tag).toBe("Transient")
      expect(error.status).toBe(503)
      expect(sent).toHaveLength(4)
    }).pipe(Effect.provide(layer))
  })

  it.effect("says what GitHub refused in a 422, field by field", () => {
    const { layer } = scripted(() =>
      status(422, {
        message: "Validation Failed",
        errors: [
          {
            resource: "SpaceResource",
            field: "resources_attributes[0].metadata.repository_id",
            code: "invalid",
            message: "repository must belong to the organization"
          },
          { resource: "Space", field: "name", code: "missing_field" }
        ]
      })
    )
    return Effect.gen(function* () {
      const client = yield* GitHubClient
      const error = yield* Effect.flip(client.createSpace(octo, { name: "x" }))
      expect(error.message).toBe(
        "GitHub refused POST /orgs/octo-org/copilot-spaces as invalid (GitHub said: Validation Failed): resources_attributes[0].metadata.repository_id: repository must belong to the organization; name: missing_field"
      )
    }).pipe(Effect.provide(layer))
  })

  it.effect("never retries 401, 404 and 422", () => {
    const codes = [401, 404, 422]
    const { layer, sent } = scripted((_r, n) => status(codes[n - 1]!, { message: "no", errors: [{ code: "invalid" }] }))
    return Effect.gen(function* () {
      const client = yield* GitHubClient
      const reasons = []
      for (let i = 0; i < 3; i++) reasons.push((yield* Effect.flip(client.getSpace(octo, 1))).reason._tag)
      expect(reasons).toEqual(["Unauthorized", "NotFound", "Validation"])
      expect(sent).toHaveLength(3)
    }).pipe(Effect.provide(layer))
  })

  it.effect("a secondary limit with retry-after pauses every fiber for exactly that long", () => {
    const { layer, sent } = scripted(
      (_r, n) =>
        n === 1
          ? status(403, { message: "You have exceeded a secondary rate limit" }, { "retry-after": "30" })
          : ok(space(1)),
      {},
      Duration.millis(10)
    )
    return Effect.gen(function* () {
      const client = yield* GitHubClient
      const first = yield* Effect.forkChild(client.getSpace(octo, 1))
      yield* TestClock.adjust("20 millis") // the first answer (the 403) has arrived
      const others = yield* Effect.forkChild(
        Effect.all([client.getSpace(octo, 2), client.getSpace(octo, 3)], { concurrency: 2 })
      )
      yield* TestClock.adjust("29 seconds")
      expect(sent).toHaveLength(1) // nothing went out inside the window
      yield* TestClock.adjust("2 seconds")
      yield* Fiber.join(first)
      yield* Fiber.join(others)
      expect(sent).toHaveLength(4)
      for (const s of sent.slice(1)) expect(s.at).toBeGreaterThanOrEqual(30_010)
      expect((yield* client.stats).rateLimitWaits).toBe(1)
    }).pipe(Effect.provide(layer))
  })

  it.effect("a secondary limit without retry-after waits at least 60 seconds", () => {
    const { layer, sent } = scripted((_r, n) =>
      n === 1 ? status(403, { message: "You have exceeded a secondary rate limit." }) : ok(space(1))
    )
    return Effect.gen(function* () {
      const client = yield* GitHubClient
      yield* runWithClock(client.getSpace(octo, 1), "1 second", 61)
      expect(sent).toHaveLength(2)
      expect(sent[1]!.at - sent[0]!.at).toBeGreaterThanOrEqual(60_000)
    }).pipe(Effect.provide(layer))
  })

  it.effect("secondary limits that keep coming back wait longer each time, even when retry-after says 0", () => {
    const limited = status(429, { message: "You have exceeded a secondary rate limit" }, { "retry-after": "0" })
    const { layer, sent } = scripted((_r, n) => (n <= 3 ? limited : ok(space(1))))
    return Effect.gen(function* () {
      const client = yield* GitHubClient
      yield* runWithClock(client.getSpace(octo, 1), "100 millis", 100)
      const gaps = sent.slice(1).map((s, i) => s.at - sent[i]!.at)
      expect(gaps[0]).toBe(0) // the first retry-after is obeyed as given
      expect(gaps[1]).toBeGreaterThanOrEqual(1000)
      expect(gaps[2]).toBeGreaterThanOrEqual(2000)
    }).pipe(Effect.provide(layer))
  })

  it.effect("reads x-ratelimit-reset on GitHub's clock (its date header), not on a local clock that runs ahead", () => {
    // Locally it is 1,000,000 ms; GitHub's clock says 940 s, and its budget resets at 1,000 s: 60 s from now.
    const { layer, sent } = scripted((_r, n) =>
      n === 1
        ? status(
            403,
            { message: "API rate limit exceeded" },
            { "x-ratelimit-remaining": "0", "x-ratelimit-reset": "1000", date: new Date(940_000).toUTCString() }
          )
        : ok(space(1))
    )
    return Effect.gen(function* () {
      yield* TestClock.setTime(1_000_000)
      const client = yield* GitHubClient
      yield* runWithClock(client.getSpace(octo, 1), "1 second", 70)
      expect(sent).toHaveLength(2)
      expect(sent[1]!.at - sent[0]!.at).toBeGreaterThanOrEqual(60_000)
    }).pipe(Effect.provide(layer))
  })

  it.effect("an exhausted primary budget waits until x-ratelimit-reset", () => {
    const resetAt = 120 // epoch seconds on the test clock
    const { layer, sent } = scripted((_r, n) =>
      n === 1
        ? status(
            403,
            { message: "API rate limit exceeded" },
            { "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(resetAt), "x-ratelimit-limit": "5000" }
          )
        : ok(space(1))
    )
    return Effect.gen(function* () {
      const client = yield* GitHubClient
      yield* runWithClock(client.getSpace(octo, 1), "10 seconds", 14)
      expect(sent).toHaveLength(2)
      expect(sent[1]!.at).toBeGreaterThanOrEqual(resetAt * 1000)
    }).pipe(Effect.provide(layer))
  })

  it.effect("a success that spends the last point holds the next request until the reset", () => {
    const { layer, sent } = scripted(() => ok(space(1), { "x-ratelimit-remaining": "0", "x-ratelimit-reset": "50" }))
    return Effect.gen(function* () {
      const client = yield* GitHubClient
      yield* client.getSpace(octo, 1)
      const second = yield* Effect.forkChild(client.getSpace(octo, 2))
      yield* TestClock.adjust("49 seconds")
      expect(sent).toHaveLength(1)
      yield* TestClock.adjust("2 seconds")
      yield* Fiber.join(second)
      expect(sent[1]!.at).toBeGreaterThanOrEqual(50_000)
    }).pipe(Effect.provide(layer))
  })
})

describe("GitHubClient pacing and concurrency", () => {
  it.effect("spaces writes at least 60000 / writesPerMinute ms apart", () => {
    const { layer, sent } = scripted(() => ({ ...ok(space(1)), status: 201 }), { writesPerMinute: 30 })
    return Effect.gen(function* () {
      const client = yield* GitHubClient
      yield* runWithClock(
        Effect.all(
          [1, 2, 3].map((i) => client.createSpace(octo, { name: `s${i}` })),
          { concurrency: 3 }
        ),
        "500 millis",
        10
      )
      const times = sent.map((s) => s.at)
      expect(times).toEqual([0, 2000, 4000])
    }).pipe(Effect.provide(layer))
  })

  it.effect("stays under the points-per-minute budget of each endpoint instead of tripping it", () => {
    const { layer, sent } = scripted((r) => ok(r.route.includes("collaborators") ? { collaborators: [] } : space(1)), {
      pointsPerMinute: 3
    })
    return Effect.gen(function* () {
      const client = yield* GitHubClient
      yield* runWithClock(
        Effect.all([...[1, 2, 3, 4, 5].map((n) => client.getSpace(octo, n)), client.listCollaborators(octo, 1)], {
          concurrency: 6
        }),
        "10 seconds",
        14
      )
      const spaceGets = sent.filter((s) => !s.request.route.includes("collaborators")).map((s) => s.at)
      expect(spaceGets.slice(0, 3)).toEqual([0, 0, 0])
      expect(spaceGets[3]).toBeGreaterThanOrEqual(60_000)
      expect(spaceGets[4]).toBeGreaterThanOrEqual(60_000)
      // another endpoint has its own budget
      expect(sent.find((s) => s.request.route.includes("collaborators"))!.at).toBe(0)
    }).pipe(Effect.provide(layer))
  })

  it.effect("keeps content creation under the per-minute limit", () => {
    const { layer, sent } = scripted(() => ({ ...ok(space(1)), status: 201 }), {
      writesPerMinute: 6000,
      contentPerMinute: 2
    })
    return Effect.gen(function* () {
      const client = yield* GitHubClient
      yield* runWithClock(
        Effect.all(
          [1, 2, 3].map((i) => client.createSpace(octo, { name: `s${i}` })),
          { concurrency: 3 }
        ),
        "5 seconds",
        14
      )
      expect(sent[2]!.at - sent[0]!.at).toBeGreaterThanOrEqual(60_000)
    }).pipe(Effect.provide(layer))
  })

  it.effect("caps concurrent requests", () => {
    const { layer, sent, peak } = scripted(() => ok(space(1)), { concurrency: 3 }, Duration.millis(100))
    return Effect.gen(function* () {
      const client = yield* GitHubClient
      yield* runWithClock(
        Effect.all(
          Array.from({ length: 10 }, (_, i) => client.getSpace(octo, i)),
          { concurrency: 10 }
        ),
        "50 millis",
        20
      )
      expect(sent).toHaveLength(10)
      expect(peak.value).toBe(3)
    }).pipe(Effect.provide(layer))
  })
})

describe("GitHubClient reads", () => {
  it.effect("pages with Link rel=next, following the URL given", () => {
    const next = "https://api.github.com/orgs/octo-org/copilot-spaces?per_page=100&after=opaque"
    const { layer, sent } = scripted((r) =>
      r.route.includes("after=opaque")
        ? ok({ spaces: [{ number: 3, name: "c" }] }, { link: `<${next}>; rel="prev"` })
        : ok(
            {
              spaces: [
                { number: 1, name: "a" },
                { number: 2, name: "b" }
              ]
            },
            { link: `<${next}>; rel="next"` }
          )
    )
    return Effect.gen(function* () {
      const client = yield* GitHubClient
      const items = yield* Stream.runCollect(client.listSpaces(octo))
      expect(Array.from(items).map((s) => s.number)).toEqual([1, 2, 3])
      expect(sent[1]!.request.route).toBe(`GET ${next}`)
      expect(sent[0]!.request.params).toMatchObject({ org: "octo-org", per_page: 100 })
    }).pipe(Effect.provide(layer))
  })

  it.effect("refuses to follow a Link to another host", () => {
    const { layer, sent } = scripted(() => ok({ spaces: [] }, { link: `<https://evil.example/x>; rel="next"` }))
    return Effect.gen(function* () {
      const client = yield* GitHubClient
      const error = yield* Effect.flip(Stream.runCollect(client.listSpaces(octo)))
      expect(error.reason._tag).toBe("InvalidResponse")
      expect(sent).toHaveLength(1)
    }).pipe(Effect.provide(layer))
  })

  it.effect("keeps a collaborator of a kind GitHub added later, and still refuses a User without a login", () => {
    const other = { actor_type: "EnterpriseTeam", role: "reader", slug: "all-engineers", id: 9 }
    const { layer } = scripted((_r, n) =>
      n === 1
        ? ok({ collaborators: [{ actor_type: "User", role: "writer", login: "hubot", id: 5 }, other] })
        : ok({ collaborators: [{ actor_type: "User", role: "writer", id: 5 }] })
    )
    return Effect.gen(function* () {
      const client = yield* GitHubClient
      const res = yield* client.listCollaborators(octo, 1)
      if (res._tag !== "Modified") return expect.unreachable()
      expect(res.value.map((c) => c.actor_type)).toEqual(["User", "EnterpriseTeam"])
      expect((yield* Effect.flip(client.listCollaborators(octo, 2))).reason._tag).toBe("InvalidResponse")
    }).pipe(Effect.provide(layer))
  })

  it.effect("reads every page of a collaborators list GitHub pages after all, and keeps no ETag for it", () => {
    const next = "https://api.github.com/orgs/octo-org/copilot-spaces/1/collaborators?page=2"
    const hubot = { actor_type: "User", role: "writer", login: "hubot", id: 5 }
    const team = { actor_type: "Team", role: "reader", slug: "docs", name: "Docs", id: 7, future_field: 1 }
    const { layer, sent } = scripted((r) =>
      r.route.endsWith("page=2")
        ? ok({ collaborators: [team] })
        : ok({ collaborators: [hubot] }, { link: `<${next}>; rel="next"`, etag: `"p1"` })
    )
    return Effect.gen(function* () {
      const client = yield* GitHubClient
      const res = yield* client.listCollaborators(octo, 1, `"old"`)
      if (res._tag !== "Modified") return expect.unreachable()
      expect(res.value.map((c) => ("id" in c ? c.id : undefined))).toEqual([5, 7])
      expect(res.raw).toEqual({ collaborators: [hubot, team] })
      // The ETag vouches for the first page only: kept, a 304 next time would hide a change on page 2.
      expect(res.etag).toBeUndefined()
      expect(sent.map((s) => s.request.route)).toEqual([
        "GET /orgs/{org}/copilot-spaces/{space_number}/collaborators",
        `GET ${next}`
      ])
    }).pipe(Effect.provide(layer))
  })

  it.effect("sends If-None-Match and maps 304 to NotModified; works without ETags", () => {
    const { layer, sent } = scripted((r) =>
      r.headers?.["if-none-match"] === `"abc"` ? { status: 304, headers: {}, data: "" } : ok(space(1))
    )
    return Effect.gen(function* () {
      const client = yield* GitHubClient
      const fresh = yield* client.getSpace(octo, 1)
      expect(fresh._tag === "Modified" && fresh.etag).toBe(undefined)
      const cached = yield* client.getSpace(octo, 1, `"abc"`)
      expect(cached._tag).toBe("NotModified")
      expect(sent[1]!.request.headers).toEqual({ "if-none-match": `"abc"` })
      expect((yield* client.stats).notModified).toBe(1)
    }).pipe(Effect.provide(layer))
  })

  it.effect("rejects a 2xx body that does not match the documented schema", () => {
    const { layer } = scripted(() => ok({ id: 1 }))
    return Effect.gen(function* () {
      const client = yield* GitHubClient
      const error = yield* Effect.flip(client.getSpace(octo, 1))
      expect(error.reason._tag).toBe("InvalidResponse")
      expect(error.message).toMatch(/does not match GitHub's documented schema/)
    }).pipe(Effect.provide(layer))
  })

  it.effect("keeps the token out of error messages", () => {
    const { layer } = scripted(() => status(401, { message: "Bad credentials" }))
    return Effect.gen(function* () {
      const client = yield* GitHubClient
      const error = yield* Effect.flip(client.getSpace(octo, 1))
      expect(error.message).toMatch(/GH_TOKEN or GITHUB_TOKEN/)
      expect(JSON.stringify(error)).not.toContain("ghp_test")
      expect(error.message).not.toContain("ghp_test")
    }).pipe(Effect.provide(layer))
  })
})

describe("GitHubClient write safety", () => {
  it.effect("does not resend a POST after a 5xx (it may have been applied) but does after a secondary limit", () => {
    const { layer, sent } = scripted((r, n) =>
      r.route.startsWith("POST") && n === 1
        ? status(502)
        : r.route.startsWith("POST") && n === 2
          ? status(403, { message: "You have exceeded a secondary rate limit" }, { "retry-after": "1" })
          : { ...ok(space(1)), status: 201 }
    )
    return Effect.gen(function* () {
      const client = yield* GitHubClient
      const first = yield* Effect.flip(client.createSpace(octo, { name: "a" }))
      expect(first.reason._tag).toBe("Transient")
      expect(sent).toHaveLength(1)
      yield* runWithClock(client.createSpace(octo, { name: "b" }), "500 millis", 10)
      expect(sent).toHaveLength(3)
    }).pipe(Effect.provide(layer))
  })

  it.effect(
    "does not resend a PUT that creates resources after a 5xx, but does resend one that only sets fields",
    () => {
      const { layer, sent } = scripted((_r, n) => (n === 1 || n === 2 ? status(502) : ok(space(1))))
      return Effect.gen(function* () {
        const client = yield* GitHubClient
        const creating = yield* Effect.flip(
          client.updateSpace(octo, 1, {
            resources_attributes: [
              { id: 5, _destroy: true },
              { resource_type: "free_text", metadata: { text: "t" } }
            ]
          })
        )
        expect(creating.reason._tag).toBe("Transient")
        expect(sent).toHaveLength(1)
        yield* runWithClock(
          client.updateSpace(octo, 1, { name: "n", resources_attributes: [{ id: 5, _destroy: true }] }),
          "1 second",
          10
        )
        expect(sent).toHaveLength(3)
      }).pipe(Effect.provide(layer))
    }
  )

  it.effect("takes a 404 to a resent DELETE as done: the first one went through", () => {
    const { layer, sent } = scripted((_r, n) => (n === 1 ? status(502) : status(404, { message: "Not Found" })))
    return Effect.gen(function* () {
      const client = yield* GitHubClient
      yield* runWithClock(client.removeCollaborator(octo, 1, "User", "ada"), "1 second", 10)
      expect(sent).toHaveLength(2)
      // A first DELETE that finds nothing is still an error: the space or the collaborator was never there.
      const error = yield* Effect.flip(client.removeCollaborator(octo, 1, "User", "ada"))
      expect(error.reason._tag).toBe("NotFound")
    }).pipe(Effect.provide(layer))
  })
})
