// The real client over HTTP against fakehub, through every fault mode. These run in real time, so retry-after
// values and the backoff base are small; what matters is that nothing is sent inside a retry-after window and
// that every request body and response conforms to GitHub's OpenAPI description.
import { createServer, type AddressInfo } from "node:net"
import { startFakeHub, type FakeHub } from "@spaces-vault/fixtures"
import { Clock, ConfigProvider, Duration, Effect, Layer, Stream } from "effect"
import { afterEach, describe, expect, it } from "vitest"
import { checkAndClose } from "../support/hub.ts"
import { org, user } from "../../src/domain/Owner.ts"
import { GitHubClient } from "../../src/github/GitHubClient.ts"
import type { GitHubClientOptions } from "../../src/github/GitHubConfig.ts"
import { Transport, type TransportRequest } from "../../src/github/Transport.ts"
import { testClientOptions } from "./testClientOptions.ts"

let hub: FakeHub | undefined
afterEach(async () => {
  hub = await checkAndClose(hub)
})

type Overrides = { concurrency?: number; secondaryFloor?: Duration.Duration; writesPerMinute?: number }

const clientOptions = (h: FakeHub, overrides: Overrides = {}): GitHubClientOptions =>
  testClientOptions({
    hub: h,
    concurrency: 8,
    writesPerMinute: 6000,
    userAgent: "spaces-vault-test",
    ...overrides
  })

const clientLayer = (h: FakeHub, overrides: Overrides = {}) => GitHubClient.layer(clientOptions(h, overrides))

const run = <A, E>(h: FakeHub, program: Effect.Effect<A, E, GitHubClient>, overrides = {}) =>
  Effect.runPromise(program.pipe(Effect.provide(clientLayer(h, overrides))))

const listAll = Effect.gen(function* () {
  const client = yield* GitHubClient
  return (yield* Stream.runCollect(client.listSpaces(org("octo-org")))).length
})

