// A small comparable summary of one archived space: what inspect lists and what diff compares. Volatile
// fields (ETags, timestamps alone) are left out, so re-exporting an unchanged space yields an equal digest.
import { createHash } from "node:crypto"
import { canonicalJson as canonical } from "../domain/canonical.ts"
import type { ArchivedSpace } from "./ArchiveFormat.ts"

export interface SpaceDigest {
  readonly owner: string
  readonly number: number
  readonly name: string
  readonly description: string | null
  readonly baseRole: string
  /** sha256 of the general instructions (they can be 4,000 characters). */
  readonly instructions: string
  /** resource id -> sha256 of its type and metadata */
  readonly resources: Readonly<Record<string, string>>
  /** "User/login" | "Team/slug" -> role */
  readonly collaborators: Readonly<Record<string, string>>
}

const sha = (s: string) => createHash("sha256").update(s).digest("hex").slice(0, 16)

export const digestSpace = (owner: string, space: ArchivedSpace): SpaceDigest => ({
  owner: owner.toLowerCase(),
  number: space.number,
  name: space.name,
  description: space.description ?? null,
  baseRole: space.base_role,
  instructions: sha(space.general_instructions ?? ""),
  resources: Object.fromEntries(
    (space.resources_attributes ?? []).map((r) => [String(r.id), sha(canonical({ t: r.resource_type, m: r.metadata }))])
  ),
  collaborators: Object.fromEntries(
    space.collaborators.map((c) => [c.actor_type === "User" ? `User/${c.login}` : `Team/${c.slug}`, c.role])
  )
})
