// Pure planning: which target space an archived one already is, then create it, update that one to equal the
// archive, skip it, or stop — from the remapped space, the conflict policy and strict mode — and what a dry run
// reports for it. An update uses the nested resources_attributes semantics: `id` + `_destroy` deletes, no `id`
// creates; unchanged resources stay.
import { canonicalJson as canonical } from "../domain/Canonical.ts"
import type { Collaborator, Resource, Space } from "../domain/Space.ts"
import {
  collaboratorKey,
  isResourceType,
  isTeamCollaborator,
  isUserCollaborator,
  uploadOnlyResourceTypes
} from "../domain/Space.ts"
import type { Owner } from "../domain/Owner.ts"
import type { JournalEntry } from "./Journal.ts"
import { desiredCollaboratorKey, type DesiredCollaborator, type DesiredResource, type RemappedSpace } from "./Remap.ts"

export type ConflictPolicy = "skip" | "update" | "fail"

export interface SourceRef {
  readonly owner: string
  readonly number: number
  readonly name: string
}

/** The spaces a target holds, listed once per run. */
export interface ExistingSpaces {
  readonly numbers: ReadonlySet<number>
  /** name -> the first space listed with it */
  readonly byName: ReadonlyMap<string, number>
}

/** The target space an archived space already is, and how it was found. */
export interface ExistingMatch {
  readonly number: number
  /** How it was found: a replay's journal, the archived space itself (a restore), or its name. */
  readonly match: "journal" | "itself" | "name"
  /** made by an earlier replay that did not finish: completed whatever the policy */
  readonly unfinished: boolean
}

/** What the target space holds now; planning reads it only for an update (see `needsDetail`). */
export interface TargetDetail {
  readonly space: Space
  readonly collaborators: ReadonlyArray<Collaborator>
}

export interface ExistingTarget extends ExistingMatch {
  readonly detail?: TargetDetail
}

/**
 * Which target space an archived one already is. Ours first (the journal, when the space it names still exists);
 * in a restore, the space itself, still there under its number (GitHub never reuses one, and a renamed space is
 * still the same space); then a space of the same name.
 */
export const matchExisting = (
  space: { readonly number: number; readonly name: string },
  journaled: JournalEntry | undefined,
  restoring: boolean,
  existing: ExistingSpaces
): ExistingMatch | undefined => {
  const unfinished = journaled !== undefined && journaled.state !== "done"
  if (journaled?.target !== undefined && existing.numbers.has(journaled.target)) {
    return { number: journaled.target, match: "journal", unfinished }
  }
  if (restoring && existing.numbers.has(space.number)) return { number: space.number, match: "itself", unfinished }
  const byName = existing.byName.get(space.name)
  return byName === undefined ? undefined : { number: byName, match: "name", unfinished }
}

/** Whether planning a matched space needs what it holds now: only to update it (or to finish an unfinished one). */
export const needsDetail = (existing: ExistingMatch | undefined, policy: ConflictPolicy): existing is ExistingMatch =>
  existing !== undefined && (existing.unfinished || policy === "update")

const skipReasons = {
  journal: "an earlier replay into this owner made it",
  itself: "the space still exists",
  name: "a space with this name already exists in the target"
} as const

export interface CollaboratorChanges {
  readonly add: ReadonlyArray<DesiredCollaborator>
  readonly update: ReadonlyArray<DesiredCollaborator>
  readonly remove: ReadonlyArray<{ readonly actor_type: "User" | "Team"; readonly identifier: string }>
}

