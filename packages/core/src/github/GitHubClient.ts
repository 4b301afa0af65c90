// The GitHub client as an Effect service: every call the tool makes to the REST API, typed, retried,
// rate-limited and paced. Implementations: `layer` (Octokit over HTTP, from Config) and test doubles.
import { Context, type Effect, type Stream } from "effect"
import type { Owner } from "../domain/owner.ts"
import type { Collaborator, CollaboratorRole, Repository, Space, SpaceInput, SpaceListItem } from "../domain/space.ts"
import type { GitHubError } from "./GitHubError.ts"

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

/** Classic PATs (ghp_), OAuth (gho_), fine-grained PATs (github_pat_), App tokens (ghu_/ghs_). */
export type TokenKind = "classic" | "oauth" | "fine-grained" | "app-user" | "app-installation" | "unknown"

export interface GitHubClientShape {
  readonly apiUrl: string
  readonly tokenKind: TokenKind

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
  readonly stats: Effect.Effect<RequestStats>
  /** When a rate-limit wait is in progress, until when (epoch ms); for progress displays. */
  readonly pausedUntil: Effect.Effect<number | undefined>
}

export class GitHubClient extends Context.Service<GitHubClient, GitHubClientShape>()(
  "@spaces-vault/core/github/GitHubClient"
) {}

export const tokenKindOf = (token: string): TokenKind =>
  token.startsWith("github_pat_")
    ? "fine-grained"
    : token.startsWith("ghp_")
      ? "classic"
      : token.startsWith("gho_")
        ? "oauth"
        : token.startsWith("ghu_")
          ? "app-user"
          : token.startsWith("ghs_")
            ? "app-installation"
            : "unknown"
