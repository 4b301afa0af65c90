// Pure remapping of one archived space onto a target owner: repository ids to the target's ids (by name, or by
// an explicit map entry, which wins), teams by slug, users by login. What cannot be carried over is returned item
// by item as `unmapped`, never dropped silently; the renames it applied are returned too, for the plan to show.
import type { ArchivedSpace, RepositoryIndex } from "../archive/ArchiveFormat.ts"
import type { Owner } from "../domain/Owner.ts"
import {
  isBaseRole,
  isCollaboratorRole,
  isTeamCollaborator,
  isUserCollaborator,
  isResourceType,
  repositoryResourceTypes,
  uploadOnlyResourceTypes,
  type BaseRole,
  type CollaboratorRole,
  type ResourceInput,
  type ResourceType
} from "../domain/Space.ts"
import type { Maps } from "./MapFiles.ts"

export interface UnmappedItem {
  readonly kind: "repository" | "upload" | "resource_type" | "user" | "team" | "collaborator" | "base_role"
  readonly detail: string
}

export interface DesiredCollaborator {
  readonly actor_type: "User" | "Team"
  /** login or slug in the target */
  readonly identifier: string
  readonly role: CollaboratorRole
}

export interface DesiredResource {
  readonly resource_type: ResourceType
  readonly metadata: Record<string, unknown>
}

/** A name the remapping changed: `octo-org/mobile -> octo-migrated/web`, team `security -> platform`. */
export interface AppliedMapping {
  readonly kind: "repository" | "team" | "user"
  readonly from: string
  readonly to: string
  /**
   * Why: a map entry; the repository's id (a restore finds a renamed repository by it); or the same name in
   * another owner (a migration's default).
   */
  readonly by: "map" | "id" | "name"
}

export interface RemappedSpace {
  readonly name: string
  readonly description: string | null
  readonly general_instructions: string | null
  readonly base_role: BaseRole
  readonly resources: ReadonlyArray<DesiredResource>
  readonly collaborators: ReadonlyArray<DesiredCollaborator>
  readonly unmapped: ReadonlyArray<UnmappedItem>
  /** Worth knowing, but nothing is lost: two archived collaborators merged into one target account. */
  readonly notes: ReadonlyArray<string>
  readonly mappings: ReadonlyArray<AppliedMapping>
}

/** What exists in the target, looked up beforehand (lower-cased keys). */
export interface TargetDirectory {
  readonly owner: Owner
  /** full name (lower case) -> id; undefined value = looked up, does not exist */
  readonly repositories: ReadonlyMap<string, number | undefined>
  /** repository id -> full name, for explicit id targets */
  readonly repositoryIds: ReadonlyMap<number, string | undefined>
  readonly teams: ReadonlyMap<string, boolean>
  /** org targets: login -> member?; user targets: login -> account exists? */
  readonly users: ReadonlyMap<string, boolean>
}

/** The names a space needs looked up in the target, so lookups happen once per distinct name. */
export interface Needs {
  readonly repositories: ReadonlySet<string>
  readonly repositoryIds: ReadonlySet<number>
  readonly teams: ReadonlySet<string>
  readonly users: ReadonlySet<string>
}

const repoName = (fullName: string) => fullName.slice(fullName.indexOf("/") + 1)

/** Where an archived repository may be found in the target, tried in this order: by id, then by full name. */
export interface RepositoryTarget {
  readonly id?: number
  readonly fullName?: string
  /** How the archive names it, for messages. */
  readonly source: string
  /** Named by a map entry rather than by the default rule. */
  readonly explicit?: boolean
}

/**
 * Where an archived repository goes. An explicit map entry (by full name, then by id) wins. A restore into the
 * space's own owner keeps the archived id while it resolves — a renamed repository keeps its id, and a
 * repository of another owner (a user's space may use any it can read) is the same one — else the archived full
 * name. A migration maps the repository to the target's repository of the same name.
 */
export const targetRepository = (
  id: number,
  index: RepositoryIndex,
  target: Owner,
  maps: Maps,
  restoring: boolean
): RepositoryTarget => {
  const fullName = index[String(id)]?.full_name ?? null
  const source = fullName ?? `repository ${id}`
  const explicit =
    (fullName !== null ? maps.repos.get(fullName.toLowerCase()) : undefined) ?? maps.repos.get(String(id))
  if (typeof explicit === "number") return { id: explicit, source, explicit: true }
  if (typeof explicit === "string") return { fullName: explicit, source, explicit: true }
  if (restoring) return fullName === null ? { id, source } : { id, fullName, source }
  return fullName === null ? { source } : { fullName: `${target.login}/${repoName(fullName)}`, source }
}

/** Whether a space goes back to its own owner (a restore) rather than to another (a migration). */
export const isRestore = (space: ArchivedSpace, target: Owner) =>
  space.owner.login.toLowerCase() === target.login.toLowerCase()

