// Which token each request carries: one personal token for everything, or a GitHub App's installation token for
// the organization a request is about (found with GET /orgs/{org}/installation), minted, renewed before it expires
// and once after a 401. JWTs are signed by @octokit/auth-app; the calls it would make itself go through our client.
import { createPrivateKey } from "node:crypto"
import { createAppAuth } from "@octokit/auth-app"
import { Clock, Context, Effect, Option, Redacted, Schema, Semaphore } from "effect"
import type { Owner } from "../domain/Owner.ts"
import { GitHubError } from "./GitHubError.ts"
import { nextLink } from "./Link.ts"
import type { BudgetKey } from "./RateGate.ts"
import { singleBudget } from "./RateGate.ts"
import { tokenKindOf, type TokenKind } from "./TokenKind.ts"
import type { RawResponse, TransportRequest } from "./Transport.ts"

/** The App a process authenticates as. `privateKey` is the PEM text (PKCS#1 or PKCS#8), never logged. */
export interface AppCredentials {
  readonly appId: string
  readonly privateKey: Redacted.Redacted<string>
  /** Use this installation for every organization instead of looking each one up. */
  readonly installationId?: number | undefined
}

/** What a request is sent with; `renew` gives the credential to send it again with after a 401, if there is one. */
export interface Credential {
  readonly scheme: "token" | "bearer"
  readonly token: Redacted.Redacted<string>
  readonly budget: BudgetKey
  /** The installation's account and granted permissions, for an installation token. */
  readonly installation?: { readonly account: string; readonly permissions: Readonly<Record<string, string>> }
  readonly renew?: ((rejected: RawResponse) => Effect.Effect<Credential | undefined, GitHubError>) | undefined
}

/** One installation of the App, as GET /app/installations lists it. */
export interface Installation {
  readonly id: number
  readonly account: string
  readonly kind: "org" | "user"
}

/** Sends a request with the credential it carries (the client's executor: gate, retries, judging). */
export type SendWith = (
  request: Omit<TransportRequest, "credential"> & { readonly credential: Credential }
) => Effect.Effect<RawResponse, GitHubError>

export interface GitHubAuth {
  readonly mode: "token" | "app"
  /** The credential for a request about `owner` (undefined: about no owner in particular). */
  readonly credentialFor: (owner: Owner | undefined) => Effect.Effect<Credential, GitHubError>
  readonly tokenKindFor: (owner: Owner) => TokenKind
  /** The budget requests about `owner` spend, once known (an App's installation is known after its lookup). */
  readonly budgetFor: (owner: Owner) => BudgetKey | undefined
  /** Every installation of the App (GET /app/installations, paged); empty with a personal token. */
  readonly installations: Effect.Effect<ReadonlyArray<Installation>, GitHubError>
}

/**
 * The owner requests of the current fiber are about, for requests whose path names none (a repository by id, a
 * user lookup): the export sets it per owner, replay to its target.
 */
export const RequestOwner = Context.Reference<Owner | undefined>("@spaces-vault/core/github/RequestOwner", {
  defaultValue: () => undefined
})

/** Runs `effect` with its requests about `owner` (their token, their budget). */
export const asOwner =
  (owner: Owner) =>
  <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.provideService(effect, RequestOwner, owner)

/** The owner a request's path names: /orgs/{org}/… or a user's /users/{username}/copilot-spaces…. */
export const ownerOfPath = (path: string): Owner | undefined => {
  const org = /\/orgs\/([^/?]+)/.exec(path)
  if (org !== null) return { kind: "org", login: decodeURIComponent(org[1]!) }
  const user = /\/users\/([^/?]+)\/copilot-spaces/.exec(path)
  return user === null ? undefined : { kind: "user", login: decodeURIComponent(user[1]!) }
}

/**
 * Checks a PEM private key before any request, so a wrong file is a configuration error in one sentence. The
 * failure never includes the key's text.
 */
export const checkPrivateKey = (pem: string): string | undefined => {
  if (!pem.includes("-----BEGIN")) return "is not a PEM file (it has no -----BEGIN line)"
  if (pem.includes("OPENSSH PRIVATE KEY")) return "is an OpenSSH key; GitHub Apps use a PEM key (PKCS#1 or PKCS#8)"
  try {
    const key = createPrivateKey(pem)
    if (key.asymmetricKeyType !== "rsa") return `holds a ${key.asymmetricKeyType ?? "non-RSA"} key, not an RSA key`
    return undefined
  } catch {
    return "is not a readable PEM private key (PKCS#1 or PKCS#8, unencrypted)"
  }
}

