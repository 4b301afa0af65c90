// Carries out a replay plan through the GitHub client (which paces writes and shares the rate-limit gate),
// recording every step in the journal. One space failing does not stop the others.
import { Effect } from "effect"
import type { Owner } from "../domain/Owner.ts"
import { GitHubClient } from "../github/GitHubClient.ts"
import type { GitHubError } from "../github/GitHubError.ts"
import type { Journal, JournalError, JournalSource } from "./Journal.ts"
import { createInput, type DesiredCollaborator } from "./Remap.ts"
import { isNoop, plannedOutcome, type SpaceAction, type SpaceOutcome } from "./ReplayPlan.ts"

/** Adding a collaborator that is already there (e.g. added just before a crash) is not an error. */
const alreadyThere = (e: GitHubError) =>
  e.reason._tag === "Validation" && JSON.stringify(e.reason.errors).includes("already_exists")

const addCollaborators = (target: Owner, number: number, list: ReadonlyArray<DesiredCollaborator>) =>
  Effect.gen(function* () {
    const client = yield* GitHubClient
    for (const c of list) {
      yield* client
        .addCollaborator(target, number, { actor_type: c.actor_type, actor_identifier: c.identifier, role: c.role })
        .pipe(Effect.catchTag("GitHubError", (e) => (alreadyThere(e) ? Effect.void : Effect.fail(e))))
    }
  })

/** Carries out `action` for the source space `key` names; a failure is an outcome, not an error. */
export const applyAction = (target: Owner, action: SpaceAction, key: JournalSource, journal: Journal) =>
  Effect.gen(function* () {
    const client = yield* GitHubClient
    switch (action._tag) {
      case "Skip":
      case "Conflict":
      case "Refused":
        return plannedOutcome(target, action)
      case "Create": {
        yield* journal.set(key, { state: "creating", name: action.remapped.name })
        const created = yield* client.createSpace(target, createInput(action.remapped))
        return yield* Effect.gen(function* () {
          yield* journal.set(key, { state: "created", name: action.remapped.name, target: created.number })
          yield* addCollaborators(target, created.number, action.remapped.collaborators)
          yield* journal.set(key, { state: "done", name: action.remapped.name, target: created.number })
          return { _tag: "Created", number: created.number } as SpaceOutcome
        }).pipe(failedAt(created.number))
      }
      case "Update": {
        return yield* updateSpace(target, action, key, journal).pipe(failedAt(action.target))
      }
    }
  }).pipe(failedAt(undefined))

/** Once the target space exists, a failure names it, so the summary says which space to look at. */
const failedAt =
  (number: number | undefined) =>
  <R>(effect: Effect.Effect<SpaceOutcome, GitHubError | JournalError, R>): Effect.Effect<SpaceOutcome, never, R> =>
    effect.pipe(
      Effect.catchTag("GitHubError", (e) => Effect.succeed(failure("github", e.message, number))),
      Effect.catchTag("JournalError", (e) => Effect.succeed(failure("journal", e.message, number)))
    )

const failure = (kind: "github" | "journal", error: string, number: number | undefined): SpaceOutcome => ({
  _tag: "Failed",
  kind,
  error,
  ...(number !== undefined ? { number } : {})
})

const updateSpace = (
  target: Owner,
  action: Extract<SpaceAction, { readonly _tag: "Update" }>,
  key: JournalSource,
  journal: Journal
) =>
  Effect.gen(function* () {
    const client = yield* GitHubClient
    if (!isNoop(action)) {
      if (Object.keys(action.fields).length > 0 || action.resources.length > 0) {
        yield* client.updateSpace(target, action.target, {
          ...action.fields,
          ...(action.resources.length > 0 ? { resources_attributes: action.resources } : {})
        })
      }
      for (const c of action.collaborators.update)
        yield* client.updateCollaborator(target, action.target, c.actor_type, c.identifier, c.role)
      for (const c of action.collaborators.remove)
        yield* client.removeCollaborator(target, action.target, c.actor_type, c.identifier)
      yield* addCollaborators(target, action.target, action.collaborators.add)
    }
    yield* journal.set(key, { state: "done", name: action.remapped.name, target: action.target })
    return { _tag: "Updated", number: action.target, changed: !isNoop(action) } as SpaceOutcome
  })
