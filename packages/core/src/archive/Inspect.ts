// `inspect`: what an archive holds, for people. The inventory of its owners and spaces (optionally of some owners
// only), or one space in full: its texts, its resources with the repositories they name, and its collaborators. An
// encrypted archive without an identity still shows its inventory from the manifest: owners, numbers, failures.
import { Effect, Schema, Stream } from "effect"
import { sameLogin } from "../domain/Owner.ts"
import { isTeamCollaborator, isUserCollaborator, type Collaborator, type Resource } from "../domain/Space.ts"
import { FailureScope, type Manifest, type RepositoryIndex, spaceEntryPath } from "./ArchiveFormat.ts"
import type { ArchiveError } from "./ArchiveError.ts"
import { type ArchiveHandle, openArchive, parseSpacePath } from "./ArchiveReader.ts"
import type { ArchiveSource } from "./ArchiveLocation.ts"

/** The archive does not hold what was asked for: an owner, or one space. */
export class NotInArchive extends Schema.TaggedError<NotInArchive>()("NotInArchive", {
  path: Schema.String,
  /** "owner octo-org" or "space octo-org/7". */
  what: Schema.String,
  /** Why, when the manifest says: the space was deleted during the export, or could not be read. */
  why: Schema.optionalKey(Schema.String)
}) {
  override get message(): string {
    return `archive ${this.path} holds no ${this.what}${this.why === undefined ? "" : ` (${this.why})`}`
  }
}

export interface InspectedSpace {
  readonly number: number
  /** Name and counts are absent when the archive is encrypted and no identity was given: they are in its contents. */
  readonly name?: string
  readonly resources?: number
  readonly collaborators?: number
}

export interface Inspection {
  readonly archive: string
  readonly formatVersion: number
  /** The content entries are encrypted (archive format 2). */
  readonly encrypted: boolean
  /** The contents were read: false for an encrypted archive without an identity (spaces by number only). */
  readonly decrypted: boolean
  readonly createdAt: string
  readonly sourceApiUrl: string
  readonly tool: Manifest["tool"]
  readonly partial: boolean
  /** Present when the archive is one shard of a sharded export. */
  readonly shard?: { readonly index: number; readonly count: number }
  /** What ties one run's archives together; absent in archives written before run ids. */
  readonly runId?: string
  readonly owners: ReadonlyArray<{
    readonly login: string
    readonly kind: string
    readonly status: string
    readonly failures: Manifest["owners"][number]["failures"]
    readonly vanished: ReadonlyArray<number>
    readonly spaces: ReadonlyArray<InspectedSpace>
  }>
  readonly repositories: number
}

/** The owners of `manifest` among `logins` (all of them when none is given); fails on a login it does not hold. */
const selectOwners = (path: string, manifest: Manifest, logins: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    for (const login of logins) {
      if (!manifest.owners.some((o) => sameLogin(o.login, login)))
        return yield* new NotInArchive({ path, what: `owner ${login}` })
    }
    return logins.length === 0
      ? manifest.owners
      : manifest.owners.filter((o) => logins.some((l) => sameLogin(l, o.login)))
  })

/** The inventory of an archive, of the owners in `owners` only when it is not empty. */
export const inspectArchive: (
  path: ArchiveSource,
  owners?: ReadonlyArray<string>
) => Effect.Effect<Inspection, ArchiveError | NotInArchive> = Effect.fn("Inspect.inspectArchive")(function* (
  source: ArchiveSource,
  owners: ReadonlyArray<string> = []
) {
  const archive = yield* openArchive(source)
  const path = archive.path
  const m = archive.manifest
  const selected = yield* selectOwners(path, m, owners)
  const byOwner = new Map<string, Array<InspectedSpace>>(selected.map((o) => [o.login.toLowerCase(), []]))
  const repositories = yield* (archive.decryptable ? readInventory : sealedInventory)(archive, (owner, space) =>
    byOwner.get(owner)?.push(space)
  )
  return {
    archive: path,
    formatVersion: m.formatVersion,
    encrypted: m.encryption !== undefined,
    decrypted: archive.decryptable,
    createdAt: m.createdAt,
    sourceApiUrl: m.sourceApiUrl,
    tool: m.tool,
    partial: m.partial,
    ...(m.shard === undefined ? {} : { shard: m.shard }),
    ...(m.runId === undefined ? {} : { runId: m.runId }),
    owners: selected.map((o) => ({
      login: o.login,
      kind: o.kind,
      status: o.status,
      failures: o.failures,
      vanished: o.vanished,
      spaces: (byOwner.get(o.login.toLowerCase()) ?? []).sort((a, b) => a.number - b.number)
    })),
    repositories
  }
}, Effect.scoped)

/** Hands each space to `f` by its folded owner login; returns how many repositories the spaces reference. */
type Inventory = (
  archive: ArchiveHandle,
  f: (ownerLogin: string, space: InspectedSpace) => void
) => Effect.Effect<number, ArchiveError>

