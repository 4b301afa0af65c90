// More of the live client over a scripted transport on the test clock: logged waits, bounded rate-limit retries,
// dead connections, stats and budget, raw bodies, and the odd answers GitHub may give.
import { describe, expect, it } from "@effect/vitest"
import { Clock, Duration, Effect, Fiber, Layer, Logger, Stream } from "effect"
import { TestClock } from "effect/testing"
import { org } from "../../src/domain/Owner.ts"
import { GitHubClient } from "../../src/github/GitHubClient.ts"
import { Transport, TransportFailure, type TransportRequest } from "../../src/github/Transport.ts"
import { ok, options, scripted, space, status } from "./scripted.ts"

const octo = org("octo-org")

const runWithClock = <A, E>(program: Effect.Effect<A, E, GitHubClient>, step: Duration.Input, steps: number) =>
  Effect.gen(function* () {
    const fiber = yield* Effect.forkChild(program)
    for (let i = 0; i < steps; i++) yield* TestClock.adjust(step)
    return yield* Fiber.join(fiber)
  })

/** Collects every log line (level and text) the program writes. */
const collectLogs = () => {
  const lines: Array<{ readonly level: string; readonly text: string }> = []
  const logger = Logger.make((o) => {
    const parts = Array.isArray(o.message) ? o.message : [o.message]
    lines.push({ level: o.logLevel, text: parts.map(String).join(" ") })
  })
  return { lines, layer: Logger.layer([logger]) }
}

