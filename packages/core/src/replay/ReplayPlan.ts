// Pure planning: for each archived space, create it, update an existing one to equal the archive, skip it, or
// stop — from the remapped space, what exists in the target, the conflict policy and --strict. An update uses the
// nested resources_attributes semantics: `id` + `_destroy` deletes, no `id` creates; unchanged resources stay.
import { canonicalJson as canonical } from "../domain/canonical.ts"
import type { Collaborator, Resource, Space } from "../domain/space.ts"
import {
  collaboratorKey,
  isResourceType,
  isTeamCollaborator,
  isUserCollaborator,
  uploadOnlyResourceTypes
} from "../domain/space.ts"
import { desiredCollaboratorKey, type DesiredCollaborator, type DesiredResource, type RemappedSpace } from "./Remap.ts"

export type ConflictPolicy = "skip" | "update" | "fail"

export interface SourceRef {
  readonly owner: string
  readonly number: number
  readonly name: string
}

export interface ExistingTarget {
  readonly number: number
  readonly space: Space
  readonly collaborators: ReadonlyArray<Collaborator>
  /** made by an earlier run of this replay that did not finish: completed whatever the policy */
  readonly unfinished: boolean
  /** How it was found: this replay's journal, the archived space itself (a restore), or its name. */
  readonly match?: "journal" | "itself" | "name"
}

const skipReasons = {
  journal: "an earlier run of this replay made it",
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
  | { readonly _tag: "Refused"; readonly source: SourceRef; readonly reason: string; readonly remapped: RemappedSpace }

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
  if (
    strict &&
    remapped.unmapped.length > 0 &&
    (existing === undefined || existing.unfinished || policy === "update")
  ) {
    return {
      _tag: "Refused",
      source,
      reason: `--strict: ${remapped.unmapped.length} item(s) cannot be carried over`,
      remapped
    }
  }
  if (existing === undefined) return { _tag: "Create", source, remapped }
  if (!existing.unfinished && policy === "skip") {
    return { _tag: "Skip", source, target: existing.number, reason: skipReasons[existing.match ?? "name"], remapped }
  }
  if (!existing.unfinished && policy === "fail") return { _tag: "Conflict", source, target: existing.number, remapped }
  return {
    _tag: "Update",
    source,
    target: existing.number,
    remapped,
    fields: fieldChanges(existing.space, remapped),
    resources: resourceChanges(existing.space.resources_attributes ?? [], remapped.resources),
    collaborators: collaboratorChanges(existing.collaborators, remapped.collaborators)
  }
}
