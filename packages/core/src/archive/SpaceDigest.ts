// A small comparable summary of one archived space: what diff compares. Volatile fields (ETags, timestamps alone)
// are left out, so re-exporting an unchanged space yields an equal digest. A diff holds one per space of the older
// archive, so texts are hashed and the resource and collaborator tables are kept as one string each (~0.4 KB per
// space instead of ~1 KB as objects), turned back into tables only for a space that changed. A space of an encrypted
// archive read without an identity has only its manifest row: a sealed digest, compared by its plaintext sha256.
import { createHash } from "node:crypto"
import { canonicalJson as canonical } from "../domain/Canonical.ts"
import { isTeamCollaborator, isUserCollaborator } from "../domain/Space.ts"
import type { ArchivedSpace } from "./ArchiveFormat.ts"

export interface SpaceDigest {
  readonly owner: string
  readonly number: number
  readonly name: string
  /** sha256 of the description (null and "" differ). */
  readonly description: string
  readonly baseRole: string
  /** sha256 of the general instructions (they can be 4,000 characters). */
  readonly instructions: string
  /** Lines "resource id=sha256 of its type and metadata", sorted: see `tableOf`. */
  readonly resources: string
  /** Lines "User/login=role" | "Team/slug=role", sorted: see `tableOf`. */
  readonly collaborators: string
  /** The sha256 of the space's entry (its plaintext), from the manifest; absent for digests made without one. */
  readonly sha256?: string
}

/** A space of an encrypted archive read without an identity: what its manifest row says, no name and no contents. */
export interface SealedDigest {
  readonly owner: string
  readonly number: number
  /** The sha256 of the space's plaintext entry, as the manifest records it. */
  readonly sha256: string
  readonly sealed: true
}

export type AnyDigest = SpaceDigest | SealedDigest

export const isSealed = (d: AnyDigest): d is SealedDigest => "sealed" in d

export const sealedDigest = (owner: string, number: number, sha256: string): SealedDigest => ({
  owner: owner.toLowerCase(),
  number,
  sha256,
  sealed: true
})

// Logins, team slugs and resource ids hold neither "=" nor a line break.
const tableText = (rows: ReadonlyArray<readonly [string, string]>) =>
  rows
    .map(([k, v]) => `${k}=${v}`)
    .sort()
    .join("\n")

/** A digest's resource or collaborator table, as key -> value. */
export const tableOf = (text: string): Readonly<Record<string, string>> =>
  Object.fromEntries(
    text === ""
      ? []
      : text.split("\n").map((line) => {
          const eq = line.lastIndexOf("=")
          return [line.slice(0, eq), line.slice(eq + 1)]
        })
  )

const sha = (s: string) => createHash("sha256").update(s).digest("hex").slice(0, 16)

export const digestSpace = (owner: string, space: ArchivedSpace, sha256?: string): SpaceDigest => ({
  owner: owner.toLowerCase(),
  ...(sha256 === undefined ? {} : { sha256 }),
  number: space.number,
  name: space.name,
  description: sha(JSON.stringify(space.description ?? null)),
  baseRole: space.base_role,
  instructions: sha(space.general_instructions ?? ""),
  resources: tableText(
    (space.resources_attributes ?? []).map((r) => [String(r.id), sha(canonical({ t: r.resource_type, m: r.metadata }))])
  ),
  collaborators: tableText(
    space.collaborators.map((c) => [
      isUserCollaborator(c) ? `User/${c.login}` : isTeamCollaborator(c) ? `Team/${c.slug}` : canonical(c),
      c.role
    ])
  )
})
