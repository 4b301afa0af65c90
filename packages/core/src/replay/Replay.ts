// Replay an archive: restore spaces into their original owners, or migrate them into another owner. Verifies
// the archive, reads it, looks up the target once per distinct name, plans (pure), then applies or, for a dry
// run, only reports the plan.
import { createHash } from "node:crypto"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Clock, Effect, Schema, Stream } from "effect"
import type { ArchivedSpace, RepositoryIndex } from "../archive/ArchiveFormat.ts"
import { openArchive } from "../archive/ArchiveReader.ts"
import { verifyArchive } from "../archive/Verify.ts"
import type { Owner } from "../domain/owner.ts"
import { GitHubClient } from "../github/GitHubClient.ts"
import type { GitHubError } from "../github/GitHubError.ts"
import { acquireLockFile } from "../runtime/LockFile.ts"
import { openJournal, type Journal } from "./Journal.ts"
import type { Maps } from "./MapFiles.ts"
import { isRestore, needsOf, remapSpace, type TargetDirectory, type UnmappedItem } from "./Remap.ts"
import { applyAction, sourceKey, type ApplyOutcome } from "./ReplayApply.ts"
import { isNoop, planSpace, type ConflictPolicy, type SourceRef, type SpaceAction } from "./ReplayPlan.ts"

export class ReplayError extends Schema.TaggedError<ReplayError>()("ReplayError", {
  message: Schema.String,
  /** The invocation asked for what cannot be (a --space the archive does not hold): a usage error, not a failed run. */
  badRequest: Schema.optionalKey(Schema.Boolean)
}) {}

export interface ReplayOptions {
  readonly archive: string
  /** Migration target; undefined restores each space into its original owner. */
  readonly to?: Owner | undefined
  /** "owner/number" selections; empty means every space. */
  readonly spaces: ReadonlyArray<string>
  readonly maps: Maps
  readonly onConflict: ConflictPolicy
  readonly strict: boolean
  readonly dryRun: boolean
  readonly onProgress?: ((line: string) => Effect.Effect<void>) | undefined
}

export interface SpaceResult {
  readonly source: SourceRef
  readonly target: string
  readonly number?: number
}

export interface ReplaySummary {
  readonly dryRun: boolean
  readonly created: ReadonlyArray<SpaceResult>
  readonly updated: ReadonlyArray<SpaceResult & { readonly changes: ReadonlyArray<string> }>
  readonly skipped: ReadonlyArray<SpaceResult & { readonly reason: string }>
  readonly failed: ReadonlyArray<SpaceResult & { readonly error: string }>
  readonly unmapped: ReadonlyArray<SpaceResult & { readonly items: ReadonlyArray<UnmappedItem> }>
}

const fail = (message: string) => new ReplayError({ message })

/** The lock of replays into one owner of one GitHub, in the system's temporary directory (shared by every archive). */
export const replayLockPath = (apiUrl: string, target: Owner): string =>
  join(
    tmpdir(),
    `spaces-vault-replay-${createHash("sha256").update(`${apiUrl} ${target.kind}:${target.login.toLowerCase()}`).digest("hex").slice(0, 16)}.lock`
  )

/** Reads and selects the archived spaces; an unknown selection is an error, not a silent no-op. */
const readSelection = (path: string, selection: ReadonlyArray<string>) =>
  Effect.scoped(
    Effect.gen(function* () {
      const archive = yield* openArchive(path)
      const wanted = new Set(selection.map((s) => s.toLowerCase()))
      const missing = new Set(wanted)
      const picked: Array<{ owner: Owner; space: ArchivedSpace }> = []
      const kinds = new Map(archive.manifest.owners.map((o) => [o.login.toLowerCase(), o] as const))
      yield* Stream.runForEach(archive.spaces, (e) =>
        Effect.sync(() => {
          const key = sourceKey(e.ownerLogin, e.number)
          if (wanted.size > 0 && !wanted.has(key)) return
          missing.delete(key)
          const o = kinds.get(e.ownerLogin)
          picked.push({ owner: { kind: o?.kind ?? "org", login: o?.login ?? e.ownerLogin }, space: e.space })
        })
      )
      if (missing.size > 0)
        return yield* new ReplayError({
          message: `--space ${[...missing].join(", ")}: not in the archive`,
          badRequest: true
        })
      return { picked, repositories: yield* archive.repositories }
    })
  )