/** Every space is read, also those of owners not shown: reading is what checks them against the manifest. */
const readInventory: Inventory = (archive, f) =>
  Stream.runForEach(archive.spaces, (e) =>
    Effect.sync(() =>
      f(e.ownerLogin, {
        number: e.number,
        name: e.space.name,
        resources: e.space.resources_attributes?.length ?? 0,
        collaborators: e.space.collaborators.length
      })
    )
  ).pipe(
    Effect.andThen(archive.repositories),
    Effect.map((r) => Object.keys(r).length)
  )

/**
 * Without an identity: every stored entry is read and checked against the manifest all the same, spaces come from
 * its rows (numbers only), and the repositories are those the rows' repository ids name.
 */
const sealedInventory: Inventory = (archive, f) =>
  Effect.gen(function* () {
    const repositories = new Set<number>()
    for (const entry of archive.manifest.entries) {
      yield* archive.readStored(entry)
      const s = parseSpacePath(entry.path)
      if (s === undefined) continue
      f(s.ownerLogin, { number: s.number })
      for (const id of entry.repositoryIds ?? []) repositories.add(id)
    }
    return repositories.size
  })

export interface InspectedResource {
  readonly id: number
  readonly type: string
  /** The full name of the repository it belongs to, when it names one the archive could resolve. */
  readonly repository: string | null
  /** One line for people: the repository, file, issue or note it stands for. */
  readonly summary: string
  readonly metadata: Resource["metadata"]
}

export interface InspectedCollaborator {
  /** User, Team, or a kind GitHub added later. */
  readonly type: string
  /** The user's login or the team's slug; empty for a kind this version does not know. */
  readonly name: string
  readonly role: string
}

export interface SpaceInspection {
  readonly archive: string
  readonly createdAt: string
  readonly owner: string
  readonly number: number
  readonly name: string
  readonly description: string | null
  readonly baseRole: string
  readonly generalInstructions: string | null
  readonly url: string
  readonly creator: string
  readonly spaceCreatedAt: string
  readonly spaceUpdatedAt: string
  readonly resources: ReadonlyArray<InspectedResource>
  readonly collaborators: ReadonlyArray<InspectedCollaborator>
}

const resourceOf = (r: Resource, repositories: RepositoryIndex): InspectedResource => {
  const id = r.metadata.repository_id
  const repository = id === undefined ? null : (repositories[String(id)]?.full_name ?? null)
  const repo = repository ?? (id === undefined ? "" : `repository ${id}`)
  const m = r.metadata
  const summary =
    r.resource_type === "repository"
      ? repo
      : r.resource_type === "github_file"
        ? `${repo}: ${m.file_path ?? ""}`
        : r.resource_type === "github_issue" || r.resource_type === "github_pull_request"
          ? `${repo}#${m.number ?? "?"}`
          : [m.name, m.file_path, repo].filter((s) => s !== undefined && s !== "").join(" ") || "(no name)"
  return { id: r.id, type: r.resource_type, repository, summary, metadata: r.metadata }
}

const collaboratorOf = (c: Collaborator): InspectedCollaborator => ({
  type: c.actor_type,
  name: isUserCollaborator(c) ? c.login : isTeamCollaborator(c) ? c.slug : "",
  role: c.role
})

/** One space of an archive in full; fails with NotInArchive, saying why when the manifest knows, if it is not there. */
export const inspectSpace: (
  path: ArchiveSource,
  owner: string,
  number: number
) => Effect.Effect<SpaceInspection, ArchiveError | NotInArchive> = Effect.fn("Inspect.inspectSpace")(function* (
  source: ArchiveSource,
  owner: string,
  number: number
) {
  const archive = yield* openArchive(source)
  const path = archive.path
  const [o] = yield* selectOwners(path, archive.manifest, [owner])
  if (!archive.manifest.entries.some((e) => e.path === spaceEntryPath(owner, number))) {
    const failure = o?.failures.find((f) => f.scope === FailureScope.space(number))
    return yield* new NotInArchive({
      path,
      what: `space ${o?.login ?? owner}/${number}`,
      ...(o?.vanished.includes(number)
        ? { why: "it was deleted during the export" }
        : failure !== undefined
          ? { why: `the export could not read it: ${failure.message}` }
          : {})
    })
  }
  const { space } = yield* archive.readSpace(owner, number)
  const repositories = yield* archive.repositories
  return {
    archive: path,
    createdAt: archive.manifest.createdAt,
    owner: o?.login ?? owner,
    number,
    name: space.name,
    description: space.description ?? null,
    baseRole: space.base_role,
    generalInstructions: space.general_instructions ?? null,
    url: space.html_url,
    creator: space.creator.login,
    spaceCreatedAt: space.created_at,
    spaceUpdatedAt: space.updated_at,
    resources: (space.resources_attributes ?? []).map((r) => resourceOf(r, repositories)),
    collaborators: space.collaborators.map(collaboratorOf)
  }
}, Effect.scoped)