describe("client against fakehub", () => {
  it("pages through every space and fetches spaces, collaborators and repositories", async () => {
    hub = await startFakeHub({ seed: "demo" })
    const h = hub
    const result = await run(
      h,
      Effect.gen(function* () {
        const client = yield* GitHubClient
        const listed = yield* listAll
        const space = yield* client.getSpace(org("octo-org"), 1)
        const collaborators = yield* client.listCollaborators(org("octo-org"), 2)
        const repo = yield* client.getRepository("octo-org", "api")
        const byId = yield* client.getRepositoryById(repo.id)
        const team = yield* client.getTeam("octo-org", "platform")
        const mona = yield* client.getUser("mona")
        const monaSpaces = (yield* Stream.runCollect(client.listSpaces(user("mona")))).length
        return { listed, space, collaborators, byId, team, mona, monaSpaces }
      })
    )
    expect(result.listed).toBe(240)
    expect(h.counters.byRoute()["GET /orgs/{org}/copilot-spaces"]).toBe(3)
    expect(result.space._tag === "Modified" && result.space.value.resources_attributes?.length).toBeGreaterThan(0)
    expect(
      result.collaborators._tag === "Modified" && result.collaborators.value.some((c) => c.actor_type === "Team")
    ).toBe(true)
    expect(result.byId._tag === "Modified" && result.byId.value.full_name).toBe("octo-org/api")
    expect(result.team.slug).toBe("platform")
    expect(result.mona.login).toBe("mona")
    expect(result.monaSpaces).toBe(8)
  })

  it("gets through a burst of 5xx and connection resets", async () => {
    hub = await startFakeHub({ seed: "demo" })
    hub.faults.serverErrors(3, { status: 502 })
    hub.faults.connectionResets(2)
    expect(await run(hub, listAll)).toBe(240)
    expect(hub.counters.byStatus()[502]).toBe(3)
  })

  it("waits out a forced secondary limit with retry-after, sending nothing inside the window", async () => {
    hub = await startFakeHub({ seed: "demo" })
    hub.faults.secondaryLimit(1, { retryAfterSeconds: 1 })
    const started = Date.now()
    expect(await run(hub, listAll)).toBe(240)
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000)
    expect(hub.counters.secondaryLimited).toBe(1)
  })

  it("waits out a secondary limit without retry-after (429) for the configured floor", async () => {
    hub = await startFakeHub({ seed: "demo" })
    hub.faults.secondaryLimit(1, { withoutRetryAfter: true, status: 429, blockSeconds: 1 })
    expect(await run(hub, listAll, { secondaryFloor: Duration.seconds(1) })).toBe(240)
  })

  it("keeps concurrent fibers out of a secondary-limit window", async () => {
    hub = await startFakeHub({ seed: "demo", latencyMs: 5 })
    hub.faults.secondaryLimit(1, { retryAfterSeconds: 1, route: "GET /orgs/{org}/copilot-spaces/{space_number}" })
    const h = hub
    const got = await run(
      h,
      Effect.gen(function* () {
        const client = yield* GitHubClient
        return yield* Effect.forEach(
          Array.from({ length: 40 }, (_, i) => i + 1),
          (n) => client.getSpace(org("octo-org"), n),
          { concurrency: 8 }
        )
      })
    )
    expect(got).toHaveLength(40)
  })

  it("waits for the primary window to reset when the budget is exhausted", async () => {
    hub = await startFakeHub({ seed: "demo", rateLimit: { limit: 2, windowSeconds: 2 } })
    const h = hub
    const names = await run(
      h,
      Effect.gen(function* () {
        const client = yield* GitHubClient
        return yield* Effect.forEach([1, 2, 3, 4], (n) =>
          client.getSpace(org("octo-org"), n).pipe(Effect.map((r) => r._tag))
        )
      }),
      { concurrency: 1 }
    )
    expect(names).toEqual(["Modified", "Modified", "Modified", "Modified"])
  })

  it("waits out a forced primary exhaustion until the near reset", async () => {
    hub = await startFakeHub({ seed: "demo", rateLimit: { limit: 100, windowSeconds: 2 } })
    const h = hub
    h.faults.exhaustPrimary()
    // The fault lasts until cleared; GitHub's own window would end at the reset the fake announces.
    const lift = setTimeout(() => h.faults.clear(), 300)
    const started = Date.now()
    const got = await run(
      h,
      Effect.gen(function* () {
        const client = yield* GitHubClient
        return (yield* client.getSpace(org("octo-org"), 1))._tag
      })
    )
    clearTimeout(lift)
    expect(got).toBe("Modified")
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000)
    expect(h.counters.byStatus()[403]).toBe(1)
  })

  it("paces writes queued behind a secondary limit, still one interval apart after it", async () => {
    hub = await startFakeHub({ seed: "demo" })
    const h = hub
    h.faults.secondaryLimit(1, { retryAfterSeconds: 1, route: "POST /orgs/{org}/copilot-spaces" })
    // Record when each write leaves, just above the real Octokit transport.
    const writesLeft: Array<number> = []
    const options = clientOptions(h, { writesPerMinute: 300 }) // 200 ms apart
    const recording = Layer.effect(
      Transport,
      Effect.gen(function* () {
        const inner = yield* Transport
        return {
          send: (request: TransportRequest) =>
            Effect.andThen(
              Effect.map(Clock.currentTimeMillis, (t) => (request.route.startsWith("POST") ? writesLeft.push(t) : 0)),
              inner.send(request)
            )
        }
      })
    ).pipe(Layer.provide(Transport.layer(options)))
    await Effect.runPromise(
      Effect.gen(function* () {
        const client = yield* GitHubClient
        yield* Effect.forEach(
          [1, 2, 3],
          (i) => client.createSpace(org("octo-org"), { name: `Paced ${i}`, base_role: "reader" }),
          { concurrency: 3 }
        )
      }).pipe(Effect.provide(GitHubClient.layerNoDeps(options).pipe(Layer.provide(recording))))
    )
    expect(h.counters.byStatus()[201]).toBe(3)
    expect(h.counters.secondaryLimited).toBe(1)
    expect(writesLeft).toHaveLength(4)
    // Node timers may fire a millisecond early against the wall clock. The gate spaces writes from the moment each
    // leaves it; they are recorded a little later, at the transport, and on a loaded machine that lag differs from
    // one write to the next by some milliseconds (the exact spacing is RateGate.test's, on the TestClock).
    expect(writesLeft[1]! - writesLeft[0]!).toBeGreaterThanOrEqual(995)
    for (let i = 2; i < 4; i++) expect(writesLeft[i]! - writesLeft[i - 1]!).toBeGreaterThanOrEqual(150)
  })

  it("sends request bodies that match GitHub's schemas when writing", async () => {
    hub = await startFakeHub({ seed: "demo" })
    const h = hub
    const repo = h.state.repoByFullName("octo-org/api")!
    await run(
      h,
      Effect.gen(function* () {
        const client = yield* GitHubClient
        const created = yield* client.createSpace(org("octo-org"), {
          name: "Contract",
          base_role: "reader",
          resources_attributes: [{ resource_type: "repository", metadata: { repository_id: repo.id } }]
        })
        yield* client.updateSpace(org("octo-org"), created.number, {
          resources_attributes: [{ id: created.resources_attributes![0]!.id, _destroy: true }]
        })
        yield* client.addCollaborator(org("octo-org"), created.number, {
          actor_type: "Team",
          actor_identifier: "platform",
          role: "reader"
        })
        yield* client.updateCollaborator(org("octo-org"), created.number, "Team", "platform", "admin")
        yield* client.removeCollaborator(org("octo-org"), created.number, "Team", "platform")
        yield* client.deleteSpace(org("octo-org"), created.number)
      })
    )
    expect(h.counters.byStatus()[201]).toBe(2)
  })
})

