// The live GitHub client: each endpoint as a typed route through the RequestExecutor (gate, retries, pauses),
// decoded with the domain Schemas. Conditional GETs send If-None-Match and map 304 to NotModified.
import { Effect, Redacted, Schema } from "effect"
import type { Owner } from "../domain/Owner.ts"
import { Collaborator, Repository, Space, SpaceListItem, type SpaceInput } from "../domain/Space.ts"
import type { GitHubClientShape } from "./GitHubClient.ts"
import type { GitHubClientOptions } from "./GitHubConfig.ts"
import { GitHubError } from "./GitHubError.ts"
import { allCollaborators, pagesFrom, type Paged } from "./Paging.ts"
import { makeGitHubAuth, type GitHubAuth } from "./GitHubAuth.ts"
import { makeRateGate, type Lane } from "./RateGate.ts"
import { makeRequestExecutor, type RequestExecutor } from "./RequestExecutor.ts"
import { methodOf, ownerParams, ownerRoute, pathOf, spaceParams } from "./Routes.ts"
import { tokenKindOf } from "./TokenKind.ts"
import { Transport } from "./Transport.ts"

const ListPage = Schema.Struct({ spaces: Schema.Array(SpaceListItem) })
const CollaboratorList = Schema.Struct({ collaborators: Schema.Array(Collaborator) })
const TeamLookup = Schema.Struct({ id: Schema.Int, slug: Schema.String })
const UserLookup = Schema.Struct({ id: Schema.Int, login: Schema.String, type: Schema.String })
const OrgLookup = Schema.Struct({ id: Schema.Int, login: Schema.String })

type Params = Record<string, unknown>

/** A GET that sends If-None-Match when given an ETag: 304 is NotModified, anything else is decoded and picked. */
const conditional =
  (executor: RequestExecutor) =>
  <S, A>(route: string, params: Params, schema: Schema.Decoder<S>, etag: string | undefined, pick: (s: S) => A) =>
    executor
      .execute("read", { route, params, ...(etag !== undefined ? { headers: { "if-none-match": etag } } : {}) })
      .pipe(
        Effect.flatMap((res): Effect.Effect<Paged<A>, GitHubError> => {
          const path = pathOf(route, params)
          if (res.status === 304) {
            if (etag === undefined) {
              return Effect.fail(
                new GitHubError({ reason: { _tag: "UnexpectedStatus" }, method: "GET", path, status: 304 })
              )
            }
            return executor
              .count((s) => ({ notModified: s.notModified + 1 }))
              .pipe(Effect.as({ _tag: "NotModified" } as const))
          }
          return executor.decode(schema, res, "GET", path).pipe(
            Effect.map(
              (value) =>
                ({
                  _tag: "Modified",
                  value: pick(value),
                  raw: res.data,
                  etag: res.headers.etag,
                  link: res.headers.link
                }) as const
            )
          )
        })
      )

/** A request whose answer is decoded with `schema`. */
const decoded =
  (executor: RequestExecutor) =>
  <S>(lane: Lane, route: string, params: Params, schema: Schema.Decoder<S>) =>
    executor
      .execute(lane, { route, params })
      .pipe(Effect.flatMap((res) => executor.decode(schema, res, methodOf(route), pathOf(route, params))))

/** A request whose answer carries nothing to read (204). */
const done = (executor: RequestExecutor) => (lane: Lane, route: string, params: Params) =>
  executor.execute(lane, { route, params }).pipe(Effect.asVoid)

const spaceRoute = (owner: Owner, suffix = "") => ownerRoute(owner, `/{space_number}${suffix}`)
const actorRoute = (owner: Owner) => spaceRoute(owner, "/collaborators/{actor_type}/{actor_identifier}")
const body = (input: SpaceInput) => ({ ...input })

