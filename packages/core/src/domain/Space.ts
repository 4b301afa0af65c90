// Copilot Space shapes, after GitHub's OpenAPI description (`copilot-space`, `copilot-space-resource`,
// `copilot-space-collaborator`). Decoding keeps unknown fields so an archive holds exactly what GitHub sent.
// The enums a space carries (resource type, base role, collaborator role) decode as any string: GitHub adds values
// (media_content and uploaded_text_file came after the first resource types), and a backup must not lose a space
// because this version has not heard of one. Replay carries over only the values it knows (Remap.ts).
import { Schema } from "effect"

/** The values GitHub's OpenAPI description lists, for what we send; what we read may hold others. */
export const BaseRole = Schema.Literals(["no_access", "reader", "writer", "admin"])
export type BaseRole = typeof BaseRole.Type

export const CollaboratorRole = Schema.Literals(["reader", "writer", "admin"])
export type CollaboratorRole = typeof CollaboratorRole.Type

export const ResourceType = Schema.Literals([
  "repository",
  "github_file",
  "free_text",
  "github_issue",
  "github_pull_request",
  "media_content",
  "uploaded_text_file"
])
export type ResourceType = typeof ResourceType.Type

export const isBaseRole = Schema.is(BaseRole)
export const isCollaboratorRole = Schema.is(CollaboratorRole)
export const isResourceType = Schema.is(ResourceType)

/** Resource types that reference uploaded chat attachments: GitHub refuses to create them through the API. */
export const uploadOnlyResourceTypes: ReadonlySet<string> = new Set<ResourceType>([
  "media_content",
  "uploaded_text_file"
])

/** Resource types whose metadata carries a `repository_id`. */
export const repositoryResourceTypes: ReadonlySet<string> = new Set<ResourceType>([
  "repository",
  "github_file",
  "github_issue",
  "github_pull_request"
])

export const ResourceMetadata = Schema.Struct({
  repository_id: Schema.optionalKey(Schema.Int),
  file_path: Schema.optionalKey(Schema.String),
  text: Schema.optionalKey(Schema.String),
  name: Schema.optionalKey(Schema.String),
  number: Schema.optionalKey(Schema.Int)
})
export type ResourceMetadata = typeof ResourceMetadata.Type

export const Resource = Schema.Struct({
  id: Schema.Int,
  resource_type: Schema.String,
  copilot_chat_attachment_id: Schema.optionalKey(Schema.NullOr(Schema.Int)),
  metadata: ResourceMetadata,
  created_at: Schema.optionalKey(Schema.String),
  updated_at: Schema.optionalKey(Schema.String)
})
export type Resource = typeof Resource.Type

export const Account = Schema.Struct({
  login: Schema.String,
  id: Schema.Int,
  type: Schema.optionalKey(Schema.String)
})
export type Account = typeof Account.Type

/** A space as the per-space GET returns it. */
export const Space = Schema.Struct({
  id: Schema.Int,
  number: Schema.Int,
  name: Schema.String,
  description: Schema.optionalKey(Schema.NullOr(Schema.String)),
  general_instructions: Schema.optionalKey(Schema.NullOr(Schema.String)),
  base_role: Schema.String,
  owner: Account,
  creator: Account,
  created_at: Schema.String,
  updated_at: Schema.String,
  html_url: Schema.String,
  api_url: Schema.String,
  resources_attributes: Schema.optionalKey(Schema.Array(Resource))
})
export type Space = typeof Space.Type

/**
 * A list item. GitHub's list examples omit `base_role`, `general_instructions` and `resources_attributes`,
 * so paging reads only what it needs and takes everything else from the GET.
 */
export const SpaceListItem = Schema.Struct({
  number: Schema.Int,
  name: Schema.String,
  updated_at: Schema.optionalKey(Schema.String)
})
export type SpaceListItem = typeof SpaceListItem.Type

export const UserCollaborator = Schema.Struct({
  actor_type: Schema.Literal("User"),
  role: Schema.String,
  login: Schema.String,
  id: Schema.Int
})
export type UserCollaborator = typeof UserCollaborator.Type

export const TeamCollaborator = Schema.Struct({
  actor_type: Schema.Literal("Team"),
  role: Schema.String,
  id: Schema.Int,
  slug: Schema.String,
  name: Schema.String
})
export type TeamCollaborator = typeof TeamCollaborator.Type

/**
 * A collaborator of a kind GitHub added after its published description (neither User nor Team): archived as sent,
 * so a backup keeps the space, and reported by replay, which cannot know how to add it.
 */
export const OtherCollaborator = Schema.Struct({
  actor_type: Schema.String.check(Schema.makeFilter((t: string) => t !== "User" && t !== "Team")),
  role: Schema.String
})
export type OtherCollaborator = typeof OtherCollaborator.Type

export const Collaborator = Schema.Union([UserCollaborator, TeamCollaborator, OtherCollaborator])
export type Collaborator = typeof Collaborator.Type

/** TypeScript cannot narrow the union on `actor_type` alone (a string includes "User"): these guards do. */
export const isUserCollaborator = (c: Collaborator): c is UserCollaborator => c.actor_type === "User"
export const isTeamCollaborator = (c: Collaborator): c is TeamCollaborator => c.actor_type === "Team"

/** The identifier GitHub's collaborator endpoints take: a login for users, a slug for teams. */
export const collaboratorKey = (c: UserCollaborator | TeamCollaborator): string =>
  isUserCollaborator(c) ? `User/${c.login.toLowerCase()}` : `Team/${c.slug.toLowerCase()}`

export const Repository = Schema.Struct({
  id: Schema.Int,
  name: Schema.String,
  full_name: Schema.String,
  owner: Account
})
export type Repository = typeof Repository.Type

/** Bodies we send: the create/update request schemas of the OpenAPI description. */
export interface ResourceInput {
  readonly id?: number
  readonly _destroy?: boolean
  readonly resource_type?: ResourceType
  readonly metadata?: ResourceMetadata
}

export interface SpaceInput {
  readonly name?: string
  readonly description?: string
  readonly general_instructions?: string
  readonly base_role?: BaseRole
  readonly resources_attributes?: ReadonlyArray<ResourceInput>
}

/** Which repositories a space references: every resource whose metadata carries a repository_id. */
export const referencedRepositoryIds = (space: Record<string, unknown>): ReadonlyArray<number> => {
  const resources = space.resources_attributes
  if (!Array.isArray(resources)) return []
  const ids = new Set<number>()
  for (const r of resources) {
    const id = (r as { metadata?: { repository_id?: unknown } } | null)?.metadata?.repository_id
    if (typeof id === "number" && Number.isInteger(id)) ids.add(id)
  }
  return [...ids]
}
