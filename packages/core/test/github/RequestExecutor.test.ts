// The request executor through the client, on the test clock: one log line per pause, the maximum wait, and
// failing fast on a URL that reaches nothing.
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Fiber, Logger } from "effect"
import { TestClock } from "effect/testing"
import { org } from "../../src/domain/Owner.ts"
import { GitHubClient } from "../../src/github/GitHubClient.ts"
import { TransportFailure } from "../../src/github/Transport.ts"
import { ok, scripted, space, status } from "./scripted.ts"

const octo = org("octo-org")

/** Collects every warning the program logs. */
const collectWarnings = () => {
  const lines: Array<string> = []
  const logger = Logger.make((o) => {
    if (o.logLevel !== "Warn") return
    const parts = Array.isArray(o.message) ? o.message : [o.message]
    lines.push(parts.map(String).join(" "))
  })
  return { lines, layer: Logger.layer([logger]) }
}

/** A primary limit answer: budget spent, resetting at `resetAt` (epoch seconds). */
const primaryLimit = (resetAt: number) =>
  status(
    403,
    { message: "API rate limit exceeded" },
    { "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(resetAt) }
  )

describe("rate-limit pauses are logged once", () => {
  it.effect("16 requests in flight that all meet the primary limit log one pause, in minutes and clock time", () => {
    // The answers straddle seconds on GitHub's clock: each `date` header is a second behind the one before, so each
    // answer moves the pause's end a second later, as answers arriving over a few seconds do.
    const { layer, sent } = scripted(
      (r, n) =>
        n <= 16
          ? status(
              403,
              { message: "API rate limit exceeded" },
              {
                "x-ratelimit-remaining": "0",
                "x-ratelimit-reset": "3060",
                date: new Date(-Number(r.params?.space_number) * 1000).toUTCString()
              }
            )
          : ok(space(1)),
      { concurrency: 16 },
      Duration.millis(10)
    )
    const warnings = collectWarnings()
    return Effect.gen(function* () {
      const client = yield* GitHubClient
      const all = yield* Effect.forkChild(
        Effect.all(
          Array.from({ length: 16 }, (_, i) => client.getSpace(octo, i)),
          { concurrency: 16 }
        )
      )
      yield* TestClock.adjust("1 second")
      assert.strictEqual(sent.length, 16)
      const pauses = warnings.lines.filter((l) => l.includes("pausing all requests"))
      assert.deepStrictEqual(pauses, [
        "rate limit: pausing all requests for 51 min, until 00:51 UTC (primary rate limit on GET /orgs/octo-org/copilot-spaces/0)"
      ])
      yield* TestClock.adjust("52 minutes")
      yield* Fiber.join(all)
      assert.strictEqual(sent.length, 32)
      for (const s of sent.slice(16)) assert.isAtLeast(s.at, 3_076_000)
      assert.strictEqual(warnings.lines.filter((l) => l.includes("pausing")).length, 1)
    }).pipe(Effect.provide(warnings.layer), Effect.provide(layer))
  })

  it.effect("a pause that ends and a later one log a line each", () => {
    const limited = status(429, { message: "You have exceeded a secondary rate limit" }, { "retry-after": "5" })
    const { layer } = scripted((_r, n) => (n === 1 || n === 3 ? limited : ok(space(1))))
    const warnings = collectWarnings()
    return Effect.gen(function* () {
      const client = yield* GitHubClient
      for (const number of [1, 2]) {
        const fiber = yield* Effect.forkChild(client.getSpace(octo, number))
        yield* TestClock.adjust("6 seconds")
        yield* Fiber.join(fiber)
      }
      assert.deepStrictEqual(warnings.lines, [
        "rate limit: pausing all requests for 5 s (secondary rate limit on GET /orgs/octo-org/copilot-spaces/1)",
        "rate limit: pausing all requests for 5 s (secondary rate limit on GET /orgs/octo-org/copilot-spaces/2)"
      ])
    }).pipe(Effect.provide(warnings.layer), Effect.provide(layer))
  })
})

describe("maxWait", () => {
  it.effect("a primary reset further away than maxWait fails the waiting requests instead of waiting", () => {
    const { layer, sent } = scripted((_r, n) => (n === 1 ? primaryLimit(3060) : ok(space(1))), {
      concurrency: 1,
      maxWait: Duration.minutes(10)
    })
    const warnings = collectWarnings()
    return Effect.gen(function* () {
      const client = yield* GitHubClient
      // One request meets the limit while two more queue for the single permit.
      const results = yield* Effect.all(
        [1, 2, 3].map((n) => Effect.flip(client.getSpace(octo, n))),
        { concurrency: 3 }
      )
      assert.strictEqual(sent.length, 1) // nothing else was sent, and no time passed
      for (const error of results) {
        assert.strictEqual(error.reason._tag, "WaitTooLong")
        if (error.reason._tag !== "WaitTooLong") return
        assert.strictEqual(error.reason.until, 3_061_000)
        assert.strictEqual(error.reason.maxWaitMs, 600_000)
      }
      assert.strictEqual(
        results[1]!.message,
        "GET /orgs/octo-org/copilot-spaces/2 gave up: requests are paused until 00:51 UTC (primary rate limit on GET /orgs/octo-org/copilot-spaces/1), longer than the maximum wait of 10 min"
      )
      assert.deepStrictEqual(warnings.lines, [
        "rate limit: GitHub asks to pause all requests for 51 min, until 00:51 UTC (primary rate limit on GET /orgs/octo-org/copilot-spaces/1), longer than the maximum wait of 10 min: the requests waiting fail instead"
      ])
      // Requests that come while the pause lasts fail at once too.
      const later = yield* Effect.flip(client.getSpace(octo, 4))
      assert.strictEqual(later.reason._tag, "WaitTooLong")
      assert.strictEqual(sent.length, 1)
    }).pipe(Effect.provide(warnings.layer), Effect.provide(layer))
  })

  it.effect("a pause within maxWait is waited out as usual", () => {
    const { layer, sent } = scripted(
      (_r, n) =>
        n === 1
          ? status(403, { message: "You have exceeded a secondary rate limit" }, { "retry-after": "60" })
          : ok(space(1)),
      { maxWait: Duration.minutes(10) }
    )
    return Effect.gen(function* () {
      const client = yield* GitHubClient
      const fiber = yield* Effect.forkChild(client.getSpace(octo, 1))
      yield* TestClock.adjust("61 seconds")
      const res = yield* Fiber.join(fiber)
      assert.strictEqual(res._tag, "Modified")
      assert.deepStrictEqual(
        sent.map((s) => s.at),
        [0, 60_000]
      )
    }).pipe(Effect.provide(layer))
  })

  it.effect("once the pause is over, requests go out again", () => {
    const { layer, sent } = scripted((_r, n) => (n === 1 ? primaryLimit(3060) : ok(space(1))), {
      maxWait: Duration.minutes(10)
    })
    return Effect.gen(function* () {
      const client = yield* GitHubClient
      assert.strictEqual((yield* Effect.flip(client.getSpace(octo, 1))).reason._tag, "WaitTooLong")
      yield* TestClock.adjust("52 minutes")
      assert.strictEqual((yield* client.getSpace(octo, 2))._tag, "Modified")
      assert.strictEqual(sent.length, 2)
    }).pipe(Effect.provide(layer))
  })
})

describe("a URL that reaches nothing", () => {
  const refused = () =>
    new TransportFailure({ detail: "connection failed (connect ECONNREFUSED)", code: "ECONNREFUSED" })

  it.effect("connection refused before any answer fails at once, in one sentence, without retries", () => {
    const { layer, sent } = scripted(refused)
    return Effect.gen(function* () {
      const client = yield* GitHubClient
      const error = yield* Effect.flip(client.getSpace(octo, 1))
      assert.deepStrictEqual(error.reason, {
        _tag: "Unreachable",
        url: "https://api.github.com",
        cause: "connection refused"
      })
      assert.strictEqual(error.message, "cannot reach https://api.github.com: connection refused")
      assert.strictEqual(sent.length, 1)
    }).pipe(Effect.provide(layer))
  })

  it.effect("a host name that does not resolve (ENOTFOUND, EAI_AGAIN) says so", () => {
    const codes = ["ENOTFOUND", "EAI_AGAIN"]
    const { layer, sent } = scripted(
      (_r, n) => new TransportFailure({ detail: "connection failed (getaddrinfo)", code: codes[n - 1]! }),
      { apiUrl: "https://ghes.example/api/v3" }
    )
    return Effect.gen(function* () {
      const client = yield* GitHubClient
      for (let i = 0; i < 2; i++) {
        const error = yield* Effect.flip(client.getSpace(octo, 1))
        assert.strictEqual(error.message, "cannot reach https://ghes.example/api/v3: host name not found")
      }
      assert.strictEqual(sent.length, 2)
    }).pipe(Effect.provide(layer))
  })

  it.effect("once GitHub has answered, a refused connection is a dropped one: retried with backoff", () => {
    const { layer, sent } = scripted((_r, n) => (n === 2 ? refused() : ok(space(1))))
    return Effect.gen(function* () {
      const client = yield* GitHubClient
      yield* client.getSpace(octo, 1)
      const fiber = yield* Effect.forkChild(client.getSpace(octo, 2))
      yield* TestClock.adjust("2 seconds")
      const res = yield* Fiber.join(fiber)
      assert.strictEqual(res._tag, "Modified")
      assert.strictEqual(sent.length, 3)
      assert.strictEqual((yield* client.stats).retries, 1)
    }).pipe(Effect.provide(layer))
  })

  it.effect("an error answer counts as an answer: the host is there", () => {
    const { layer, sent } = scripted((_r, n) => (n === 1 ? status(404) : n === 2 ? refused() : ok(space(1))))
    return Effect.gen(function* () {
      const client = yield* GitHubClient
      assert.strictEqual((yield* Effect.flip(client.getSpace(octo, 1))).reason._tag, "NotFound")
      const fiber = yield* Effect.forkChild(client.getSpace(octo, 2))
      yield* TestClock.adjust("2 seconds")
      assert.strictEqual((yield* Fiber.join(fiber))._tag, "Modified")
      assert.strictEqual(sent.length, 3)
    }).pipe(Effect.provide(layer))
  })
})
