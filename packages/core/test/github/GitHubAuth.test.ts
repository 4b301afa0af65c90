// GitHub App authentication through the client, on the test clock: an installation token per organization, renewed
// before it expires and once after a 401, a JWT corrected for GitHub's clock, the permission a request lacks named
// before sending, users' own spaces on the personal token, and each installation's primary budget its own.
import { generateKeyPairSync } from "node:crypto"
import { assert, describe, it } from "@effect/vitest"
import { Clock, Deferred, Effect, Fiber, Layer, Redacted } from "effect"
import { TestClock } from "effect/testing"
import { org, user } from "../../src/domain/Owner.ts"
import { asOwner, checkPrivateKey } from "../../src/github/GitHubAuth.ts"
import { GitHubClient } from "../../src/github/GitHubClient.ts"
import { pathOf } from "../../src/github/Routes.ts"
import { Transport, type RawResponse, type TransportRequest } from "../../src/github/Transport.ts"
import { ok, options, scripted, space, status } from "./scripted.ts"

const keys = generateKeyPairSync("rsa", {
  modulusLength: 2048,
  privateKeyEncoding: { type: "pkcs1", format: "pem" },
  publicKeyEncoding: { type: "spki", format: "pem" }
})
const pkcs8 = generateKeyPairSync("rsa", {
  modulusLength: 2048,
  privateKeyEncoding: { type: "pkcs8", format: "pem" },
  publicKeyEncoding: { type: "spki", format: "pem" }
}).privateKey

const allPermissions = {
  organization_copilot_spaces: "write",
  organization_copilot_seat_management: "write",
  members: "read"
}

interface FakeInstallation {
  readonly id: number
  readonly permissions?: Record<string, string>
  readonly remaining?: (n: number) => string
  readonly reset?: string
}

/** The App side of GitHub, scripted: installations by org, minted tokens that expire on the test clock. */
const fakeApp = (
  installations: Record<string, FakeInstallation>,
  hooks: { readonly jwtRoute?: (r: TransportRequest, now: number) => RawResponse | undefined } = {}
) => {
  const minted: Array<{ readonly token: string; readonly installation: number; readonly expiresAt: number }> = []
  const revoked = new Set<string>()
  const refuse = { all: false }
  const dataTokens: Array<string> = []
  const jwts: Array<string> = []
  const script = (r: TransportRequest, _n: number, now: number): RawResponse => {
    const credential = r.credential
    const token = credential === undefined ? "" : Redacted.value(credential.token)
    const path = pathOf(r.route, r.params)
    const date = { date: new Date(now).toUTCString() }
    if (credential?.scheme === "bearer") {
      jwts.push(token)
      const hooked = hooks.jwtRoute?.(r, now)
      if (hooked !== undefined) return hooked
      const m = /^\/orgs\/([^/]+)\/installation$/.exec(path)
      if (m !== null) {
        const i = installations[m[1]!]
        return i === undefined
          ? status(404, { message: "Not Found" })
          : ok({ id: i.id, account: { login: m[1] }, permissions: i.permissions ?? allPermissions, suspended_at: null })
      }
      const t = /^\/app\/installations\/(\d+)\/access_tokens$/.exec(path)
      if (t !== null) {
        const id = Number(t[1])
        const i = Object.values(installations).find((x) => x.id === id)!
        const issued = `ghs_${id}_${minted.length}`
        minted.push({ token: issued, installation: id, expiresAt: now + 3_600_000 })
        return {
          status: 201,
          headers: date,
          data: {
            token: issued,
            expires_at: new Date(now + 3_600_000).toISOString(),
            permissions: i.permissions ?? allPermissions
          }
        }
      }
      return status(404)
    }
    dataTokens.push(token)
    const mint = minted.find((x) => x.token === token)
    if (mint === undefined || refuse.all || revoked.has(token) || now >= mint.expiresAt) {
      return mint !== undefined || token.startsWith("ghs_") ? status(401, { message: "Bad credentials" }) : ok(space(1))
    }
    const i = Object.values(installations).find((x) => x.id === mint.installation)!
    const n = dataTokens.filter((t) => minted.find((x) => x.token === t)?.installation === i.id).length
    return ok(space(1), {
      "x-ratelimit-limit": "5000",
      "x-ratelimit-remaining": i.remaining?.(n) ?? "4000",
      "x-ratelimit-reset": i.reset ?? "99999999",
      ...date
    })
  }
  return { script, minted, revoked, refuse, dataTokens, jwts }
}

const app = { appId: "12345", privateKey: Redacted.make(keys.privateKey) }
const noUserToken = { token: Redacted.make(""), app }