export const makeGitHubClient = (options: GitHubClientOptions) =>
  Effect.gen(function* () {
    const transport = yield* Transport
    const gate = yield* makeRateGate(options)
    const userToken = Redacted.value(options.token) === "" ? undefined : options.token
    // The auth sends the App's own requests through the executor it serves: built once both exist.
    let auth: GitHubAuth | undefined
    const executor = yield* makeRequestExecutor(options, transport, gate, (owner) => auth!.credentialFor(owner))
    auth = makeGitHubAuth(userToken, options.app, (request) => executor.execute("read", request))
    const authOf = auth
    const origin = new URL(options.apiUrl).origin
    const [get, call, send] = [conditional(executor), decoded(executor), done(executor)]

    const client: GitHubClientShape = {
      apiUrl: options.apiUrl,
      tokenKind: options.app === undefined ? tokenKindOf(Redacted.value(options.token)) : "app-installation",
      authMode: authOf.mode,
      tokenKindFor: authOf.tokenKindFor,
      installations: authOf.installations,
      budgetOf: (owner) => {
        const key = authOf.budgetFor(owner)
        return key === undefined ? Effect.succeed(undefined) : gate.budgetOf(key)
      },
      pausedUntilOf: (owner) => {
        const key = authOf.budgetFor(owner)
        return key === undefined ? gate.pausedUntil : gate.pausedUntilOf(key)
      },
      listSpaces: (owner) => {
        const route = `GET ${ownerRoute(owner, "")}`
        const start = { route, params: { ...ownerParams(owner), per_page: 100 } }
        return pagesFrom(executor, origin, route, start, ListPage, (page) => page.spaces)
      },
      getSpace: (owner, number, etag) =>
        get(`GET ${spaceRoute(owner)}`, spaceParams(owner, number), Space, etag, (s) => s),
      listCollaborators: (owner, number, etag) => {
        const route = `GET ${spaceRoute(owner, "/collaborators")}`
        const params = spaceParams(owner, number)
        return get(route, params, CollaboratorList, etag, (l) => l.collaborators).pipe(
          Effect.flatMap((first) =>
            allCollaborators(executor, origin, route, first, pathOf(route, params), CollaboratorList)
          )
        )
      },
      getRepositoryById: (id, etag) =>
        get("GET /repositories/{repository_id}", { repository_id: id }, Repository, etag, (r) => r),
      getRepository: (owner, name) => call("read", "GET /repos/{owner}/{repo}", { owner, repo: name }, Repository),
      getTeam: (org, slug) => call("read", "GET /orgs/{org}/teams/{team_slug}", { org, team_slug: slug }, TeamLookup),
      getUser: (login) => call("read", "GET /users/{username}", { username: login }, UserLookup),
      getOrg: (org) => call("read", "GET /orgs/{org}", { org }, OrgLookup),
      isMember: (org, login) =>
        send("read", "GET /orgs/{org}/members/{username}", { org, username: login }).pipe(
          Effect.as(true),
          Effect.catchTag("GitHubError", (e) => (e.reason._tag === "NotFound" ? Effect.succeed(false) : Effect.fail(e)))
        ),
      createSpace: (owner, input) =>
        call("write", `POST ${ownerRoute(owner, "")}`, { ...ownerParams(owner), ...body(input) }, Space),
      updateSpace: (owner, number, input) =>
        call("write", `PUT ${spaceRoute(owner)}`, { ...spaceParams(owner, number), ...body(input) }, Space),
      deleteSpace: (owner, number) => send("write", `DELETE ${spaceRoute(owner)}`, spaceParams(owner, number)),
      addCollaborator: (owner, number, actor) =>
        call(
          "write",
          `POST ${spaceRoute(owner, "/collaborators")}`,
          { ...spaceParams(owner, number), ...actor },
          Collaborator
        ),
      updateCollaborator: (owner, number, actorType, actorIdentifier, role) =>
        send("write", `PUT ${actorRoute(owner)}`, {
          ...spaceParams(owner, number),
          actor_type: actorType,
          actor_identifier: actorIdentifier,
          role
        }),
      removeCollaborator: (owner, number, actorType, actorIdentifier) =>
        send("write", `DELETE ${actorRoute(owner)}`, {
          ...spaceParams(owner, number),
          actor_type: actorType,
          actor_identifier: actorIdentifier
        }),
      budget: gate.budget,
      stats: executor.stats,
      pausedUntil: gate.pausedUntil
    }
    return client
  })
