// Archives for the archive tests: a space, archives written by our writer, zips built by hand (for archives the
// writer would never produce), manifests that list entries truthfully, and damage done to a file's bytes.
import { createHash } from "node:crypto"
import { createWriteStream } from "node:fs"
import { mkdtemp, readFile, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { ZipArchive } from "archiver"
import { Effect } from "effect"
import type { ManifestOwner } from "../../src/archive/ArchiveFormat.ts"
import { openArchiveWriter, type WriterOptions } from "../../src/archive/ArchiveWriter.ts"
import { archivedSpace } from "../support/archives.ts"

/** A space of octo-org with one repository resource, one collaborator and a field newer than the format. */
export const space = (number: number, extra: Record<string, unknown> = {}) =>
  archivedSpace("octo-org", number, {
    html_url: "https://github.com/copilot/spaces/octo-org/1",
    api_url: "https://api.github.com/organizations/1/copilot-spaces/1",
    resources_attributes: [
      { id: 9, resource_type: "repository", metadata: { repository_id: 42 }, copilot_chat_attachment_id: null }
    ],
    collaborators: [{ actor_type: "User", role: "writer", login: "hubot", id: 5 }],
    future_field: { kept: true },
    ...extra
  })

export const tmp = Effect.promise(() => mkdtemp(join(tmpdir(), "sv-archive-")))

export const readBytes = (path: string) => Effect.promise(() => readFile(path))
export const writeBytes = (path: string, bytes: Uint8Array | string) => Effect.promise(() => writeFile(path, bytes))

export const completeOwner = (login: string, spaces: number): ManifestOwner => ({
  login,
  kind: "org",
  status: "complete",
  spaces,
  failures: [],
  vanished: []
})

/** An archive of `spaces` (by default spaces 1..count of octo-org, as `space` makes them), written by our writer. */
export const writeArchive = (
  path: string,
  count = 3,
  owners: ReadonlyArray<ManifestOwner> = [completeOwner("octo-org", count)],
  spaces: ReadonlyArray<[owner: string, space: Record<string, unknown> & { number: number }]> = Array.from(
    { length: count },
    (_, i) => ["octo-org", space(i + 1)] as [string, ReturnType<typeof space>]
  ),
  options: WriterOptions = {}
) =>
  Effect.scoped(
    Effect.gen(function* () {
      const w = yield* openArchiveWriter(path, options)
      for (const [owner, s] of spaces) yield* w.addSpace(owner, s.number, s)
      yield* w.setRepositories({ "42": { full_name: "octo-org/api", etag: `"r"` } })
      return yield* w.finish({
        toolVersion: "test",
        createdAt: "2026-01-01T00:00:00Z",
        sourceApiUrl: "https://api.github.com",
        partial: false,
        owners
      })
    })
  )

/** A zip built by hand, for archives our writer would never produce. */
export const rawZip = (path: string, entries: ReadonlyArray<[string, string]>) =>
  Effect.promise(
    () =>
      new Promise<void>((resolve, reject) => {
        const zip = new ZipArchive({})
        const out = createWriteStream(path)
        out.on("close", () => resolve())
        zip.on("error", reject)
        zip.pipe(out)
        for (const [name, text] of entries) zip.append(text, { name })
        void zip.finalize()
      })
  )

/** A manifest that lists `entries` (path and text) truthfully, whatever the zip then holds. */
export const manifest = (entries: ReadonlyArray<{ path: string; text: string }>, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    formatVersion: 1,
    tool: { name: "spaces-vault", version: "t" },
    createdAt: "2026-01-01T00:00:00Z",
    sourceApiUrl: "https://api.github.com",
    partial: false,
    owners: [
      {
        login: "octo-org",
        kind: "org",
        status: "complete",
        spaces: entries.filter((e) => e.path.startsWith("spaces/")).length,
        failures: [],
        vanished: []
      }
    ],
    entries: entries.map((e) => ({
      path: e.path,
      size: Buffer.byteLength(e.text),
      sha256: createHash("sha256").update(e.text).digest("hex")
    })),
    ...extra
  })

/** Where a zip's parts lie, read from its end record: the central directory, and each entry's local header and data. */
export const zipLayout = (bytes: Buffer) => {
  const end = bytes.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]))
  const centralDirectory = bytes.readUInt32LE(end + 16)
  const entries: Array<{ name: string; header: number; data: number; compressedSize: number }> = []
  for (let at = centralDirectory; at < end; ) {
    const nameLength = bytes.readUInt16LE(at + 28)
    const extraLength = bytes.readUInt16LE(at + 30)
    const commentLength = bytes.readUInt16LE(at + 32)
    const header = bytes.readUInt32LE(at + 42)
    const data = header + 30 + bytes.readUInt16LE(header + 26) + bytes.readUInt16LE(header + 28)
    const name = bytes.toString("latin1", at + 46, at + 46 + nameLength)
    entries.push({ name, header, data, compressedSize: bytes.readUInt32LE(at + 20) })
    at += 46 + nameLength + extraLength + commentLength
  }
  return { centralDirectory, end, entries }
}

/** A copy of `path` at `to`, with the byte at each offset inverted. */
export const flipBytes = (path: string, to: string, offsets: ReadonlyArray<number>) =>
  Effect.gen(function* () {
    const bytes = Buffer.from(yield* readBytes(path))
    for (const offset of offsets) bytes[offset] = bytes[offset]! ^ 0xff
    yield* writeBytes(to, bytes)
    return to
  })

/** The message an effect fails with, or "no error". */
export const failureMessage = <A>(effect: Effect.Effect<A, { readonly message: string }>) =>
  effect.pipe(
    Effect.flip,
    Effect.map((e) => e.message),
    Effect.orElseSucceed(() => "no error")
  )