const tokenAuth = (token: Redacted.Redacted<string>): GitHubAuth => {
  const credential: Credential = { scheme: "token", token, budget: singleBudget }
  const kind = tokenKindOf(Redacted.value(token))
  return {
    mode: "token",
    credentialFor: () => Effect.succeed(credential),
    tokenKindFor: () => kind,
    budgetFor: () => singleBudget,
    installations: Effect.succeed([])
  }
}

/** Renew an installation token this long before GitHub's expiry: a request may queue behind a pause meanwhile. */
const RENEW_BEFORE_MS = 5 * 60_000
/** A JWT is signed for ~9.5 minutes (auth-app); sign a new one after this. */
const JWT_REUSE_MS = 4 * 60_000
/** GitHub's answers to a JWT whose time claims its clock refuses. */
const SKEW_MESSAGE = /'Expiration time' claim \('exp'\)|'Issued at' claim \('iat'\)/

const InstallationBody = Schema.Struct({
  id: Schema.Int,
  account: Schema.NullOr(Schema.Struct({ login: Schema.String, type: Schema.optionalKey(Schema.String) })),
  permissions: Schema.optionalKey(Schema.Record(Schema.String, Schema.String)),
  suspended_at: Schema.optionalKey(Schema.NullOr(Schema.String))
})
const TokenBody = Schema.Struct({
  token: Schema.String,
  expires_at: Schema.String,
  permissions: Schema.optionalKey(Schema.Record(Schema.String, Schema.String))
})

interface Minted {
  readonly credential: Credential
  /** On our clock (ms). */
  readonly renewAt: number
}

const invalid = (method: string, path: string, detail: string) =>
  new GitHubError({ reason: { _tag: "InvalidResponse", detail }, method, path })

/** GitHub's clock minus ours, from an answer's `date` header (0 without one). */
const skewOf = (res: RawResponse, localNow: number): number => {
  const date = Date.parse(res.headers.date ?? "")
  return Number.isFinite(date) ? date - localNow : 0
}