export const mapLogin = (login: string, maps: Maps) => maps.users.get(login.toLowerCase()) ?? login
export const mapSlug = (slug: string, maps: Maps) => maps.teams.get(slug.toLowerCase()) ?? slug

export const needsOf = (space: ArchivedSpace, index: RepositoryIndex, target: Owner, maps: Maps): Needs => {
  const repositories = new Set<string>()
  const repositoryIds = new Set<number>()
  const restoring = isRestore(space, target)
  for (const r of space.resources_attributes ?? []) {
    const id = r.metadata.repository_id
    if (id === undefined || !repositoryResourceTypes.has(r.resource_type)) continue
    const t = targetRepository(id, index, target, maps, restoring)
    if (t.fullName !== undefined) repositories.add(t.fullName.toLowerCase())
    if (t.id !== undefined) repositoryIds.add(t.id)
  }
  const teams = new Set<string>()
  const users = new Set<string>()
  for (const c of space.collaborators) {
    if (isTeamCollaborator(c)) teams.add(mapSlug(c.slug, maps).toLowerCase())
    else if (isUserCollaborator(c)) users.add(mapLogin(c.login, maps).toLowerCase())
  }
  return { repositories, repositoryIds, teams, users }
}

interface Remapped<A> {
  readonly value: A
  readonly unmapped: ReadonlyArray<UnmappedItem>
  readonly mappings: ReadonlyArray<AppliedMapping>
}

const mapping = (
  kind: AppliedMapping["kind"],
  from: string,
  to: string,
  by: AppliedMapping["by"]
): ReadonlyArray<AppliedMapping> => (from.toLowerCase() === to.toLowerCase() ? [] : [{ kind, from, to, by }])

const remapResources = (
  space: ArchivedSpace,
  index: RepositoryIndex,
  dir: TargetDirectory,
  maps: Maps
): Remapped<ReadonlyArray<DesiredResource>> => {
  const unmapped: Array<UnmappedItem> = []
  const mappings: Array<AppliedMapping> = []
  const restoring = isRestore(space, dir.owner)
  const resources: Array<DesiredResource> = []
  for (const r of space.resources_attributes ?? []) {
    const repository =
      r.metadata.repository_id !== undefined ? index[String(r.metadata.repository_id)]?.full_name : undefined
    const label = r.metadata.name ?? r.metadata.file_path ?? repository ?? `#${r.id}`
    if (uploadOnlyResourceTypes.has(r.resource_type)) {
      unmapped.push({
        kind: "upload",
        detail: `${r.resource_type} "${label}" can only be re-added by uploading it in Copilot Spaces`
      })
      continue
    }
    if (!isResourceType(r.resource_type)) {
      unmapped.push({
        kind: "resource_type",
        detail: `${r.resource_type} "${label}" is a resource type this version of spaces-vault does not know; it stays in the archive`
      })
      continue
    }
    const metadata: Record<string, unknown> = { ...r.metadata }
    const id = r.metadata.repository_id
    if (id !== undefined && repositoryResourceTypes.has(r.resource_type)) {
      const t = targetRepository(id, index, dir.owner, maps, restoring)
      const byId = t.id !== undefined ? dir.repositoryIds.get(t.id) : undefined
      const targetId =
        (byId !== undefined ? t.id : undefined) ??
        (t.fullName !== undefined ? dir.repositories.get(t.fullName.toLowerCase()) : undefined)
      if (targetId === undefined) {
        const wanted = t.fullName ?? (t.id !== undefined ? `repository id ${t.id}` : "an unknown repository")
        unmapped.push({
          kind: "repository",
          detail: `${r.resource_type} "${label}" references ${t.source}, but ${wanted} does not exist in ${dir.owner.login}`
        })
        continue
      }
      const by = t.explicit === true ? "map" : byId !== undefined ? "id" : "name"
      mappings.push(...mapping("repository", t.source, byId ?? t.fullName ?? `repository ${targetId}`, by))
      metadata.repository_id = targetId
    }
    resources.push({ resource_type: r.resource_type, metadata })
  }
  return { value: resources, unmapped, mappings }
}

