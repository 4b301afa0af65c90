// Whether an archive's entries are the ones its manifest lists (rules 2 and 3 of docs/archive-format.md), one
// sentence per mismatch. The reader refuses an archive on the first one: names and sizes are compared from the
// zip's central directory when it is opened, and each entry's sha256 is computed chunk by chunk as it is read.
import { createHash } from "node:crypto"
import { MANIFEST_PATH, type StoredEntry } from "./ArchiveFormat.ts"

export interface ManifestListing {
  /** The manifest's rows by path. */
  readonly rows: ReadonlyMap<string, StoredEntry>
  /** The first difference between the manifest and the zip's names and sizes, or undefined when they agree. */
  readonly problem: string | undefined
}

/** Compares the manifest's rows with the zip's entries (by name, with their uncompressed size) without reading any. */
export const checkListing = (
  listed: ReadonlyArray<StoredEntry>,
  zip: ReadonlyMap<string, { readonly size: number }>
): ManifestListing => {
  const rows = new Map<string, StoredEntry>()
  let problem: string | undefined
  for (const row of listed) {
    if (rows.has(row.path)) problem ??= `entry ${row.path} is listed twice in the manifest`
    rows.set(row.path, row)
    const size = zip.get(row.path)?.size
    if (size === undefined) problem ??= `entry ${row.path} is listed in the manifest but missing from the archive`
    else if (size !== row.size) problem ??= `entry ${row.path} has ${size} bytes, the manifest says ${row.size}`
  }
  if (problem === undefined) {
    for (const name of zip.keys()) {
      if (name !== MANIFEST_PATH && !rows.has(name)) {
        problem = `entry ${name} is not listed in the manifest`
        break
      }
    }
  }
  return { rows, problem }
}

/**
 * Checks one entry against its manifest row while it is read: `update` with each chunk, then `problem` says what
 * differs (size, then sha256), or undefined. Holds only the running hash, never the bytes.
 */
export const entryChecker = (row: StoredEntry) => {
  const hash = createHash("sha256")
  let size = 0
  return {
    update: (chunk: Uint8Array): void => {
      hash.update(chunk)
      size += chunk.length
    },
    problem: (): string | undefined =>
      size !== row.size
        ? `entry ${row.path} has ${size} bytes, the manifest says ${row.size}`
        : hash.digest("hex") !== row.sha256
          ? `entry ${row.path} does not match its sha256 in the manifest`
          : undefined
  }
}