describe("GitHubClient waits are logged", () => {
  it.effect("logs each backoff and each rate-limit pause with reason and duration, never the token", () => {
    const { layer, sent } = scripted((_r, n) =>
      n === 1
        ? status(502)
        : n === 2
          ? status(429, { message: "You have exceeded a secondary rate limit" }, { "retry-after": "5" })
          : n === 3
            ? status(
                403,
                { message: "API rate limit exceeded" },
                { "x-ratelimit-remaining": "0", "x-ratelimit-reset": "100" }
              )
            : ok(space(1))
    )
    const logs = collectLogs()
    return Effect.gen(function* () {
      const client = yield* GitHubClient
      yield* runWithClock(client.getSpace(octo, 1), "1 second", 120)
      expect(sent).toHaveLength(4)
      const warnings = logs.lines.filter((l) => l.level === "Warn").map((l) => l.text)
      expect(warnings).toHaveLength(3)
      expect(warnings[0]).toMatch(/^retrying GET \/orgs\/octo-org\/copilot-spaces\/1 in \d+ ms: .*GitHub answered 502/)
      expect(warnings[1]).toMatch(
        /pausing all requests for 5 s \(secondary rate limit on GET \/orgs\/octo-org\/copilot-spaces\/1\)/
      )
      // A wait over a minute reads in minutes, with the clock time it ends (95 s from ~6 s: 00:01:41, nearest 00:02).
      expect(warnings[2]).toMatch(/pausing all requests for 2 min, until 00:02 UTC \(primary rate limit on GET/)
      for (const l of logs.lines) expect(l.text).not.toContain("ghp_test")
      expect(sent[3]!.at).toBeGreaterThanOrEqual(100_000)
    }).pipe(Effect.provide(logs.layer), Effect.provide(layer))
  })
})

describe("GitHubClient logs only the retries it makes", () => {
  it.effect("a GET that keeps failing logs one line per retry, none after the last try", () => {
    const { layer, sent } = scripted(() => status(502), { maxRetries: 2, backoffBase: Duration.millis(100) })
    const logs = collectLogs()
    return Effect.gen(function* () {
      const client = yield* GitHubClient
      const error = yield* runWithClock(Effect.flip(client.getSpace(octo, 1)), "1 second", 5)
      expect(error.reason._tag).toBe("Transient")
      expect(sent).toHaveLength(3)
      expect(logs.lines.filter((l) => l.text.startsWith("retrying"))).toHaveLength(2)
    }).pipe(Effect.provide(logs.layer), Effect.provide(layer))
  })

  it.effect("a POST that fails with a 5xx is not resent, and no retry is logged", () => {
    const { layer, sent } = scripted(() => status(502))
    const logs = collectLogs()
    return Effect.gen(function* () {
      const client = yield* GitHubClient
      const error = yield* Effect.flip(client.createSpace(octo, { name: "a" }))
      expect(error.reason._tag).toBe("Transient")
      expect(sent).toHaveLength(1)
      expect(logs.lines.filter((l) => l.text.startsWith("retrying"))).toEqual([])
    }).pipe(Effect.provide(logs.layer), Effect.provide(layer))
  })
})

describe("GitHubClient rate-limit retries", () => {
  it.effect("gives up after maxRetries when the secondary limit persists, each wait twice the one before", () => {
    const { layer, sent } = scripted(() => status(403, { message: "secondary rate limit" }, { "retry-after": "10" }), {
      maxRetries: 2
    })
    return Effect.gen(function* () {
      const client = yield* GitHubClient
      const error = yield* runWithClock(Effect.flip(client.getSpace(octo, 1)), "1 second", 40)
      expect(error.reason).toEqual({ _tag: "SecondaryRateLimited", retryAfterSeconds: 10 })
      // GitHub: "if it keeps happening, back off exponentially": 10 s as asked, then 20 s.
      expect(sent.map((s) => s.at)).toEqual([0, 10_000, 30_000])
      const stats = yield* client.stats
      expect(stats).toMatchObject({ sent: 3, retries: 2, rateLimitWaits: 3 })
    }).pipe(Effect.provide(layer))
  })

  it.effect("a secondary limit without retry-after that keeps coming back waits 60 s, then 120 s, then 240 s", () => {
    const { layer, sent } = scripted((_r, n) =>
      n <= 3 ? status(403, { message: "You have exceeded a secondary rate limit." }) : ok(space(1))
    )
    return Effect.gen(function* () {
      const client = yield* GitHubClient
      yield* runWithClock(client.getSpace(octo, 1), "1 second", 430)
      expect(sent.map((s) => s.at)).toEqual([0, 60_000, 180_000, 420_000])
    }).pipe(Effect.provide(layer))
  })

  it.effect("a later request starts again from GitHub's retry-after, not from another request's backoff", () => {
    const { layer, sent } = scripted((_r, n) =>
      n <= 2 || n === 4
        ? status(429, { message: "You have exceeded a secondary rate limit" }, { "retry-after": "5" })
        : ok(space(1))
    )
    return Effect.gen(function* () {
      const client = yield* GitHubClient
      yield* runWithClock(client.getSpace(octo, 1), "1 second", 20)
      yield* runWithClock(client.getSpace(octo, 2), "1 second", 20)
      // First request: 5 s, then 10 s. Second request (sent at 20 s after the clock steps): 5 s again.
      expect(sent.map((s) => s.at)).toEqual([0, 5_000, 15_000, 20_000, 25_000])
    }).pipe(Effect.provide(layer))
  })

  it.effect("a primary limit without a usable reset waits the floor", () => {
    const { layer, sent } = scripted((_r, n) =>
      n === 1 ? status(403, { message: "API rate limit exceeded" }, { "x-ratelimit-remaining": "0" }) : ok(space(1))
    )
    return Effect.gen(function* () {
      const client = yield* GitHubClient
      yield* runWithClock(client.getSpace(octo, 1), "1 second", 61)
      expect(sent[1]!.at).toBeGreaterThanOrEqual(60_000)
    }).pipe(Effect.provide(layer))
  })

  it.effect("reports the pause and the budget while waiting", () => {
    const { layer } = scripted((_r, n) =>
      n === 1
        ? status(
            403,
            { message: "secondary rate limit" },
            {
              "retry-after": "30",
              "x-ratelimit-limit": "5000",
              "x-ratelimit-remaining": "4321",
              "x-ratelimit-reset": "3600"
            }
          )
        : ok(space(1), { "x-ratelimit-remaining": "4320" })
    )
    return Effect.gen(function* () {
      const client = yield* GitHubClient
      expect(yield* client.budget).toBeUndefined()
      const fiber = yield* Effect.forkChild(client.getSpace(octo, 1))
      yield* TestClock.adjust("1 second")
      expect(yield* client.pausedUntil).toBe(30_000)
      expect(yield* client.budget).toEqual({ limit: 5000, remaining: 4321, used: 679, resetAt: 3600 })
      yield* TestClock.adjust("30 seconds")
      yield* Fiber.join(fiber)
      expect(yield* client.pausedUntil).toBeUndefined()
      expect((yield* client.budget)?.remaining).toBe(4320)
    }).pipe(Effect.provide(layer))
  })
})

describe("GitHubClient dead connections", () => {
  /** A transport whose first `hangs` requests never get an answer. */
  const hanging = (hangs: number) => {
    const sent: Array<number> = []
    const transport = Layer.succeed(Transport, {
      send: (_request: TransportRequest) =>
        Effect.gen(function* () {
          sent.push(yield* Clock.currentTimeMillis)
          if (sent.length <= hangs) return yield* Effect.never
          return ok(space(1))
        })
    })
    const layer = GitHubClient.layerNoDeps(options({ requestTimeout: Duration.seconds(10), maxRetries: 2 })).pipe(
      Layer.provide(transport)
    )
    return { sent, layer }
  }

  it.effect("cuts a request that gets no answer and retries it", () => {
    const { sent, layer } = hanging(1)
    return Effect.gen(function* () {
      const client = yield* GitHubClient
      const res = yield* runWithClock(client.getSpace(octo, 1), "1 second", 15)
      expect(res._tag).toBe("Modified")
      expect(sent).toHaveLength(2)
      expect(sent[1]! - sent[0]!).toBeGreaterThanOrEqual(10_000)
      expect(yield* client.stats).toMatchObject({ sent: 2, retries: 1 })
    }).pipe(Effect.provide(layer))
  })

  it.effect("fails as Transient when no try gets an answer", () => {
    const { sent, layer } = hanging(99)
    return Effect.gen(function* () {
      const client = yield* GitHubClient
      const error = yield* runWithClock(Effect.flip(client.getSpace(octo, 1)), "1 second", 45)
      expect(error.reason._tag).toBe("Transient")
      expect(error.message).toMatch(/no answer within 10s/)
      expect(sent).toHaveLength(3)
    }).pipe(Effect.provide(layer))
  })

  it.effect("counts requests that failed on the wire as sent", () => {
    const { layer } = scripted((_r, n) =>
      n === 1 ? new TransportFailure({ detail: "connection failed (ECONNRESET)" }) : ok(space(1))
    )
    return Effect.gen(function* () {
      const client = yield* GitHubClient
      yield* runWithClock(client.getSpace(octo, 1), "500 millis", 6)
      expect(yield* client.stats).toMatchObject({ sent: 2, retries: 1 })
    }).pipe(Effect.provide(layer))
  })
})

describe("GitHubClient bodies and odd answers", () => {
  it.effect("returns the body exactly as received, unknown fields included, with the ETag", () => {
    const body = { ...space(7), future_field: { nested: [1, 2] } }
    const { layer } = scripted(() => ok(body, { etag: `W/"v1"` }))
    return Effect.gen(function* () {
      const client = yield* GitHubClient
      const res = yield* client.getSpace(octo, 7)
      if (res._tag !== "Modified") return expect.unreachable()
      expect(res.raw).toStrictEqual(body)
      expect(res.etag).toBe(`W/"v1"`)
      expect(res.value.number).toBe(7)
    }).pipe(Effect.provide(layer))
  })

  it.effect("treats a 304 to a request that sent no ETag as unexpected", () => {
    const { layer } = scripted(() => ({ status: 304, headers: {}, data: "" }))
    return Effect.gen(function* () {
      const client = yield* GitHubClient
      const error = yield* Effect.flip(client.getRepositoryById(42))
      expect(error.reason._tag).toBe("UnexpectedStatus")
      expect(error.status).toBe(304)
    }).pipe(Effect.provide(layer))
  })

  it.effect("conditional lookups send If-None-Match too", () => {
    const { layer, sent } = scripted((r) =>
      r.headers?.["if-none-match"] === `"c"`
        ? { status: 304, headers: {}, data: "" }
        : ok({ collaborators: [] }, { etag: `"c"` })
    )
    return Effect.gen(function* () {
      const client = yield* GitHubClient
      const first = yield* client.listCollaborators(octo, 1)
      expect(first).toMatchObject({ _tag: "Modified", value: [], etag: `"c"` })
      expect((yield* client.listCollaborators(octo, 1, `"c"`))._tag).toBe("NotModified")
      expect((yield* client.getRepositoryById(5, `"c"`))._tag).toBe("NotModified")
      expect(sent[0]!.request.headers).toBeUndefined()
      expect(sent[2]!.request).toMatchObject({
        route: "GET /repositories/{repository_id}",
        params: { repository_id: 5 }
      })
    }).pipe(Effect.provide(layer))
  })

  it.effect("isMember: 204 is true, 404 is false, anything else fails", () => {
    const { layer } = scripted((_r, n) =>
      n === 1 ? { status: 204, headers: {}, data: undefined } : n === 2 ? status(404) : status(403)
    )
    return Effect.gen(function* () {
      const client = yield* GitHubClient
      expect(yield* client.isMember("octo-org", "mona")).toBe(true)
      expect(yield* client.isMember("octo-org", "hubot")).toBe(false)
      expect((yield* Effect.flip(client.isMember("octo-org", "x"))).reason._tag).toBe("Forbidden")
    }).pipe(Effect.provide(layer))
  })

  it.effect("a list page that is not {spaces: [...]} is an InvalidResponse", () => {
    const { layer } = scripted(() => ok([{ number: 1, name: "a" }]))
    return Effect.gen(function* () {
      const client = yield* GitHubClient
      const error = yield* Effect.flip(Stream.runCollect(client.listSpaces(octo)))
      expect(error.reason._tag).toBe("InvalidResponse")
      expect(error.path).toBe("/orgs/octo-org/copilot-spaces")
    }).pipe(Effect.provide(layer))
  })
})