/** Looks up, once each, every repository, team and user the selected spaces need in a target. */
const lookUpTarget = (target: Owner, spaces: ReadonlyArray<ArchivedSpace>, index: RepositoryIndex, maps: Maps) =>
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
  })

const describeAction = (a: SpaceAction): ReadonlyArray<string> => {
  if (a._tag !== "Update") return []
  const c = a.collaborators
  return [
    ...Object.keys(a.fields).map((f) => `set ${f}`),
    ...a.resources.map((r) =>
      "_destroy" in r ? `remove resource ${String(r.id)}` : `add ${String(r.resource_type)} resource`
    ),
    ...c.add.map((x) => `add ${x.actor_type} ${x.identifier} (${x.role})`),
    ...c.update.map((x) => `set ${x.actor_type} ${x.identifier} to ${x.role}`),
    ...c.remove.map((x) => `remove ${x.actor_type} ${x.identifier}`)
  ]
}

export const replayArchive = (options: ReplayOptions) =>
  Effect.scoped(
    Effect.gen(function* () {
      const client = yield* GitHubClient
      const progress = options.onProgress ?? (() => Effect.void)
      const report = yield* verifyArchive(options.archive).pipe(Effect.mapError((e) => fail(e.message)))
      if (!report.ok) return yield* fail(`archive ${options.archive} failed verification: ${report.problems[0]}`)
      const { picked, repositories } = yield* readSelection(options.archive, options.spaces).pipe(
        Effect.mapError((e) => (e._tag === "ReplayError" ? e : fail(e.message)))
      )

      const created: Array<SpaceResult> = []
      const updated: Array<SpaceResult & { changes: ReadonlyArray<string> }> = []
      const skipped: Array<SpaceResult & { reason: string }> = []
      const failed: Array<SpaceResult & { error: string }> = []
      const unmapped: Array<SpaceResult & { items: ReadonlyArray<UnmappedItem> }> = []

      // Group by target owner: each original owner for a restore, the one --to owner for a migration.
      const groups = new Map<string, { target: Owner; spaces: Array<{ source: Owner; space: ArchivedSpace }> }>()
      for (const p of picked) {
        const target = options.to ?? p.owner
        const key = `${target.kind}:${target.login.toLowerCase()}`
        const g = groups.get(key) ?? { target, spaces: [] }
        g.spaces.push({ source: p.owner, space: p.space })
        groups.set(key, g)
      }

      /** Set when --on-conflict fail stops the run: the conflict, for the spaces left untried. */
      let stopped: string | undefined
      const tried = new Set<ArchivedSpace>()
      for (const { target, spaces } of groups.values()) {
        if (stopped !== undefined) break
        // One replay into a target at a time, whatever the archive (a copy of it, or another night's): two at once
        // would each create the spaces the other has not journaled yet. A dry run writes nothing and needs no lock.
        if (!options.dryRun) {
          const startedAt = new Date(yield* Clock.currentTimeMillis).toISOString()
          yield* acquireLockFile(replayLockPath(client.apiUrl, target), {
            what: `replaying into ${target.login}`,
            busy: "another replay into it is running",
            startedAt
          }).pipe(Effect.mapError((e) => fail(e.message)))
        }
        const journal: Journal = yield* openJournal(options.archive, target, options.dryRun).pipe(
          Effect.mapError((e) => fail(e.message))
        )
        yield* progress(`${target.login}: looking up what exists`)
        const existingByName = new Map<string, number>()
        const existingNumbers = new Set<number>()
        yield* Stream.runForEach(client.listSpaces(target), (s) =>
          Effect.sync(() => {
            existingNumbers.add(s.number)
            if (!existingByName.has(s.name)) existingByName.set(s.name, s.number)
          })
        ).pipe(Effect.mapError((e) => fail(`cannot list the spaces of ${target.login}: ${e.message}`)))
        const directory = yield* lookUpTarget(
          target,
          spaces.map((s) => s.space),
          repositories,
          options.maps
        ).pipe(Effect.mapError((e) => fail(`cannot look up ${target.login}: ${e.message}`)))

        let done = 0
        for (const { source, space } of spaces) {
          const ref: SourceRef = { owner: source.login, number: space.number, name: space.name }
          const key = sourceKey(source.login, space.number)
          const remapped = remapSpace(space, repositories, directory, options.maps)

          // Ours first (the journal); in a restore, the space itself, still there under its number (GitHub never
          // reuses one, and a renamed space is still the same space); then a space of the same name.
          const entry = journal.get(key)
          const journaled = entry?.target !== undefined && existingNumbers.has(entry.target) ? entry.target : undefined
          const itself = isRestore(space, target) && existingNumbers.has(space.number) ? space.number : undefined
          const number = journaled ?? itself ?? existingByName.get(space.name)
          const match: "journal" | "itself" | "name" =
            journaled !== undefined ? "journal" : itself !== undefined ? "itself" : "name"
          const unfinished = entry !== undefined && entry.state !== "done" && number !== undefined
          const needsDetail = number !== undefined && (unfinished || options.onConflict === "update")
          const existing =
            number === undefined
              ? undefined
              : needsDetail
                ? yield* Effect.all([client.getSpace(target, number), client.listCollaborators(target, number)]).pipe(
                    Effect.flatMap(([s, c]) =>
                      s._tag === "Modified" && c._tag === "Modified"
                        ? Effect.succeed({ number, space: s.value, collaborators: c.value, unfinished, match })
                        : Effect.fail(fail(`unexpected 304 for ${target.login}/${number}`))
                    ),
                    Effect.mapError((e) => (e._tag === "ReplayError" ? e : fail(e.message)))
                  )
                : { number, space: undefined as never, collaborators: [], unfinished, match }
          const action = planSpace(ref, remapped, existing, options.onConflict, options.strict)
          // What could not be carried over matters only where something is (or would be) written.
          if (remapped.unmapped.length > 0 && action._tag !== "Skip" && action._tag !== "Conflict") {
            unmapped.push({ source: ref, target: target.login, items: remapped.unmapped })
          }

          const outcome: ApplyOutcome = options.dryRun
            ? action._tag === "Create"
              ? { _tag: "Created", number: 0 }
              : action._tag === "Update"
                ? { _tag: "Updated", number: action.target, changed: !isNoop(action) }
                : action._tag === "Skip"
                  ? { _tag: "Skipped", number: action.target, reason: action.reason }
                  : {
                      _tag: "Failed",
                      error:
                        action._tag === "Conflict"
                          ? `space ${target.login}/${action.target} already exists (--on-conflict fail)`
                          : action.reason
                    }
            : yield* applyAction(target, action, journal)
          const base = { source: ref, target: target.login }
          switch (outcome._tag) {
            case "Created":
              created.push(options.dryRun ? base : { ...base, number: outcome.number })
              break
            case "Updated":
              // An update that found nothing to change changed nothing: a re-run reports no work done.
              if (outcome.changed) updated.push({ ...base, number: outcome.number, changes: describeAction(action) })
              else skipped.push({ ...base, number: outcome.number, reason: "already equal to the archive" })
              break
            case "Skipped":
              skipped.push({ ...base, number: outcome.number, reason: outcome.reason })
              break
            case "Failed":
              failed.push({
                ...base,
                ...(outcome.number !== undefined ? { number: outcome.number } : {}),
                error: outcome.error
              })
          }
          done++
          tried.add(space)
          yield* progress(`${target.login}: ${done}/${spaces.length} spaces`)
          if (action._tag === "Conflict") {
            stopped = `${target.login}/${action.target}` // --on-conflict fail stops the run
            break
          }
        }
      }
      // Every selected space appears in the summary: those a stop left untried as skipped, saying why.
      for (const { target, spaces } of groups.values()) {
        for (const { source, space } of spaces) {
          if (tried.has(space)) continue
          skipped.push({
            source: { owner: source.login, number: space.number, name: space.name },
            target: target.login,
            reason: `not tried: the run stopped at the conflict with ${stopped}`
          })
        }
      }
      return { dryRun: options.dryRun, created, updated, skipped, failed, unmapped } satisfies ReplaySummary
    })
  )