describe("a URL that reaches nothing", () => {
  it("a refused connection fails the first request at once, in one sentence", async () => {
    // A port that was just free: nothing listens on it.
    const server = createServer()
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    await new Promise((resolve) => server.close(resolve))
    const started = Date.now()
    const error = await Effect.runPromise(
      Effect.gen(function* () {
        return yield* Effect.flip((yield* GitHubClient).getSpace(org("octo-org"), 1))
      }).pipe(
        Effect.provide(
          GitHubClient.layer(testClientOptions({ hub: { url, token: "ghp_x" }, backoffBase: Duration.seconds(1) }))
        )
      )
    )
    expect(error.message).toBe(`cannot reach ${url}: connection refused`)
    expect(Date.now() - started).toBeLessThan(1000) // no backoff: the first retry alone would wait ~1 s
  })
})

describe("client configuration", () => {
  const load = (env: Record<string, string>) =>
    Effect.runPromise(
      Effect.gen(function* () {
        const client = yield* GitHubClient
        return client.apiUrl
      }).pipe(
        Effect.provide(
          GitHubClient.layerConfig().pipe(Layer.provide(ConfigProvider.layer(ConfigProvider.fromEnvRecord(env))))
        ),
        Effect.flip,
        Effect.map((e) => e.message),
        Effect.orElseSucceed(() => "ok")
      )
    )

  it("fails with a clear message when no token is set", async () => {
    expect(await load({})).toBe("no GitHub token: set GH_TOKEN or GITHUB_TOKEN")
  })

  it("rejects an API URL that is not a URL", async () => {
    expect(await load({ GH_TOKEN: "x", GITHUB_API_URL: "not a url" })).toMatch(/is not a URL/)
  })

  it("prefers GH_TOKEN, then GITHUB_TOKEN, and normalizes hosts", async () => {
    const url = (env: Record<string, string>) =>
      Effect.runPromise(
        Effect.gen(function* () {
          return (yield* GitHubClient).apiUrl
        }).pipe(
          Effect.provide(
            GitHubClient.layerConfig().pipe(Layer.provide(ConfigProvider.layer(ConfigProvider.fromEnvRecord(env))))
          )
        )
      )
    expect(await url({ GITHUB_TOKEN: "x" })).toBe("https://api.github.com")
    expect(await url({ GH_TOKEN: "x", GITHUB_API_URL: "https://api.acme.ghe.com/" })).toBe("https://api.acme.ghe.com")
    expect(await url({ GH_TOKEN: "x", GITHUB_API_URL: "https://github.acme.internal" })).toBe(
      "https://github.acme.internal/api/v3"
    )
    expect(await url({ GH_TOKEN: "x", GITHUB_API_URL: "https://github.acme.internal/api/v3" })).toBe(
      "https://github.acme.internal/api/v3"
    )
  })
})