/** The payload of a JWT. */
const claims = (jwt: string) =>
  JSON.parse(Buffer.from(jwt.split(".")[1]!, "base64url").toString()) as { iat: number; exp: number; iss: string }

describe("GitHub App authentication", () => {
  it.effect("each organization's requests carry its installation's token, found and minted once", () => {
    const fake = fakeApp({ a: { id: 1 }, b: { id: 2 } })
    const { layer, sent } = scripted(fake.script, noUserToken)
    return Effect.gen(function* () {
      const client = yield* GitHubClient
      assert.strictEqual(client.authMode, "app")
      yield* client.getSpace(org("a"), 1)
      yield* client.getSpace(org("b"), 1)
      yield* client.getSpace(org("a"), 2)
      assert.deepStrictEqual(fake.dataTokens, ["ghs_1_0", "ghs_2_1", "ghs_1_0"])
      assert.deepStrictEqual(
        sent.filter((s) => s.request.credential?.scheme === "bearer").map((s) => s.request.route),
        [
          "GET /orgs/{org}/installation",
          "POST /app/installations/{installation_id}/access_tokens",
          "GET /orgs/{org}/installation",
          "POST /app/installations/{installation_id}/access_tokens"
        ]
      )
      assert.strictEqual(claims(fake.jwts[0]!).iss, "12345")
    }).pipe(Effect.provide(layer))
  })

  it.effect("a given installation id is used for every organization, without looking one up", () => {
    const fake = fakeApp({ a: { id: 1 }, b: { id: 2 } })
    const { layer, sent } = scripted(fake.script, { token: Redacted.make(""), app: { ...app, installationId: 2 } })
    return Effect.gen(function* () {
      const client = yield* GitHubClient
      yield* client.getSpace(org("a"), 1)
      assert.deepStrictEqual(fake.dataTokens, ["ghs_2_0"])
      assert.isFalse(sent.some((s) => s.request.route === "GET /orgs/{org}/installation"))
    }).pipe(Effect.provide(layer))
  })

  it.effect("renews a token five minutes before it expires, so a long export never meets the hour", () => {
    const fake = fakeApp({ a: { id: 1 } })
    const { layer } = scripted(fake.script, noUserToken)
    return Effect.gen(function* () {
      const client = yield* GitHubClient
      yield* client.getSpace(org("a"), 1)
      yield* TestClock.adjust("54 minutes")
      yield* client.getSpace(org("a"), 1)
      yield* TestClock.adjust("2 minutes")
      yield* client.getSpace(org("a"), 1)
      assert.deepStrictEqual(fake.dataTokens, ["ghs_1_0", "ghs_1_0", "ghs_1_1"])
      assert.strictEqual(fake.minted.length, 2)
    }).pipe(Effect.provide(layer))
  })

  it.effect("a token refused with 401 is replaced once and the request sent again; a second 401 fails", () => {
    const fake = fakeApp({ a: { id: 1 } })
    const { layer } = scripted(fake.script, noUserToken)
    return Effect.gen(function* () {
      const client = yield* GitHubClient
      yield* client.getSpace(org("a"), 1)
      fake.revoked.add("ghs_1_0")
      const res = yield* client.getSpace(org("a"), 2)
      assert.strictEqual(res._tag, "Modified")
      assert.deepStrictEqual(fake.dataTokens, ["ghs_1_0", "ghs_1_0", "ghs_1_1"])
      // Every token refused: one renewal, then the failure, not a loop.
      fake.refuse.all = true
      const e = yield* Effect.flip(client.getSpace(org("a"), 3))
      assert.strictEqual(e.reason._tag, "Unauthorized")
      assert.strictEqual(fake.minted.length, 3)
    }).pipe(Effect.provide(layer))
  })

  it.effect("requests in flight that meet the same 401 together mint one new token between them", () =>
    Effect.gen(function* () {
      const fake = fakeApp({ a: { id: 1 } })
      // The four requests with the refused token are answered only once all four are in flight.
      const allInFlight = yield* Deferred.make<void>()
      let refusedInFlight = 0
      const transport = Layer.succeed(Transport, {
        send: (request) =>
          Effect.gen(function* () {
            const token = request.credential === undefined ? "" : Redacted.value(request.credential.token)
            if (fake.revoked.has(token)) {
              if (++refusedInFlight === 4) yield* Deferred.succeed(allInFlight, undefined)
              yield* Deferred.await(allInFlight)
            }
            return fake.script(request, 0, yield* Clock.currentTimeMillis)
          })
      })
      yield* Effect.gen(function* () {
        const client = yield* GitHubClient
        yield* client.getSpace(org("a"), 1)
        fake.revoked.add("ghs_1_0")
        yield* Effect.all(
          [1, 2, 3, 4].map((n) => client.getSpace(org("a"), n)),
          { concurrency: 4 }
        )
      }).pipe(Effect.provide(GitHubClient.layerNoDeps(options(noUserToken)).pipe(Layer.provide(transport))))
      assert.strictEqual(fake.minted.length, 2)
      assert.deepStrictEqual([...fake.dataTokens.slice(1)].sort(), [
        ...["ghs_1_0", "ghs_1_0", "ghs_1_0", "ghs_1_0"],
        ...["ghs_1_1", "ghs_1_1", "ghs_1_1", "ghs_1_1"]
      ])
    })
  )

  it.effect("a request whose path names no owner goes with the owner the caller is working for", () => {
    const fake = fakeApp({ a: { id: 1 } })
    const { layer } = scripted(fake.script, noUserToken)
    return Effect.gen(function* () {
      const client = yield* GitHubClient
      const e = yield* Effect.flip(client.getRepositoryById(7))
      assert.strictEqual(e.reason._tag, "NoInstallationFor")
      assert.match(e.message, /^GET \/repositories\/7 names no organization/)
      const repo = yield* Effect.flip(client.getRepositoryById(7).pipe(asOwner(org("a"))))
      // The fake answers with a space, not a repository: what matters is the token it was sent with.
      assert.strictEqual(repo.reason._tag, "InvalidResponse")
      assert.deepStrictEqual(fake.dataTokens, ["ghs_1_0"])
    }).pipe(Effect.provide(layer))
  })

  it.effect("a JWT GitHub's clock refuses is signed again on GitHub's time, from its date header", () => {
    let refused = 0
    const fake = fakeApp(
      { a: { id: 1 } },
      {
        jwtRoute: (r, now) => {
          if (refused > 0 || !r.route.includes("/installation")) return undefined
          refused++
          return status(
            401,
            {
              message:
                "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued"
            },
            { date: new Date(now + 2 * 3_600_000).toUTCString() }
          )
        }
      }
    )
    const { layer } = scripted(fake.script, noUserToken)
    return Effect.gen(function* () {
      const client = yield* GitHubClient
      yield* client.getSpace(org("a"), 1)
      assert.strictEqual(refused, 1)
      assert.strictEqual(fake.jwts.length, 3) // refused lookup, lookup again, mint
      const shift = claims(fake.jwts[1]!).iat - claims(fake.jwts[0]!).iat
      assert.isAtLeast(shift, 7199)
      assert.isAtMost(shift, 7201)
      // The skew is kept: the mint's JWT is on GitHub's time too.
      assert.strictEqual(claims(fake.jwts[2]!).iat, claims(fake.jwts[1]!).iat)
    }).pipe(Effect.provide(layer))
  })

  it.effect("an organization without the App fails in a sentence that names it", () => {
    const fake = fakeApp({ a: { id: 1 } })
    const { layer } = scripted(fake.script, noUserToken)
    return Effect.gen(function* () {
      const client = yield* GitHubClient
      const e = yield* Effect.flip(client.getSpace(org("elsewhere"), 1))
      assert.strictEqual(e.reason._tag, "NotInstalled")
      assert.match(e.message, /the GitHub App is not installed on elsewhere/)
      assert.deepStrictEqual(fake.dataTokens, [])
    }).pipe(Effect.provide(layer))
  })

  it.effect("a permission the installation lacks is named, and the request is not sent", () => {
    const fake = fakeApp({ a: { id: 1, permissions: { organization_copilot_spaces: "read" } } })
    const { layer } = scripted(fake.script, noUserToken)
    return Effect.gen(function* () {
      const client = yield* GitHubClient
      yield* client.getSpace(org("a"), 1)
      const collaborators = yield* Effect.flip(client.listCollaborators(org("a"), 1))
      assert.strictEqual(collaborators.reason._tag, "MissingPermission")
      assert.match(collaborators.message, /lacks the "GitHub Copilot Business" permission \(read\)/)
      // Without Members, a member would look like a non-member (404): fail instead of answering false.
      const member = yield* Effect.flip(client.isMember("a", "mona"))
      assert.match(member.message, /lacks the "Members" permission \(read\)/)
      const write = yield* Effect.flip(client.deleteSpace(org("a"), 1))
      assert.match(write.message, /lacks the "Copilot Spaces" permission \(write\)/)
      assert.strictEqual(fake.dataTokens.length, 1)
    }).pipe(Effect.provide(layer))
  })

  it.effect("users' own spaces use the personal token, and without one fail in a sentence that says so", () =>
    Effect.gen(function* () {
      const fake = fakeApp({})
      const without = scripted(fake.script, noUserToken)
      const getMona = Effect.flatMap(GitHubClient, (c) => c.getSpace(user("mona"), 1))
      const e = yield* Effect.flip(getMona).pipe(Effect.provide(without.layer))
      assert.strictEqual(e.reason._tag, "NeedsUserToken")
      assert.match(e.message, /mona's own spaces cannot be read with a GitHub App installation token: set GH_TOKEN/)
      assert.strictEqual(without.sent.length, 0)

      const withToken = scripted(fake.script, { token: Redacted.make("ghp_mona"), app })
      yield* getMona.pipe(Effect.provide(withToken.layer))
      assert.deepStrictEqual(fake.dataTokens, ["ghp_mona"])
    })
  )

  it.effect("lists every installation of the App, page by page", () => {
    const page = (n: number, ids: Array<number>, next?: string): RawResponse =>
      ok(
        ids.map((id) => ({
          id,
          account: { login: `org${id}`, type: id === 3 ? "User" : "Organization" },
          suspended_at: id === 4 ? "2026-01-01T00:00:00Z" : null
        })),
        next === undefined ? {} : { link: `<${next}>; rel="next"` }
      )
    const fake = fakeApp(
      {},
      {
        jwtRoute: (r) =>
          r.route.includes("/app/installations")
            ? r.route.includes("page=2")
              ? page(2, [3, 4])
              : page(1, [1, 2], "https://api.github.com/app/installations?per_page=100&page=2")
            : undefined
      }
    )
    const { layer } = scripted(fake.script, noUserToken)
    return Effect.gen(function* () {
      const client = yield* GitHubClient
      const all = yield* client.installations
      assert.deepStrictEqual(
        all.map((i) => [i.account, i.kind]),
        [
          ["org1", "org"],
          ["org2", "org"],
          ["org3", "user"]
        ]
      )
    }).pipe(Effect.provide(layer))
  })
})

describe("a primary budget per installation", () => {
  it.effect("one organization waiting for its budget's reset never stops another's requests", () => {
    // a's budget is spent by its first answer and resets in 10 minutes; b's is plentiful.
    const fake = fakeApp({ a: { id: 1, remaining: () => "0", reset: "600" }, b: { id: 2 } })
    const { layer, sent } = scripted(fake.script, noUserToken)
    return Effect.gen(function* () {
      const client = yield* GitHubClient
      yield* client.getSpace(org("a"), 1)
      const a = yield* Effect.forkChild(client.getSpace(org("a"), 2))
      const b = yield* Effect.forkChild(
        Effect.all(
          [1, 2, 3].map((n) => client.getSpace(org("b"), n)),
          { concurrency: 1 }
        )
      )
      yield* TestClock.adjust("1 second")
      yield* Fiber.join(b)
      assert.deepStrictEqual(fake.dataTokens, ["ghs_1_0", "ghs_2_1", "ghs_2_1", "ghs_2_1"])
      assert.deepStrictEqual(yield* client.budgetOf(org("a")), { limit: 5000, remaining: 0, used: 5000, resetAt: 600 })
      assert.strictEqual((yield* client.budgetOf(org("b")))?.remaining, 4000)
      assert.isDefined(yield* client.pausedUntilOf(org("a")))
      assert.isUndefined(yield* client.pausedUntilOf(org("b")))
      yield* TestClock.adjust("10 minutes")
      yield* Fiber.join(a)
      const aSecond = sent.filter((s) => s.request.credential?.scheme === "token" && s.request.params?.org === "a")
      assert.isAtLeast(aSecond[1]!.at, 601_000)
    }).pipe(Effect.provide(layer))
  })
})

describe("the App's private key", () => {
  it("accepts PKCS#1 and PKCS#8 RSA keys and says what is wrong with anything else, never quoting it", () => {
    assert.isUndefined(checkPrivateKey(keys.privateKey))
    assert.isUndefined(checkPrivateKey(pkcs8))
    assert.strictEqual(checkPrivateKey("hunter2"), "is not a PEM file (it has no -----BEGIN line)")
    const broken = "-----BEGIN RSA PRIVATE KEY-----\nnot-a-key-secret\n-----END RSA PRIVATE KEY-----\n"
    const said = checkPrivateKey(broken)!
    assert.match(said, /not a readable PEM private key/)
    assert.notInclude(said, "not-a-key-secret")
    assert.match(checkPrivateKey("-----BEGIN OPENSSH PRIVATE KEY-----\nx\n")!, /OpenSSH/)
  })
})
