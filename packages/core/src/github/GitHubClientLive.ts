// The live GitHub client: typed routes through Transport, judged by RetryPolicy, paced and paused by RateGate,
// decoded with the domain Schemas. Conditional GETs send If-None-Match and map 304 to NotModified.
import { Clock, Duration, Effect, Layer, Option, Redacted, Ref, Schema, Stream } from "effect"
import type { Owner } from "../domain/owner.ts"
import { Collaborator, Repository, Space, SpaceListItem, type SpaceInput } from "../domain/space.ts"
import {
  GitHubClient,
  tokenKindOf,
  type Conditional,
  type GitHubClientShape,
  type RequestStats
} from "./GitHubClient.ts"
import { loadClientOptions, type ConfigOverrides, type GitHubClientOptions } from "./GitHubConfig.ts"
import { GitHubError } from "./GitHubError.ts"
import { nextLink } from "./Link.ts"
import { makeRateGate, type Lane } from "./RateGate.ts"
import { errorOf, isIdempotent, withRetries } from "./RetryPolicy.ts"
import { Transport, TransportFailure, type RawResponse, type TransportRequest } from "./Transport.ts"

const pathOf = (route: string, params: Record<string, unknown> = {}): string => {
  const target = route.slice(route.indexOf(" ") + 1)
  if (/^https?:\/\//.test(target)) return new URL(target).pathname
  return target.replace(/\{([^}]+)\}/g, (_, k: string) => encodeURIComponent(String(params[k])))
}

const ownerParams = (owner: Owner) => (owner.kind === "org" ? { org: owner.login } : { username: owner.login })
const ownerRoute = (owner: Owner, suffix: string) =>
  `${owner.kind === "org" ? "/orgs/{org}" : "/users/{username}"}/copilot-spaces${suffix}`

/** A conditional answer, with its Link header (for the lists that may have more pages). */
type Paged<A> =
  | Exclude<Conditional<A>, { _tag: "Modified" }>
  | (Extract<Conditional<A>, { _tag: "Modified" }> & { readonly link?: string | undefined })

const ListPage = Schema.Struct({ spaces: Schema.Array(SpaceListItem) })
const CollaboratorList = Schema.Struct({ collaborators: Schema.Array(Collaborator) })
const TeamLookup = Schema.Struct({ id: Schema.Int, slug: Schema.String })
const UserLookup = Schema.Struct({ id: Schema.Int, login: Schema.String, type: Schema.String })
const OrgLookup = Schema.Struct({ id: Schema.Int, login: Schema.String })

/** Repeated secondary limits double the wait up to this; a longer retry-after from GitHub is still obeyed. */
const SECONDARY_BACKOFF_CAP_MS = 15 * 60 * 1000

/**
 * GitHub's clock at the time of an answer (its `date` header), else ours. x-ratelimit-reset is a moment on GitHub's
 * clock: measured against ours, a clock running ahead would end the wait early and spend the retries in vain.
 * `date` has whole seconds, so the wait may be up to a second long; callers add a second anyway.
 */
const githubNow = (res: RawResponse, localNow: number): number => {
  const date = Date.parse(res.headers.date ?? "")
  return Number.isFinite(date) ? date : localNow
}

/** When to send again after a primary limit resetting at `resetMs` on GitHub's clock: a second after it, on ours. */
const afterReset = (resetMs: number, res: RawResponse, localNow: number): number =>
  localNow + Math.max(resetMs - githubNow(res, localNow), 0) + 1000

