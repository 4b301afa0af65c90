// `verify`: trusts nothing it reads. Zip structure and CRCs, every manifest entry's size and sha256, no entry
// outside the manifest, safe entry names, the schema of every file, and counts that agree with the manifest. An
// intact archive of a partial export is not "ok" either: the report says which owners failed.
import { createHash } from "node:crypto"
import { Cause, Effect, Result, Schema } from "effect"
import {
  ArchivedSpaceV1,
  describeFailure,
  MANIFEST_PATH,
  type Manifest,
  REPOSITORIES_PATH,
  RepositoryIndexV1
} from "./ArchiveFormat.ts"
import type { ArchiveError } from "./ArchiveError.ts"
import { firstLine, openArchive, parseSpacePath } from "./ArchiveReader.ts"
import type { ArchiveSource } from "./ArchiveLocation.ts"

/** An owner the export could not read completely, as the manifest records it. */
export interface FailedOwner {
  readonly login: string
  readonly kind: string
  /** "scope: message", one per failure. */
  readonly failures: ReadonlyArray<string>
}

export interface VerifyReport {
  readonly archive: string
  /** Intact and complete: the archive is what its manifest says, and the export it records read everything. */
  readonly ok: boolean
  /** The archive is what its manifest says (no problems). */
  readonly intact: boolean
  /** The export it records was complete; false for a partial archive, whatever its integrity. */
  readonly complete: boolean
  /** Owners whose listing or spaces failed; empty for a complete archive. */
  readonly failedOwners: ReadonlyArray<FailedOwner>
  readonly formatVersion: number
  readonly problems: ReadonlyArray<string>
  readonly counts: { readonly entries: number; readonly spaces: number; readonly owners: number }
}

const parseJson = (bytes: Buffer): Result.Result<unknown, unknown> =>
  Result.try(() => JSON.parse(bytes.toString("utf8")) as unknown)

const why = (cause: Cause.Cause<{ readonly message: string }>) =>
  firstLine(String((Cause.squash(cause) as { message?: unknown }).message ?? cause))

/** Fails with ArchiveError only when the archive cannot be read at all; everything else is a problem in the report. */
export const verifyArchive = (path: ArchiveSource): Effect.Effect<VerifyReport, ArchiveError> =>
  Effect.scoped(
    Effect.gen(function* () {
      const archive = yield* openArchive(path)
      const problems: Array<string> = []
      const listed = new Set(archive.manifest.entries.map((e) => e.path))
      for (const name of archive.entries.keys()) {
        if (name !== MANIFEST_PATH && !listed.has(name)) problems.push(`entry ${name} is not listed in the manifest`)
      }
      const spacesPerOwner = new Map<string, number>()
      for (const entry of archive.manifest.entries) {
        if (!archive.entries.has(entry.path)) {
          problems.push(`entry ${entry.path} is listed in the manifest but missing from the archive`)
          continue
        }
        const space = parseSpacePath(entry.path)
        // Counted before it is read: a damaged or malformed entry is one problem, not also a short count.
        if (space !== undefined) spacesPerOwner.set(space.ownerLogin, (spacesPerOwner.get(space.ownerLogin) ?? 0) + 1)
        const bytes = yield* archive
          .readBytes(entry.path)
          .pipe(Effect.catchTag("ArchiveError", (e) => Effect.sync(() => void problems.push(e.problem))))
        if (bytes === undefined) continue
        if (bytes.length !== entry.size)
          problems.push(`entry ${entry.path} has ${bytes.length} bytes, the manifest says ${entry.size}`)
        const sha = createHash("sha256").update(bytes).digest("hex")
        if (sha !== entry.sha256) problems.push(`entry ${entry.path} does not match its sha256 in the manifest`)
        const parsed = parseJson(bytes)
        if (Result.isFailure(parsed)) {
          problems.push(`entry ${entry.path} is not valid JSON`)
          continue
        }
        const json = parsed.success
        if (entry.path === REPOSITORIES_PATH) {
          const r = Schema.decodeUnknownExit(RepositoryIndexV1)(json)
          if (r._tag === "Failure") problems.push(`repositories.json does not match the format: ${why(r.cause)}`)
        } else if (space !== undefined) {
          const r = Schema.decodeUnknownExit(ArchivedSpaceV1)(json)
          if (r._tag === "Failure") problems.push(`${entry.path} does not match the format: ${why(r.cause)}`)
          else if (r.value.number !== space.number) problems.push(`${entry.path} holds space number ${r.value.number}`)
        } else {
          problems.push(`entry ${entry.path} is not part of archive format 1`)
        }
      }
      if (!listed.has(REPOSITORIES_PATH)) problems.push("repositories.json is missing")
      for (const owner of archive.manifest.owners) {
        const found = spacesPerOwner.get(owner.login.toLowerCase()) ?? 0
        if (found !== owner.spaces)
          problems.push(`owner ${owner.login}: the manifest says ${owner.spaces} spaces, the archive holds ${found}`)
        spacesPerOwner.delete(owner.login.toLowerCase())
      }
      for (const [login, n] of spacesPerOwner)
        problems.push(`${n} spaces of ${login} belong to no owner in the manifest`)
      const intact = problems.length === 0
      const complete = !archive.manifest.partial
      return {
        archive: archive.path,
        ok: intact && complete,
        intact,
        complete,
        failedOwners: failedOwnersOf(archive.manifest),
        formatVersion: archive.manifest.formatVersion,
        problems,
        counts: {
          entries: archive.manifest.entries.length,
          spaces: archive.manifest.entries.filter((e) => parseSpacePath(e.path) !== undefined).length,
          owners: archive.manifest.owners.length
        }
      }
    })
  )

const failedOwnersOf = (manifest: Manifest): ReadonlyArray<FailedOwner> =>
  manifest.owners
    .filter((o) => o.status === "partial" || o.failures.length > 0)
    .map((o) => ({ login: o.login, kind: o.kind, failures: o.failures.map(describeFailure) }))