export type SpaceAction =
  | { readonly _tag: "Create"; readonly source: SourceRef; readonly remapped: RemappedSpace }
  | {
      readonly _tag: "Update"
      readonly source: SourceRef
      readonly target: number
      readonly remapped: RemappedSpace
      readonly fields: Record<string, unknown>
      readonly resources: ReadonlyArray<Record<string, unknown>>
      readonly collaborators: CollaboratorChanges
    }
  | {
      readonly _tag: "Skip"
      readonly source: SourceRef
      readonly target: number
      readonly reason: string
      readonly remapped: RemappedSpace
    }
  | { readonly _tag: "Conflict"; readonly source: SourceRef; readonly target: number; readonly remapped: RemappedSpace }
  | {
      readonly _tag: "Refused"
      readonly source: SourceRef
      /** how many items could not be carried over, which strict mode does not allow */
      readonly unmapped: number
      readonly remapped: RemappedSpace
    }

/** Resources are the same when type and metadata agree (ids differ between orgs). */
const resourceKey = (r: { readonly resource_type: string; readonly metadata: unknown }) =>
  `${r.resource_type}:${canonical(r.metadata)}`

export const resourceChanges = (existing: ReadonlyArray<Resource>, desired: ReadonlyArray<DesiredResource>) => {
  const pool = new Map<string, Array<Resource>>()
  for (const r of existing) {
    const k = resourceKey(r)
    pool.set(k, [...(pool.get(k) ?? []), r])
  }
  const create: Array<Record<string, unknown>> = []
  for (const d of desired) {
    const match = pool.get(resourceKey(d))
    if (match !== undefined && match.length > 0) match.shift()
    else create.push({ resource_type: d.resource_type, metadata: d.metadata })
  }
  // Uploads, and types this version does not know, cannot be recreated through the API: never destroy them.
  const destroy = [...pool.values()]
    .flat()
    .filter((r) => isResourceType(r.resource_type) && !uploadOnlyResourceTypes.has(r.resource_type))
    .map((r) => ({ id: r.id, _destroy: true }))
  return [...destroy, ...create]
}

export const collaboratorChanges = (
  existing: ReadonlyArray<Collaborator>,
  desired: ReadonlyArray<DesiredCollaborator>
): CollaboratorChanges => {
  // Users and teams only: a collaborator of a kind this version does not know could not be added back, so it stays.
  const current = new Map(
    existing.flatMap((c) => (isUserCollaborator(c) || isTeamCollaborator(c) ? [[collaboratorKey(c), c] as const] : []))
  )
  const add: Array<DesiredCollaborator> = []
  const update: Array<DesiredCollaborator> = []
  for (const d of desired) {
    const k = desiredCollaboratorKey(d)
    const c = current.get(k)
    if (c === undefined) add.push(d)
    else if (c.role !== d.role) update.push(d)
    current.delete(k)
  }
  const remove = [...current.values()].map((c) =>
    isUserCollaborator(c)
      ? { actor_type: "User" as const, identifier: c.login }
      : { actor_type: "Team" as const, identifier: c.slug }
  )
  return { add, update, remove }
}

/**
 * The fields to send so the target equals the archive. A field the archive has empty (null) is cleared with "": the
 * update body takes strings only, and "" and null count as the same, so a second run finds nothing to change.
 */
const fieldChanges = (space: Space, r: RemappedSpace): Record<string, unknown> => {
  const fields: Record<string, unknown> = {}
  if (space.name !== r.name) fields.name = r.name
  if ((space.description ?? "") !== (r.description ?? "")) fields.description = r.description ?? ""
  if ((space.general_instructions ?? "") !== (r.general_instructions ?? ""))
    fields.general_instructions = r.general_instructions ?? ""
  if (space.base_role !== r.base_role) fields.base_role = r.base_role
  return fields
}

export const isNoop = (a: SpaceAction) =>
  a._tag === "Update" &&
  Object.keys(a.fields).length === 0 &&
  a.resources.length === 0 &&
  a.collaborators.add.length + a.collaborators.update.length + a.collaborators.remove.length === 0