export const makeGitHubClient = (options: GitHubClientOptions) =>
  Effect.gen(function* () {
    const transport = yield* Transport
    const gate = yield* makeRateGate(options)
    const stats = yield* Ref.make<RequestStats>({ sent: 0, notModified: 0, retries: 0, rateLimitWaits: 0 })
    const origin = new URL(options.apiUrl).origin
    const bump = (f: (s: RequestStats) => Partial<RequestStats>) => Ref.update(stats, (s) => ({ ...s, ...f(s) }))

    const timeout = options.requestTimeout ?? Duration.seconds(60)
    /** One exchange; a silent connection is cut (interrupting the fetch) and treated like a reset. */
    const send = (request: TransportRequest) =>
      transport.send(request).pipe(
        Effect.timeoutOrElse({
          duration: timeout,
          orElse: () => Effect.fail(new TransportFailure({ detail: `no answer within ${Duration.format(timeout)}` }))
        })
      )

    /**
     * One attempt: through the gate, then judged. Rate limits pause the gate for every fiber before failing.
     * `secondary` carries this request's last secondary-limit wait: GitHub asks for exponentially longer waits
     * when the limit keeps coming back, so each repeat waits at least twice the one before (capped).
     */
    const attempt = (
      lane: Lane,
      endpoint: string,
      request: TransportRequest,
      method: string,
      path: string,
      /** The wait after this request's last secondary limit; undefined before the first. */
      secondary: { lastWaitMs: number | undefined }
    ) =>
      gate
        .run(
          lane,
          endpoint,
          Effect.andThen(
            bump((s) => ({ sent: s.sent + 1 })),
            send(request)
          )
        )
        .pipe(
          Effect.mapError((f) => new GitHubError({ reason: { _tag: "Transient", detail: f.detail }, method, path })),
          Effect.flatMap((res) =>
            Effect.gen(function* () {
              yield* gate.observe(res.headers)
              const now = yield* Clock.currentTimeMillis
              if ((res.status >= 200 && res.status < 300) || res.status === 304) {
                // The last point of budget is spent: hold everything until the window resets.
                if (res.headers["x-ratelimit-remaining"] === "0") {
                  const reset = Number(res.headers["x-ratelimit-reset"]) * 1000
                  if (reset > githubNow(res, now))
                    yield* gate.pauseUntil(afterReset(reset, res, now), "primary budget used up")
                }
                return res
              }
              const error = errorOf(method, path, res, options)
              if (error.reason._tag === "SecondaryRateLimited") {
                yield* bump((s) => ({ rateLimitWaits: s.rateLimitWaits + 1 }))
                // GitHub: "if it keeps happening, back off exponentially". From the second limit on, at least double
                // the last wait (from 1 s, so that `retry-after: 0` grows too), up to the cap.
                const asked = error.reason.retryAfterSeconds * 1000
                const last = secondary.lastWaitMs
                const backoff = last === undefined ? 0 : Math.min(Math.max(2 * last, 1000), SECONDARY_BACKOFF_CAP_MS)
                const waitMs = Math.max(asked, backoff)
                secondary.lastWaitMs = waitMs
                yield* gate.pauseUntil(now + waitMs, `secondary rate limit on ${method} ${path}`)
              } else if (error.reason._tag === "RateLimited") {
                yield* bump((s) => ({ rateLimitWaits: s.rateLimitWaits + 1 }))
                // x-ratelimit-reset is in whole seconds: wait until it has surely passed. Without a usable reset,
                // GitHub's advice for an unexplained limit applies: wait at least the floor (a minute).
                const resetMs = error.reason.resetAt * 1000
                const until =
                  resetMs > 0 ? afterReset(resetMs, res, now) : now + Duration.toMillis(options.secondaryFloor)
                yield* gate.pauseUntil(until, `primary rate limit on ${method} ${path}`)
              }
              return yield* error
            })
          )
        )

    /**
     * An attempt with retries; counts the retries it took. `endpoint` names the route template for
     * per-endpoint budgets (a Link URL belongs to its list route).
     */
    const execute = (
      lane: Lane,
      request: TransportRequest,
      endpoint = request.route
    ): Effect.Effect<RawResponse, GitHubError> => {
      const method = request.route.slice(0, request.route.indexOf(" "))
      const path = pathOf(request.route, request.params)
      let attempts = 0
      const secondary: { lastWaitMs: number | undefined } = { lastWaitMs: undefined }
      return Effect.suspend(() => {
        attempts++
        const once = attempt(lane, endpoint, request, method, path, secondary)
        // A DELETE resent after a lost answer finds the thing gone because the first one went through: done.
        return method === "DELETE" && attempts > 1
          ? Effect.catchIf(
              once,
              (e) => e.reason._tag === "NotFound",
              () => Effect.succeed<RawResponse>({ status: 204, headers: {}, data: undefined })
            )
          : once
      }).pipe(
        withRetries(options, isIdempotent(method, request.params)),
        // No span per request: nothing exports traces, and a span per request was ~5% of an export's CPU. Waits,
        // retries and failures are logged and counted in `stats` instead.
        Effect.ensuring(
          Effect.suspend(() => (attempts > 1 ? bump((s) => ({ retries: s.retries + attempts - 1 })) : Effect.void))
        )
      )
    }

    const decode = <S extends Schema.Codec<any, any, never, never>>(
      schema: S,
      res: RawResponse,
      method: string,
      path: string
    ) =>
      Schema.decodeUnknownEffect(schema)(res.data).pipe(
        Effect.mapError(
          (e) =>
            new GitHubError({
              reason: { _tag: "InvalidResponse", detail: e.message.split("\n").slice(0, 3).join(" ") },
              method,
              path,
              status: res.status
            })
        )
      )

    const conditional = <S extends Schema.Codec<any, any, never, never>, A>(
      route: string,
      params: Record<string, unknown>,
      schema: S,
      etag: string | undefined,
      pick: (decoded: S["Type"]) => A
    ): Effect.Effect<Paged<A>, GitHubError> =>
      execute("read", { route, params, ...(etag !== undefined ? { headers: { "if-none-match": etag } } : {}) }).pipe(
        Effect.flatMap((res) => {
          const method = "GET"
          const path = pathOf(route, params)
          if (res.status === 304) {
            if (etag === undefined) {
              return Effect.fail(new GitHubError({ reason: { _tag: "UnexpectedStatus" }, method, path, status: 304 }))
            }
            return bump((s) => ({ notModified: s.notModified + 1 })).pipe(Effect.as({ _tag: "NotModified" } as const))
          }
          return decode(schema, res, method, path).pipe(
            Effect.map(
              (value): Paged<A> => ({
                _tag: "Modified",
                value: pick(value),
                raw: res.data,
                etag: res.headers.etag,
                link: res.headers.link
              })
            )
          )
        })
      )

    const plain = <S extends Schema.Codec<any, any, never, never>>(
      lane: Lane,
      route: string,
      params: Record<string, unknown>,
      schema: S
    ) =>
      execute(lane, { route, params }).pipe(
        Effect.flatMap((res) => decode(schema, res, route.slice(0, route.indexOf(" ")), pathOf(route, params)))
      )

    /** The request for the page after `res`, if its Link header names one; GitHub's URL verbatim, never another host's. */
    const nextPage = (
      link: string | undefined,
      path: string
    ): Effect.Effect<Option.Option<TransportRequest>, GitHubError> => {
      const next = nextLink(link)
      if (next === undefined) return Effect.succeed(Option.none())
      const url = new URL(next, origin)
      if (url.origin !== origin) {
        return Effect.fail(
          new GitHubError({
            reason: { _tag: "InvalidResponse", detail: `Link rel="next" points to another host: ${url.origin}` },
            method: "GET",
            path
          })
        )
      }
      return Effect.succeed(Option.some({ route: `GET ${url.toString()}` }))
    }

    /**
     * Every page from `start` on, following Link rel="next", each through the gate with retries; `endpoint` names
     * the list's route template (a Link URL belongs to it). Emits what `items` takes from each decoded page.
     */
    const pagesFrom = <S extends Schema.Codec<any, any, never, never>, B>(
      endpoint: string,
      start: TransportRequest,
      schema: S,
      items: (page: S["Type"], raw: unknown) => ReadonlyArray<B>
    ): Stream.Stream<B, GitHubError> =>
      Stream.paginate(start, (request) => {
        const path = pathOf(request.route, request.params)
        return execute("read", request, endpoint).pipe(
          Effect.flatMap((res) =>
            decode(schema, res, "GET", path).pipe(
              Effect.flatMap((page) =>
                nextPage(res.headers.link, path).pipe(Effect.map((next) => [items(page, res.data), next] as const))
              )
            )
          )
        )
      })

    const listSpaces = (owner: Owner): Stream.Stream<SpaceListItem, GitHubError> => {
      const route = `GET ${ownerRoute(owner, "")}`
      return pagesFrom(
        route,
        { route, params: { ...ownerParams(owner), per_page: 100 } },
        ListPage,
        (page) => page.spaces
      )
    }

    /**
     * The collaborators list has no pagination in GitHub's description, but a list cut at a page would lose
     * collaborators silently: should GitHub send Link rel="next", the later pages are read and joined. The
     * ETag is then dropped, since it vouches for the first page only; the next export reads every page again.
     */
    const withLaterPages = (
      endpoint: string,
      first: Extract<Paged<ReadonlyArray<Collaborator>>, { _tag: "Modified" }>,
      next: TransportRequest
    ): Effect.Effect<Conditional<ReadonlyArray<Collaborator>>, GitHubError> =>
      Stream.runCollect(
        pagesFrom(endpoint, next, CollaboratorList, (page, raw) =>
          page.collaborators.map(
            (c, i) => [c, (raw as { collaborators: ReadonlyArray<unknown> }).collaborators[i]] as const
          )
        )
      ).pipe(
        Effect.map((later) => ({
          _tag: "Modified" as const,
          value: [...first.value, ...later.map(([c]) => c)],
          raw: {
            ...(first.raw as object),
            collaborators: [
              ...((first.raw as { collaborators?: ReadonlyArray<unknown> }).collaborators ?? []),
              ...later.map(([, r]) => r)
            ]
          },
          etag: undefined
        }))
      )

    const spaceRoute = (owner: Owner) => ownerRoute(owner, "/{space_number}")
    const withNumber = (owner: Owner, number: number) => ({ ...ownerParams(owner), space_number: number })
    const body = (input: SpaceInput) => ({ ...input })

    const client: GitHubClientShape = {
      apiUrl: options.apiUrl,
      tokenKind: tokenKindOf(Redacted.value(options.token)),
      listSpaces,
      getSpace: (owner, number, etag) =>
        conditional(`GET ${spaceRoute(owner)}`, withNumber(owner, number), Space, etag, (s) => s),
      listCollaborators: (owner, number, etag) => {
        const route = `GET ${ownerRoute(owner, "/{space_number}/collaborators")}`
        return conditional(route, withNumber(owner, number), CollaboratorList, etag, (l) => l.collaborators).pipe(
          Effect.flatMap((first) =>
            first._tag === "NotModified" || first.link === undefined
              ? Effect.succeed(first)
              : nextPage(first.link, pathOf(route, withNumber(owner, number))).pipe(
                  Effect.flatMap((next) =>
                    Option.isNone(next) ? Effect.succeed(first) : withLaterPages(route, first, next.value)
                  )
                )
          )
        )
      },
      getRepositoryById: (id, etag) =>
        conditional("GET /repositories/{repository_id}", { repository_id: id }, Repository, etag, (r) => r),
      getRepository: (owner, name) => plain("read", "GET /repos/{owner}/{repo}", { owner, repo: name }, Repository),
      getTeam: (org, slug) => plain("read", "GET /orgs/{org}/teams/{team_slug}", { org, team_slug: slug }, TeamLookup),
      getUser: (login) => plain("read", "GET /users/{username}", { username: login }, UserLookup),
      getOrg: (org) => plain("read", "GET /orgs/{org}", { org }, OrgLookup),
      isMember: (org, login) =>
        execute("read", { route: "GET /orgs/{org}/members/{username}", params: { org, username: login } }).pipe(
          Effect.as(true),
          Effect.catchTag("GitHubError", (e) => (e.reason._tag === "NotFound" ? Effect.succeed(false) : Effect.fail(e)))
        ),
      createSpace: (owner, input) =>
        plain("write", `POST ${ownerRoute(owner, "")}`, { ...ownerParams(owner), ...body(input) }, Space),
      updateSpace: (owner, number, input) =>
        plain("write", `PUT ${spaceRoute(owner)}`, { ...withNumber(owner, number), ...body(input) }, Space),
      deleteSpace: (owner, number) =>
        execute("write", { route: `DELETE ${spaceRoute(owner)}`, params: withNumber(owner, number) }).pipe(
          Effect.asVoid
        ),
      addCollaborator: (owner, number, actor) =>
        plain(
          "write",
          `POST ${ownerRoute(owner, "/{space_number}/collaborators")}`,
          { ...withNumber(owner, number), ...actor },
          Collaborator
        ),
      updateCollaborator: (owner, number, actorType, actorIdentifier, role) =>
        execute("write", {
          route: `PUT ${ownerRoute(owner, "/{space_number}/collaborators/{actor_type}/{actor_identifier}")}`,
          params: { ...withNumber(owner, number), actor_type: actorType, actor_identifier: actorIdentifier, role }
        }).pipe(Effect.asVoid),
      removeCollaborator: (owner, number, actorType, actorIdentifier) =>
        execute("write", {
          route: `DELETE ${ownerRoute(owner, "/{space_number}/collaborators/{actor_type}/{actor_identifier}")}`,
          params: { ...withNumber(owner, number), actor_type: actorType, actor_identifier: actorIdentifier }
        }).pipe(Effect.asVoid),
      budget: gate.budget,
      stats: Ref.get(stats),
      pausedUntil: gate.pausedUntil
    }
    return client
  })

/** The client over a given Transport (tests script the transport). */
export const layerWithTransport = (options: GitHubClientOptions) =>
  Layer.effect(GitHubClient, makeGitHubClient(options))

/** The live client over HTTP, from explicit options. */
export const layer = (options: GitHubClientOptions) =>
  layerWithTransport(options).pipe(Layer.provide(Transport.layerOctokit(options)))

/** The live client from Config (GH_TOKEN / GITHUB_TOKEN, GITHUB_API_URL), with flag overrides. */
export const layerConfig = (overrides: ConfigOverrides = {}) =>
  Layer.unwrap(loadClientOptions(overrides).pipe(Effect.map(layer)))
