// What a target holds, read before planning: its spaces (listed once), every repository, team and user the
// selected spaces need (looked up once per distinct name), and a matched space in full when an update needs it.
import { Effect, Stream } from "effect"
import type { ArchivedSpace, RepositoryIndex } from "../archive/ArchiveFormat.ts"
import type { Owner } from "../domain/Owner.ts"
import { asOwner } from "../github/GitHubAuth.ts"
import { GitHubClient } from "../github/GitHubClient.ts"
import type { GitHubError } from "../github/GitHubError.ts"
import type { Maps } from "./MapFiles.ts"
import { needsOf, type TargetDirectory } from "./Remap.ts"
import type { ExistingSpaces, TargetDetail } from "./ReplayPlan.ts"

/** Looks up, once each, every repository, team and user the selected spaces need in a target. */
export const lookUpTarget = (target: Owner, spaces: ReadonlyArray<ArchivedSpace>, index: RepositoryIndex, maps: Maps) =>
  Effect.gen(function* () {
    const client = yield* GitHubClient
    const repositories = new Map<string, number | undefined>()
    const repositoryIds = new Map<number, string | undefined>()
    const teams = new Map<string, boolean>()
    const users = new Map<string, boolean>()
    const gone = (e: GitHubError) => e.reason._tag === "NotFound"
    for (const space of spaces) {
      const needs = needsOf(space, index, target, maps)
      for (const fullName of needs.repositories) {
        if (repositories.has(fullName)) continue
        const [owner, name] = fullName.split("/") as [string, string]
        const repo = yield* client.getRepository(owner, name).pipe(
          Effect.map((r) => r.id),
          Effect.catchIf(gone, () => Effect.succeed(undefined))
        )
        repositories.set(fullName, repo)
      }
      for (const id of needs.repositoryIds) {
        if (repositoryIds.has(id)) continue
        const repo = yield* client.getRepositoryById(id).pipe(
          Effect.map((r) => (r._tag === "Modified" ? r.value.full_name : undefined)),
          Effect.catchIf(gone, () => Effect.succeed(undefined))
        )
        repositoryIds.set(id, repo)
      }
      for (const slug of needs.teams) {
        if (teams.has(slug) || target.kind !== "org") continue
        teams.set(
          slug,
          yield* client.getTeam(target.login, slug).pipe(
            Effect.as(true),
            Effect.catchIf(gone, () => Effect.succeed(false))
          )
        )
      }
      for (const login of needs.users) {
        if (users.has(login)) continue
        const ok =
          target.kind === "org"
            ? yield* client.isMember(target.login, login)
            : yield* client.getUser(login).pipe(
                Effect.as(true),
                Effect.catchIf(gone, () => Effect.succeed(false))
              )
        users.set(login, ok)
      }
    }
    return { owner: target, repositories, repositoryIds, teams, users } satisfies TargetDirectory
    // Lookups whose path names no owner (a repository, a user) go with the target's token (its App installation's).
  }).pipe(asOwner(target))

/** The spaces the target holds now: their numbers, and the first number listed under each name. */
export const listExisting = (target: Owner) =>
  Effect.gen(function* () {
    const client = yield* GitHubClient
    const numbers = new Set<number>()
    const byName = new Map<string, number>()
    yield* Stream.runForEach(client.listSpaces(target), (s) =>
      Effect.sync(() => {
        numbers.add(s.number)
        if (!byName.has(s.name)) byName.set(s.name, s.number)
      })
    )
    return { numbers, byName } satisfies ExistingSpaces
  })

/** What a matched target space holds now. Asked without an ETag, GitHub always answers in full. */
export const readDetail = (target: Owner, number: number) =>
  Effect.gen(function* () {
    const client = yield* GitHubClient
    const [space, collaborators] = yield* Effect.all([
      client.getSpace(target, number),
      client.listCollaborators(target, number)
    ])
    if (space._tag !== "Modified" || collaborators._tag !== "Modified") {
      return yield* Effect.die(new Error(`GitHub answered 304 for ${target.login}/${number} without an ETag sent`))
    }
    return { space: space.value, collaborators: collaborators.value } satisfies TargetDetail
  })
