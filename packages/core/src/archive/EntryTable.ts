// The manifest's file list while an archive is written: one row per entry, held compactly because an export
// keeps every row until the manifest is written last. A row is a folder index, a number or name, a size and 32
// bytes of sha256 (~60 bytes), instead of an object with a path and a hex digest (~300 bytes): at 50,000 spaces
// that is ~12 MB less held to the end. The manifest's text is then produced in chunks, never as one string.
// An encrypted archive's table adds per row its plaintext's size and sha256 (another 32 bytes in one buffer), and a
// space's ETags and referenced repository ids: the format-2 row (ArchiveFormat.ts `ManifestEntryV2`).
import { ENCRYPTED_SUFFIX, type ManifestEntryV1, type ManifestEntryV2, type SpaceEtags } from "./ArchiveFormat.ts"

const HASH_BYTES = 32

/** What an encrypted entry's row holds beyond the stored bytes' size and sha256. */
export interface EncryptedRow {
  readonly plaintextSize: number
  readonly plaintextSha256: Uint8Array
  readonly etags?: SpaceEtags | undefined
  readonly repositoryIds?: ReadonlyArray<number> | undefined
}

/** A growable run of 32-byte digests, one per row. */
class Digests {
  private bytes = Buffer.allocUnsafe(HASH_BYTES * 1024)
  set(row: number, digest: Uint8Array): void {
    if ((row + 1) * HASH_BYTES > this.bytes.length) {
      const grown = Buffer.allocUnsafe(this.bytes.length * 2)
      this.bytes.copy(grown)
      this.bytes = grown
    }
    this.bytes.set(digest, row * HASH_BYTES)
  }
  hex(row: number): string {
    return this.bytes.toString("hex", row * HASH_BYTES, (row + 1) * HASH_BYTES)
  }
}

/** `<folder>/<digits>.json`, the shape of every space entry: stored as the number alone. */
const NUMBERED = /^(.*)\/(\d{1,15})\.json$/

export class EntryTable {
  /**
   * With `encrypted`, every row is an encrypted entry: rows are added by their plaintext paths (compact, as above)
   * and listed by their stored `.age` names.
   */
  private readonly encrypted: boolean
  constructor(encrypted = false) {
    this.encrypted = encrypted
  }

  private readonly folders: Array<string> = []
  private readonly folderIndex = new Map<string, number>()
  private readonly folderOf: Array<number> = []
  /** A number stands for `<number>.json` in its folder; a string is any other name. */
  private readonly nameOf: Array<number | string> = []
  private readonly sizes: Array<number> = []
  private readonly hashes = new Digests()
  private readonly plaintextSizes: Array<number> = []
  private readonly plaintextHashes = new Digests()
  private readonly etags: Array<SpaceEtags | undefined> = []
  private readonly repositoryIds: Array<ReadonlyArray<number> | undefined> = []
  /** Names per folder, for refusing a second entry of the same path. */
  private readonly seen: Array<Set<number | string>> = []

  get size(): number {
    return this.sizes.length
  }

  private split(path: string): [folder: string, name: number | string] {
    const m = NUMBERED.exec(path)
    if (m !== null && String(Number(m[2])) === m[2]) return [m[1]!, Number(m[2])]
    const slash = path.lastIndexOf("/")
    return slash < 0 ? ["", path] : [path.slice(0, slash), path.slice(slash + 1)]
  }

  has(path: string): boolean {
    const [folder, name] = this.split(path)
    const i = this.folderIndex.get(folder)
    return i !== undefined && this.seen[i]!.has(name)
  }

  /**
   * Adds a row by its plaintext path; `sha256` is the 32-byte digest of the stored bytes. An encrypted table needs
   * `encrypted`, a plaintext one refuses it. Throws on a path already added.
   */
  add(path: string, size: number, sha256: Uint8Array, encrypted?: EncryptedRow): void {
    if (sha256.length !== HASH_BYTES) throw new Error(`sha256 of ${path} is ${sha256.length} bytes, not ${HASH_BYTES}`)
    if ((encrypted !== undefined) !== this.encrypted)
      throw new Error(
        `entry ${path}: ${this.encrypted ? "an encrypted table needs" : "a plaintext table takes no"} plaintext digest`
      )
    const [folder, name] = this.split(path)
    let i = this.folderIndex.get(folder)
    if (i === undefined) {
      i = this.folders.push(folder) - 1
      this.folderIndex.set(folder, i)
      this.seen.push(new Set())
    }
    if (this.seen[i]!.has(name)) throw new Error(`entry ${path} was added twice`)
    this.seen[i]!.add(name)
    const row = this.sizes.length
    this.hashes.set(row, sha256)
    this.folderOf.push(i)
    this.nameOf.push(name)
    this.sizes.push(size)
    if (encrypted !== undefined) {
      this.plaintextSizes.push(encrypted.plaintextSize)
      this.plaintextHashes.set(row, encrypted.plaintextSha256)
      this.etags.push(encrypted.etags)
      this.repositoryIds.push(encrypted.repositoryIds)
    }
  }

  /** The rows in the order they were added, as the manifest lists them (format 1 rows, or format 2's). */
  *entries(): Generator<ManifestEntryV1 | ManifestEntryV2> {
    for (let row = 0; row < this.sizes.length; row++) {
      const folder = this.folders[this.folderOf[row]!]!
      const name = this.nameOf[row]!
      const file = typeof name === "number" ? `${name}.json` : name
      const path = folder === "" ? file : `${folder}/${file}`
      const stored = { size: this.sizes[row]!, sha256: this.hashes.hex(row) }
      if (!this.encrypted) {
        yield { path, ...stored }
        continue
      }
      const etags = this.etags[row]
      const repositoryIds = this.repositoryIds[row]
      yield {
        path: `${path}${ENCRYPTED_SUFFIX}`,
        ...stored,
        plaintext: { size: this.plaintextSizes[row]!, sha256: this.plaintextHashes.hex(row) },
        ...(etags === undefined ? {} : { etags }),
        ...(repositoryIds === undefined ? {} : { repositoryIds })
      }
    }
  }
}

const ENTRIES_MARK = "\u0000entries\u0000"

/**
 * The manifest as `JSON.stringify(manifest, null, 2) + "\n"` (the format every entry is written in), in chunks of
 * about `chunkRows` entries, so a manifest of 50,000 entries never exists as one 8 MB string and its Buffer.
 */
export function* manifestChunks(
  head: Readonly<Record<string, unknown>>,
  table: EntryTable,
  chunkRows = 512
): Generator<string> {
  const [before, after] = JSON.stringify({ ...head, entries: ENTRIES_MARK }, null, 2).split(
    JSON.stringify(ENTRIES_MARK)
  ) as [string, string]
  if (table.size === 0) {
    yield `${before}[]${after}\n`
    return
  }
  let chunk = `${before}[\n`
  let rows = 0
  let first = true
  for (const entry of table.entries()) {
    // Each entry at depth 2 of the manifest: its own lines indented by four more spaces.
    chunk += `${first ? "" : ",\n"}    ${JSON.stringify(entry, null, 2).replaceAll("\n", "\n    ")}`
    first = false
    if (++rows % chunkRows === 0) {
      yield chunk
      chunk = ""
    }
  }
  yield `${chunk}\n  ]${after}\n`
}