export const planSpace = (
  source: SourceRef,
  remapped: RemappedSpace,
  existing: ExistingTarget | undefined,
  policy: ConflictPolicy,
  strict: boolean
): SpaceAction => {
  if (strict && remapped.unmapped.length > 0 && (existing === undefined || needsDetail(existing, policy))) {
    return { _tag: "Refused", source, unmapped: remapped.unmapped.length, remapped }
  }
  if (existing === undefined) return { _tag: "Create", source, remapped }
  if (!existing.unfinished && policy === "skip") {
    return { _tag: "Skip", source, target: existing.number, reason: skipReasons[existing.match], remapped }
  }
  if (!existing.unfinished && policy === "fail") return { _tag: "Conflict", source, target: existing.number, remapped }
  const detail = existing.detail
  if (detail === undefined) throw new Error("planSpace: updating a space needs its detail (see needsDetail)")
  return {
    _tag: "Update",
    source,
    target: existing.number,
    remapped,
    fields: fieldChanges(detail.space, remapped),
    resources: resourceChanges(detail.space.resources_attributes ?? [], remapped.resources),
    collaborators: collaboratorChanges(detail.collaborators, remapped.collaborators)
  }
}

/** Why a space failed, for a caller that words it (a command adds the option that led there). */
export type FailureKind = "conflict" | "strict" | "github" | "journal"

/** What became of one space, or, in a dry run, what would. */
export type SpaceOutcome =
  | { readonly _tag: "Created"; readonly number: number }
  | { readonly _tag: "Updated"; readonly number: number; readonly changed: boolean }
  | { readonly _tag: "Skipped"; readonly number: number; readonly reason: string }
  | { readonly _tag: "Failed"; readonly kind: FailureKind; readonly error: string; readonly number?: number }

/**
 * The outcome of an action without sending anything: what a dry run reports, and what the apply step returns for
 * the actions that write nothing. A space a dry run would create has no number yet (0).
 */
export const plannedOutcome = (target: Owner, action: SpaceAction): SpaceOutcome => {
  switch (action._tag) {
    case "Create":
      return { _tag: "Created", number: 0 }
    case "Update":
      return { _tag: "Updated", number: action.target, changed: !isNoop(action) }
    case "Skip":
      return { _tag: "Skipped", number: action.target, reason: action.reason }
    case "Conflict":
      return {
        _tag: "Failed",
        kind: "conflict",
        number: action.target,
        error: `space ${target.login}/${action.target} already exists`
      }
    case "Refused":
      return { _tag: "Failed", kind: "strict", error: `${action.unmapped} item(s) cannot be carried over` }
  }
}

/** The writes an action sends; `creating` are the POSTs, which GitHub's content-creation limits also count. */
export interface WriteCount {
  readonly total: number
  readonly creating: number
}

export const writesOf = (action: SpaceAction): WriteCount => {
  switch (action._tag) {
    case "Create": {
      const posts = 1 + action.remapped.collaborators.length
      return { total: posts, creating: posts }
    }
    case "Update": {
      const c = action.collaborators
      const put = Object.keys(action.fields).length > 0 || action.resources.length > 0 ? 1 : 0
      return { total: put + c.update.length + c.remove.length + c.add.length, creating: c.add.length }
    }
    default:
      return { total: 0, creating: 0 }
  }
}

/**
 * About how long the writes take when paced at `writesPerMinute` and within GitHub's content-creation limits
 * (80 a minute, 500 an hour: https://docs.github.com/en/rest/using-the-rest-api/best-practices-for-using-the-rest-api).
 * Reads and rate-limit pauses are not counted.
 */
export const estimateSeconds = (writes: WriteCount, writesPerMinute: number): number => {
  if (writes.total === 0) return 0
  const paced = ((writes.total - 1) * 60) / writesPerMinute
  const perMinute = Math.floor((writes.creating - 1) / 80) * 60
  const perHour = Math.floor((writes.creating - 1) / 500) * 3600
  return Math.ceil(Math.max(paced, perMinute, perHour, 0))
}