const remapCollaborators = (
  space: ArchivedSpace,
  dir: TargetDirectory,
  maps: Maps
): Remapped<ReadonlyArray<DesiredCollaborator>> & { readonly notes: ReadonlyArray<string> } => {
  const unmapped: Array<UnmappedItem> = []
  const mappings: Array<AppliedMapping> = []
  const collaborators: Array<DesiredCollaborator> = []
  for (const c of space.collaborators) {
    if (!isUserCollaborator(c) && !isTeamCollaborator(c)) {
      unmapped.push({
        kind: "collaborator",
        detail: `a collaborator of type ${c.actor_type} (${c.role}), which this version of spaces-vault does not know`
      })
      continue
    }
    if (!isCollaboratorRole(c.role)) {
      const who = isTeamCollaborator(c) ? `team ${c.slug}` : `user ${c.login}`
      unmapped.push({
        kind: isTeamCollaborator(c) ? "team" : "user",
        detail: `${who} has the role ${c.role}, which this version of spaces-vault does not know`
      })
      continue
    }
    const role = c.role
    if (isTeamCollaborator(c)) {
      const slug = mapSlug(c.slug, maps)
      if (dir.owner.kind !== "org" || dir.teams.get(slug.toLowerCase()) !== true) {
        unmapped.push({
          kind: "team",
          detail: `team ${c.slug}${slug !== c.slug ? ` (mapped to ${slug})` : ""} does not exist in ${dir.owner.login}`
        })
        continue
      }
      mappings.push(...mapping("team", c.slug, slug, "map"))
      collaborators.push({ actor_type: "Team", identifier: slug, role })
    } else {
      const login = mapLogin(c.login, maps)
      if (login.toLowerCase() === dir.owner.login.toLowerCase()) continue // the owner is never listed as a collaborator
      if (dir.users.get(login.toLowerCase()) !== true) {
        unmapped.push({
          kind: "user",
          detail: `user ${c.login}${login !== c.login ? ` (mapped to ${login})` : ""} is not ${dir.owner.kind === "org" ? `a member of ${dir.owner.login}` : "a GitHub user"}`
        })
        continue
      }
      mappings.push(...mapping("user", c.login, login, "map"))
      collaborators.push({ actor_type: "User", identifier: login, role })
    }
  }
  const { merged, notes } = mergeCollaborators(collaborators)
  return { value: merged, unmapped, mappings, notes }
}

/** A role this version knows and the target kind allows; the least access rather than a guess otherwise. */
const remapBaseRole = (space: ArchivedSpace, dir: TargetDirectory): Omit<Remapped<BaseRole>, "mappings"> => {
  const unmapped: Array<UnmappedItem> = []
  let baseRole: BaseRole
  if (isBaseRole(space.base_role)) baseRole = space.base_role
  else {
    unmapped.push({
      kind: "base_role",
      detail: `base role ${space.base_role} is one this version of spaces-vault does not know; using no_access`
    })
    baseRole = "no_access"
  }
  if (dir.owner.kind === "user" && (baseRole === "writer" || baseRole === "admin")) {
    unmapped.push({
      kind: "base_role",
      detail: `base role ${baseRole} exists only for organization spaces; using reader`
    })
    baseRole = "reader"
  }
  return { value: baseRole, unmapped }
}

export const remapSpace = (
  space: ArchivedSpace,
  index: RepositoryIndex,
  dir: TargetDirectory,
  maps: Maps
): RemappedSpace => {
  const resources = remapResources(space, index, dir, maps)
  const collaborators = remapCollaborators(space, dir, maps)
  const baseRole = remapBaseRole(space, dir)
  const mappings = new Map(
    [...resources.mappings, ...collaborators.mappings].map((m) => [`${m.kind} ${m.from} ${m.to}`, m] as const)
  )
  return {
    name: space.name,
    description: space.description ?? null,
    general_instructions: space.general_instructions ?? null,
    base_role: baseRole.value,
    resources: resources.value,
    collaborators: collaborators.value,
    unmapped: [...resources.unmapped, ...collaborators.unmapped, ...baseRole.unmapped],
    notes: collaborators.notes,
    mappings: [...mappings.values()]
  }
}

/** A desired collaborator's identity in the target: its kind and its login or slug, case-insensitively. */
export const desiredCollaboratorKey = (c: DesiredCollaborator): string =>
  `${c.actor_type}/${c.identifier.toLowerCase()}`

const roleRank: Record<CollaboratorRole, number> = { reader: 0, writer: 1, admin: 2 }

/**
 * A map may send two archived collaborators to one target account (two logins merged into one): it gets the higher
 * of their roles, once, and the merge is noted. Sending both would set its role twice, and differently each run.
 */
const mergeCollaborators = (list: ReadonlyArray<DesiredCollaborator>) => {
  const byKey = new Map<string, DesiredCollaborator>()
  const notes: Array<string> = []
  for (const c of list) {
    const key = desiredCollaboratorKey(c)
    const earlier = byKey.get(key)
    if (earlier === undefined) {
      byKey.set(key, c)
      continue
    }
    const kept = roleRank[c.role] > roleRank[earlier.role] ? c : earlier
    byKey.set(key, kept)
    notes.push(
      `two archived collaborators map to ${c.actor_type === "Team" ? "team" : "user"} ${c.identifier}; it gets the higher role, ${kept.role}`
    )
  }
  return { merged: [...byKey.values()], notes }
}

/** The create body: every field, and every resource as a new one. */
export const createInput = (r: RemappedSpace) => ({
  name: r.name,
  ...(r.description !== null ? { description: r.description } : {}),
  ...(r.general_instructions !== null ? { general_instructions: r.general_instructions } : {}),
  base_role: r.base_role,
  resources_attributes: r.resources.map(
    (x): ResourceInput => ({ resource_type: x.resource_type, metadata: x.metadata })
  )
})
