// The GitHub client as an Effect service: every call the tool makes to the REST API, typed, retried,
// rate-limited and paced. Layers: `layer` (over HTTP), `layerConfig` (from Config), `layerNoDeps` (over a given
// Transport) and `layerTest` (a double that dies on any method a test did not set up).
import { Context, Effect, Layer, Stream } from "effect"
import type { Owner } from "../domain/Owner.ts"
import type { Collaborator, CollaboratorRole, Repository, Space, SpaceInput, SpaceListItem } from "../domain/Space.ts"
import { makeGitHubClient } from "./GitHubClientLive.ts"
import { loadClientOptions, type ConfigOverrides, type GitHubClientOptions } from "./GitHubConfig.ts"
import type { Installation } from "./GitHubAuth.ts"
import type { GitHubError } from "./GitHubError.ts"
import type { TokenKind } from "./TokenKind.ts"
import { Transport } from "./Transport.ts"

export { tokenKindOf, type TokenKind } from "./TokenKind.ts"

/** What a conditional GET returned: a fresh body (with its ETag, when GitHub sent one) or 304. */
export type Conditional<A> =
  | { readonly _tag: "Modified"; readonly value: A; readonly raw: unknown; readonly etag: string | undefined }
  | { readonly _tag: "NotModified" }

/** The primary budget as the last response reported it (x-ratelimit-*). */
export interface RateBudget {
  readonly limit: number
  readonly remaining: number
  readonly used: number
  /** epoch seconds */
  readonly resetAt: number
}

/** Counters of what this client sent, for summaries and benchmarks. */
export interface RequestStats {
  /** HTTP requests actually sent, retries included */
  readonly sent: number
  /** 304 answers */
  readonly notModified: number
  /** retries after a transient failure or a rate limit */
  readonly retries: number
  /** waits imposed by rate limits (secondary or primary) */
  readonly rateLimitWaits: number
}

export interface GitHubClientShape {
  readonly apiUrl: string
  readonly tokenKind: TokenKind
  /** One personal token for everything, or a GitHub App (a token per installation). */
  readonly authMode: "token" | "app"
  /** The kind of token requests about `owner` carry. */
  readonly tokenKindFor: (owner: Owner) => TokenKind
  /** Every installation of the App (organizations and users); none with a personal token. */
  readonly installations: Effect.Effect<ReadonlyArray<Installation>, GitHubError>

  /** Every space of an owner, following Link rel="next" (per_page 100). */
  readonly listSpaces: (owner: Owner) => Stream.Stream<SpaceListItem, GitHubError>
  readonly getSpace: (owner: Owner, number: number, etag?: string) => Effect.Effect<Conditional<Space>, GitHubError>
  readonly listCollaborators: (
    owner: Owner,
    number: number,
    etag?: string
  ) => Effect.Effect<Conditional<ReadonlyArray<Collaborator>>, GitHubError>

  readonly getRepositoryById: (id: number, etag?: string) => Effect.Effect<Conditional<Repository>, GitHubError>
  readonly getRepository: (owner: string, name: string) => Effect.Effect<Repository, GitHubError>
  /** GET /orgs/{org}/teams/{slug}: fails with NotFound when the team does not exist. */
  readonly getTeam: (
    org: string,
    slug: string
  ) => Effect.Effect<{ readonly id: number; readonly slug: string }, GitHubError>
  readonly getUser: (
    login: string
  ) => Effect.Effect<{ readonly id: number; readonly login: string; readonly type: string }, GitHubError>
  readonly getOrg: (org: string) => Effect.Effect<{ readonly id: number; readonly login: string }, GitHubError>
  /** GET /orgs/{org}/members/{username}: true for 204, false for 404. */
  readonly isMember: (org: string, login: string) => Effect.Effect<boolean, GitHubError>

  readonly createSpace: (owner: Owner, input: SpaceInput) => Effect.Effect<Space, GitHubError>
  readonly updateSpace: (owner: Owner, number: number, input: SpaceInput) => Effect.Effect<Space, GitHubError>
  readonly deleteSpace: (owner: Owner, number: number) => Effect.Effect<void, GitHubError>
  readonly addCollaborator: (
    owner: Owner,
    number: number,
    actor: { readonly actor_type: "User" | "Team"; readonly actor_identifier: string; readonly role: CollaboratorRole }
  ) => Effect.Effect<Collaborator, GitHubError>
  readonly updateCollaborator: (
    owner: Owner,
    number: number,
    actorType: "User" | "Team",
    actorIdentifier: string,
    role: CollaboratorRole
  ) => Effect.Effect<void, GitHubError>
  readonly removeCollaborator: (
    owner: Owner,
    number: number,
    actorType: "User" | "Team",
    actorIdentifier: string
  ) => Effect.Effect<void, GitHubError>

