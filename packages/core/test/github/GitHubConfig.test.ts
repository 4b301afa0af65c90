// Client settings from Config (a ConfigProvider built from a plain record, never process.env) and flags.
import { assert, describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Duration, Effect, Option, Redacted, Result } from "effect"
import {
  DEFAULT_API_URL,
  DEFAULT_CONCURRENCY,
  loadClientOptions,
  normalizeApiUrl,
  parseWaitDuration,
  type ConfigOverrides
} from "../../src/github/GitHubConfig.ts"

const load = (env: Record<string, string>, overrides: ConfigOverrides = {}) =>
  loadClientOptions(overrides).pipe(Effect.provide(ConfigProvider.layer(ConfigProvider.fromEnvRecord(env))))

describe("loadClientOptions", () => {
  it.effect("reads GH_TOKEN before GITHUB_TOKEN, as a redacted value, with GitHub's defaults", () =>
    Effect.gen(function* () {
      const both = yield* load({ GH_TOKEN: "ghp_first", GITHUB_TOKEN: "ghp_second" })
      expect(Redacted.value(both.token)).toBe("ghp_first")
      expect(String(both.token)).not.toContain("ghp_first")
      expect(Redacted.value((yield* load({ GH_TOKEN: "  ", GITHUB_TOKEN: "ghp_second" })).token)).toBe("ghp_second")
      expect(both.apiUrl).toBe(DEFAULT_API_URL)
      expect(both.concurrency).toBe(DEFAULT_CONCURRENCY)
      expect(both.writesPerMinute).toBe(60)
      expect(both.maxRetries).toBe(5)
    })
  )

  it.effect("fails with a typed config error when no token is set", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(load({ GITHUB_API_URL: "https://api.github.com" }))
      expect(error._tag).toBe("GitHubConfigError")
      expect(error.message).toBe("no GitHub token: set GH_TOKEN or GITHUB_TOKEN")
    })
  )

  it.effect("takes the API URL from the flag, else GITHUB_API_URL", () =>
    Effect.gen(function* () {
      const env = { GH_TOKEN: "x", GITHUB_API_URL: "https://api.acme.ghe.com" }
      expect((yield* load(env)).apiUrl).toBe("https://api.acme.ghe.com")
      expect((yield* load(env, { apiUrl: Option.some("https://ghes.example/api/v3") })).apiUrl).toBe(
        "https://ghes.example/api/v3"
      )
      expect((yield* load({ GH_TOKEN: "x", GITHUB_API_URL: "" })).apiUrl).toBe(DEFAULT_API_URL)
      // A bad URL names where it came from when that is the environment.
      expect((yield* Effect.flip(load({ GH_TOKEN: "x", GITHUB_API_URL: "ftp://x" }))).message).toMatch(
        /^GITHUB_API_URL: /
      )
      expect((yield* Effect.flip(load(env, { apiUrl: Option.some("ftp://x") }))).message).toMatch(/^the API URL/)
    })
  )

  it.effect("validates concurrency, write rate and retries", () =>
    Effect.gen(function* () {
      const env = { GH_TOKEN: "ghp_secret" }
      const bad: Array<ConfigOverrides> = [
        { concurrency: Option.some(0) },
        { concurrency: Option.some(101) },
        { concurrency: Option.some(2.5) },
        { writesPerMinute: Option.some(0) },
        { writesPerMinute: Option.some(Number.POSITIVE_INFINITY) },
        { maxRetries: Option.some(-1) }
      ]
      for (const overrides of bad) {
        const error = yield* Effect.flip(load(env, overrides))
        expect(error._tag).toBe("GitHubConfigError")
        expect(error.message).not.toContain("ghp_secret")
      }
      const good = yield* load(env, {
        concurrency: Option.some(100),
        writesPerMinute: Option.some(30),
        maxRetries: Option.some(0)
      })
      expect([good.concurrency, good.writesPerMinute, good.maxRetries]).toEqual([100, 30, 0])
    })
  )
})

describe("normalizeApiUrl", () => {
  it.effect("knows github.com, GHE.com and GHES hosts", () =>
    Effect.gen(function* () {
      const cases: Array<[string, string]> = [
        ["https://github.com", "https://api.github.com"],
        ["https://api.github.com/", "https://api.github.com"],
        ["https://api.acme.ghe.com", "https://api.acme.ghe.com"],
        ["https://acme.ghe.com", "https://api.acme.ghe.com"],
        ["https://github.acme.internal", "https://github.acme.internal/api/v3"],
        ["https://github.acme.internal/api/v3/", "https://github.acme.internal/api/v3"],
        ["http://127.0.0.1:4010", "http://127.0.0.1:4010"],
        ["http://localhost:4010/", "http://localhost:4010"],
        ["http://[::1]:4010", "http://[::1]:4010"]
      ]
      for (const [raw, expected] of cases) expect(yield* normalizeApiUrl(raw)).toBe(expected)
    })
  )

  it.effect("refuses what is not an API base URL, without echoing credentials", () =>
    Effect.gen(function* () {
      for (const raw of [
        "not a url",
        "ftp://github.com",
        "https://ghp_secret@api.github.com",
        "https://api.github.com/?x=1",
        "http://github.acme.internal"
      ]) {
        const error = yield* Effect.flip(normalizeApiUrl(raw))
        expect(error._tag).toBe("GitHubConfigError")
        expect(error.message).not.toContain("ghp_secret")
      }
      expect((yield* Effect.flip(normalizeApiUrl("http://192.0.2.2:8080"))).message).toMatch(
        /must use https:\/\/ .*clear text/
      )
    })
  )
})

describe("maxWait", () => {
  it.effect("is unset unless given, and passed through when given", () =>
    Effect.gen(function* () {
      assert.isUndefined((yield* load({ GH_TOKEN: "x" })).maxWait)
      const given = yield* load({ GH_TOKEN: "x" }, { maxWait: Option.some(Duration.minutes(10)) })
      assert.deepStrictEqual(given.maxWait, Duration.minutes(10))
    })
  )

  it("parseWaitDuration reads 90s, 10m, 1h and 1h30m, and refuses anything else in one sentence", () => {
    const ms = (text: string) => Result.map(parseWaitDuration(text), Duration.toMillis)
    assert.deepStrictEqual(ms("90s"), Result.succeed(90_000))
    assert.deepStrictEqual(ms("10m"), Result.succeed(600_000))
    assert.deepStrictEqual(ms(" 1H "), Result.succeed(3_600_000))
    assert.deepStrictEqual(ms("1h30m"), Result.succeed(5_400_000))
    assert.deepStrictEqual(ms("0s"), Result.succeed(0))
    for (const bad of ["", "10", "ten minutes", "-5m", "1.5h", "5d"]) {
      assert.deepStrictEqual(
        parseWaitDuration(bad),
        Result.fail(`"${bad}" is not a duration: write it as a number and a unit, e.g. 90s, 10m or 1h`)
      )
    }
  })
})