const appAuth = (
  app: AppCredentials,
  userToken: Redacted.Redacted<string> | undefined,
  sendWith: SendWith
): GitHubAuth => {
  const userCredential: Credential | undefined =
    userToken === undefined ? undefined : { scheme: "token", token: userToken, budget: { key: "user-token" } }
  const userKind = userToken === undefined ? "app-installation" : tokenKindOf(Redacted.value(userToken))
  // GitHub's clock minus ours, learned when GitHub refused a JWT's time claims.
  let skewMs = 0
  let jwt: { readonly token: Redacted.Redacted<string>; readonly at: number; readonly skew: number } | undefined
  const installationsByOrg = new Map<string, { readonly id: number; readonly account: string }>()
  const tokens = new Map<number, Minted>()
  const locks = new Map<string, Semaphore.Semaphore>()
  const lockOf = (key: string) => {
    const lock = locks.get(key) ?? Semaphore.makeUnsafe(1)
    locks.set(key, lock)
    return lock
  }

  /** A JWT signed by @octokit/auth-app for GitHub's time as we know it (our clock plus the skew learned). */
  const signJwt = (fresh: boolean) =>
    Effect.gen(function* () {
      const now = yield* Clock.currentTimeMillis
      if (!fresh && jwt !== undefined && jwt.skew === skewMs && now - jwt.at < JWT_REUSE_MS) return jwt.token
      // auth-app reads the wall clock; its timeDifference shifts it to our clock (a test clock) plus the skew.
      const timeDifference = Math.round((now + skewMs - Date.now()) / 1000)
      const auth = createAppAuth({
        appId: app.appId,
        privateKey: Redacted.value(app.privateKey),
        ...(timeDifference !== 0 ? { timeDifference } : {}),
        log: { warn: () => {} }
      })
      const signed = yield* Effect.tryPromise({
        try: () => auth({ type: "app" }),
        catch: () => new GitHubError({ reason: { _tag: "AppRejected" }, method: "SIGN", path: "JWT" })
      })
      jwt = { token: Redacted.make(signed.token), at: now, skew: skewMs }
      return jwt.token
    })

  const jwtCredential = (token: Redacted.Redacted<string>): Credential => ({
    scheme: "bearer",
    token,
    budget: { key: "app", label: "the App" },
    // A JWT GitHub's clock refuses: learn the skew from its `date` header and sign once more.
    renew: (rejected) =>
      Effect.gen(function* () {
        const message = (rejected.data as { message?: unknown } | undefined)?.message
        if (typeof message !== "string" || !SKEW_MESSAGE.test(message)) return undefined
        const now = yield* Clock.currentTimeMillis
        const skew = skewOf(rejected, now)
        if (skew === 0 || skew === skewMs) return undefined
        skewMs = skew
        yield* Effect.logWarning(
          `GitHub's clock differs from this machine's by ${Math.round(skew / 1000)} s: the App's JWT follows GitHub's`
        )
        return { ...jwtCredential(yield* signJwt(true)), renew: undefined }
      })
  })

  /** A request authenticated as the App itself (JWT), its clock-skew rejection corrected once. */
  const asApp = (request: TransportRequest) =>
    Effect.gen(function* () {
      return yield* sendWith({ ...request, credential: jwtCredential(yield* signJwt(false)) })
    })

  const installationOf = (org: string) =>
    Effect.gen(function* () {
      const known = installationsByOrg.get(org.toLowerCase())
      if (known !== undefined) return known
      if (app.installationId !== undefined) return { id: app.installationId, account: org }
      const path = `/orgs/${encodeURIComponent(org)}/installation`
      const res = yield* asApp({ route: "GET /orgs/{org}/installation", params: { org } }).pipe(
        Effect.catchTag("GitHubError", (e) =>
          e.reason._tag === "NotFound"
            ? Effect.fail(
                new GitHubError({
                  reason: { _tag: "NotInstalled", account: org, suspended: false },
                  method: "GET",
                  path
                })
              )
            : Effect.fail(e)
        )
      )
      const body = yield* Schema.decodeUnknownEffect(InstallationBody)(res.data).pipe(
        Effect.mapError((e) => invalid("GET", path, e.message.split("\n")[0]!))
      )
      if (body.suspended_at !== undefined && body.suspended_at !== null) {
        return yield* new GitHubError({
          reason: { _tag: "NotInstalled", account: org, suspended: true },
          method: "GET",
          path
        })
      }
      const found = { id: body.id, account: body.account?.login ?? org }
      installationsByOrg.set(org.toLowerCase(), found)
      return found
    })

  /** Mints a token for the installation; its expiry is read against GitHub's `date`, so a skewed clock renews in time. */
  const mint = (installation: { readonly id: number; readonly account: string }): Effect.Effect<Minted, GitHubError> =>
    Effect.gen(function* () {
      const path = `/app/installations/${installation.id}/access_tokens`
      const res = yield* asApp({
        route: "POST /app/installations/{installation_id}/access_tokens",
        params: { installation_id: installation.id }
      }).pipe(
        Effect.catchTag("GitHubError", (e) =>
          e.status === 403 && /suspend/i.test(e.githubMessage ?? "")
            ? Effect.fail(
                new GitHubError({
                  reason: { _tag: "NotInstalled", account: installation.account, suspended: true },
                  method: "POST",
                  path
                })
              )
            : Effect.fail(e)
        )
      )
      const body = yield* Schema.decodeUnknownEffect(TokenBody)(res.data).pipe(
        Effect.mapError((e) => invalid("POST", path, e.message.split("\n")[0]!))
      )
      const now = yield* Clock.currentTimeMillis
      const expires = Date.parse(body.expires_at)
      const github = Date.parse(res.headers.date ?? "")
      // How long the token lives, by GitHub's clock; an hour when GitHub did not say in a way we can read.
      const lifetime = Number.isFinite(expires) && Number.isFinite(github) ? expires - github : 3_600_000
      const credential: Credential = {
        scheme: "token",
        token: Redacted.make(body.token),
        budget: { key: `installation:${installation.id}`, label: `${installation.account}'s installation` },
        installation: { account: installation.account, permissions: body.permissions ?? {} },
        renew: () => renewAfter401(installation, body.token)
      }
      // A token shorter-lived than usual (a test server) is still renewed before its end, not before every request.
      const margin = Math.min(RENEW_BEFORE_MS, lifetime / 4)
      const minted: Minted = { credential, renewAt: now + Math.max(lifetime - margin, 0) }
      tokens.set(installation.id, minted)
      return minted
    })

  /** The installation's token, minted when there is none or it is due for renewal; one mint at a time per installation. */
  const tokenOf = (installation: { readonly id: number; readonly account: string }) =>
    Effect.gen(function* () {
      const cached = tokens.get(installation.id)
      if (cached !== undefined && (yield* Clock.currentTimeMillis) < cached.renewAt) return cached.credential
      return yield* lockOf(`token:${installation.id}`).withPermits(1)(
        Effect.gen(function* () {
          const again = tokens.get(installation.id)
          if (again !== undefined && (yield* Clock.currentTimeMillis) < again.renewAt) return again.credential
          return (yield* mint(installation)).credential
        })
      )
    })

  /**
   * A token GitHub refused (revoked, or expired early by its clock): mint a new one, once, unless another request
   * already replaced it. The request that met the 401 did nothing, so sending it again repeats no work.
   */
  const renewAfter401 = (installation: { readonly id: number; readonly account: string }, refused: string) =>
    Effect.gen(function* () {
      return yield* lockOf(`token:${installation.id}`).withPermits(1)(
        Effect.gen(function* () {
          // Requests in flight meet the same 401 together: the first mints, the others take its token.
          const current = tokens.get(installation.id)
          if (current !== undefined && Redacted.value(current.credential.token) !== refused)
            return { ...current.credential, renew: undefined }
          const minted = yield* mint(installation)
          return { ...minted.credential, renew: undefined }
        })
      )
    })

  const credentialFor = (owner: Owner | undefined): Effect.Effect<Credential, GitHubError> => {
    if (owner === undefined) {
      if (userCredential !== undefined) return Effect.succeed(userCredential)
      if (app.installationId !== undefined)
        return tokenOf({ id: app.installationId, account: `installation ${app.installationId}` })
      return Effect.fail(new GitHubError({ reason: { _tag: "NoInstallationFor" }, method: "GET", path: "(no owner)" }))
    }
    if (owner.kind === "user") {
      return userCredential !== undefined
        ? Effect.succeed(userCredential)
        : Effect.fail(
            new GitHubError({
              reason: { _tag: "NeedsUserToken", account: owner.login },
              method: "GET",
              path: `/users/${owner.login}/copilot-spaces`
            })
          )
    }
    return lockOf(`org:${owner.login.toLowerCase()}`)
      .withPermits(1)(installationOf(owner.login))
      .pipe(Effect.flatMap(tokenOf))
  }

  const installations = Effect.gen(function* () {
    const found: Array<Installation> = []
    let request: TransportRequest | undefined = { route: "GET /app/installations", params: { per_page: 100 } }
    while (request !== undefined) {
      const res: RawResponse = yield* asApp(request)
      const page = yield* Schema.decodeUnknownEffect(Schema.Array(InstallationBody))(res.data).pipe(
        Effect.mapError((e) => invalid("GET", "/app/installations", e.message.split("\n")[0]!))
      )
      for (const i of page) {
        if (i.account === null || (i.suspended_at !== undefined && i.suspended_at !== null)) continue
        const kind = i.account.type === "User" ? "user" : "org"
        found.push({ id: i.id, account: i.account.login, kind })
        if (kind === "org")
          installationsByOrg.set(i.account.login.toLowerCase(), { id: i.id, account: i.account.login })
      }
      const next = Option.fromUndefinedOr(nextLink(res.headers.link))
      request = Option.match(next, { onNone: () => undefined, onSome: (url) => ({ route: `GET ${url}` }) })
    }
    return found
  })

  return {
    mode: "app",
    credentialFor,
    tokenKindFor: (owner) => (owner.kind === "user" ? userKind : "app-installation"),
    budgetFor: (owner) => {
      if (owner.kind === "user") return userCredential?.budget
      const installation = installationsByOrg.get(owner.login.toLowerCase())
      const id = installation?.id ?? app.installationId
      return id === undefined ? undefined : tokens.get(id)?.credential.budget
    },
    installations
  }
}

/**
 * The auth of a client: the App's when `app` is given (with `token`, if any, for users' own spaces), else `token`
 * for every request. `sendWith` sends the App's own requests (installation lookups, token minting).
 */
export const makeGitHubAuth = (
  token: Redacted.Redacted<string> | undefined,
  app: AppCredentials | undefined,
  sendWith: SendWith
): GitHubAuth => (app === undefined ? tokenAuth(token ?? Redacted.make("")) : appAuth(app, token, sendWith))