  /** The budget the last response reported, if any response came yet. */
  readonly budget: Effect.Effect<RateBudget | undefined>
  /** The budget requests about `owner` spend (its App installation's), as their last answer reported it. */
  readonly budgetOf: (owner: Owner) => Effect.Effect<RateBudget | undefined>
  /** When the requests about `owner` wait for a rate limit, until when (epoch ms). */
  readonly pausedUntilOf: (owner: Owner) => Effect.Effect<number | undefined>
  readonly stats: Effect.Effect<RequestStats>
  /** When a rate-limit wait is in progress, until when (epoch ms); for progress displays. */
  readonly pausedUntil: Effect.Effect<number | undefined>
}

export class GitHubClient extends Context.Service<GitHubClient, GitHubClientShape>()(
  "@spaces-vault/core/github/GitHubClient"
) {
  /** The client over whatever Transport is provided (tests script one). */
  static readonly layerNoDeps = (options: GitHubClientOptions): Layer.Layer<GitHubClient, never, Transport> =>
    Layer.effect(GitHubClient, makeGitHubClient(options))

  /** The live client over HTTP, from explicit options. */
  static readonly layer = (options: GitHubClientOptions): Layer.Layer<GitHubClient> =>
    GitHubClient.layerNoDeps(options).pipe(Layer.provide(Transport.layer(options)))

  /** The live client from Config (GH_TOKEN / GITHUB_TOKEN, GITHUB_API_URL), with flag overrides. */
  static readonly layerConfig = (overrides: ConfigOverrides = {}) =>
    Layer.unwrap(loadClientOptions(overrides).pipe(Effect.map(GitHubClient.layer)))

  /**
   * A double with the members a test gives; any other call dies naming the method, so a test that reaches GitHub
   * where it did not mean to fails loudly instead of hanging or passing on `undefined`. `apiUrl` and `tokenKind`
   * default to https://api.github.com and a classic token.
   */
  static readonly layerTest = (partial: Partial<GitHubClientShape> = {}): Layer.Layer<GitHubClient> =>
    Layer.succeed(GitHubClient, testDouble(partial))
}

const notSetUp = (member: string) => `GitHubClient.layerTest: ${member} was called but the test did not set it up`

/** The members a test did not give: plain values for the two that are not calls, a loud death for every call. */
const testDouble = (partial: Partial<GitHubClientShape>): GitHubClientShape => {
  const dies =
    (member: string) =>
    (..._args: ReadonlyArray<unknown>) =>
      Effect.die(new Error(notSetUp(member)))
  return {
    apiUrl: "https://api.github.com",
    tokenKind: "classic",
    authMode: "token",
    tokenKindFor: () => partial.tokenKind ?? "classic",
    installations: Effect.succeed([]),
    listSpaces: () => Stream.die(new Error(notSetUp("listSpaces"))),
    getSpace: dies("getSpace"),
    listCollaborators: dies("listCollaborators"),
    getRepositoryById: dies("getRepositoryById"),
    getRepository: dies("getRepository"),
    getTeam: dies("getTeam"),
    getUser: dies("getUser"),
    getOrg: dies("getOrg"),
    isMember: dies("isMember"),
    createSpace: dies("createSpace"),
    updateSpace: dies("updateSpace"),
    deleteSpace: dies("deleteSpace"),
    addCollaborator: dies("addCollaborator"),
    updateCollaborator: dies("updateCollaborator"),
    removeCollaborator: dies("removeCollaborator"),
    budget: Effect.die(new Error(notSetUp("budget"))),
    budgetOf: () => partial.budget ?? Effect.die(new Error(notSetUp("budgetOf"))),
    pausedUntilOf: () => partial.pausedUntil ?? Effect.die(new Error(notSetUp("pausedUntilOf"))),
    stats: Effect.die(new Error(notSetUp("stats"))),
    pausedUntil: Effect.die(new Error(notSetUp("pausedUntil"))),
    ...partial
  }
}
