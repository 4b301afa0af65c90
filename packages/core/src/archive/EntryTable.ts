// The manifest's file list while an archive is written: one row per entry, held compactly because an export
// keeps every row until the manifest is written last. A row is a folder index, a number or name, a size and 32
// bytes of sha256 (~60 bytes), instead of an object with a path and a hex digest (~300 bytes): at 50,000 spaces
// that is ~12 MB less held to the end. The manifest's text is then produced in chunks, never as one string.
// An encrypted archive's table adds per row its plaintext's size and sha256 (another 32 bytes in one buffer), and a
// space's ETags and referenced repository ids (the format-2 row, ArchiveFormat.ts `ManifestEntryV2`), held as bytes
// in shared buffers too rather than an object, two strings and an array per row (~180 bytes, ~9 MB at 50,000).
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

/** ETags as UTF-8 bytes, one after another; a row keeps where its text starts and how long each part is. */
class TextRun {
  private bytes = Buffer.allocUnsafe(64 * 1024)
  private used = 0
  /** Appends `text` and returns where it starts. */
  add(text: string): number {
    const need = Buffer.byteLength(text, "utf8")
    if (this.used + need > this.bytes.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.bytes.length * 2, this.used + need))
      this.bytes.copy(grown, 0, 0, this.used)
      this.bytes = grown
    }
    const at = this.used
    this.used += this.bytes.write(text, at, "utf8")
    return at
  }
  text(at: number, length: number): string {
    return this.bytes.toString("utf8", at, at + length)
  }
}

/** Repository ids, one after another (ids are integers below 2^53). */
class IdRun {
  private ids = new Float64Array(16 * 1024)
  private used = 0
  add(ids: ReadonlyArray<number>): number {
    if (this.used + ids.length > this.ids.length) {
      const grown = new Float64Array(Math.max(this.ids.length * 2, this.used + ids.length))
      grown.set(this.ids.subarray(0, this.used))
      this.ids = grown
    }
    const at = this.used
    this.ids.set(ids, at)
    this.used += ids.length
    return at
  }
  list(at: number, count: number): Array<number> {
    return Array.from(this.ids.subarray(at, at + count))
  }
}

/** No such part: an absent ETag (an empty one is kept as empty), or a row without repository ids. */
const ABSENT = -1

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
  private readonly etagText = new TextRun()
  /** Per row: where its ETags' text starts, and the byte length of each ETag (ABSENT when it has none). */
  private readonly etagAt: Array<number> = []
  private readonly spaceEtagLength: Array<number> = []
  private readonly collaboratorsEtagLength: Array<number> = []
  private readonly ids = new IdRun()
  /** Per row: where its repository ids start, and how many (ABSENT: the row lists none). */
  private readonly idsAt: Array<number> = []
  private readonly idsCount: Array<number> = []
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
      this.addEtags(encrypted.etags)
      const ids = encrypted.repositoryIds
      this.idsAt.push(ids === undefined ? ABSENT : this.ids.add(ids))
      this.idsCount.push(ids === undefined ? ABSENT : ids.length)
    }
  }

  private addEtags(etags: SpaceEtags | undefined): void {
    const space = etags?.space
    const collaborators = etags?.collaborators
    const at = etags === undefined ? ABSENT : this.etagText.add(`${space ?? ""}${collaborators ?? ""}`)
    this.etagAt.push(at)
    this.spaceEtagLength.push(space === undefined ? ABSENT : Buffer.byteLength(space, "utf8"))
    this.collaboratorsEtagLength.push(collaborators === undefined ? ABSENT : Buffer.byteLength(collaborators, "utf8"))
  }

  /** A row's ETags as they were added (an object with the parts present, or undefined). */
  private etagsOf(row: number): SpaceEtags | undefined {
    const at = this.etagAt[row]!
    if (at === ABSENT) return undefined
    const spaceLength = this.spaceEtagLength[row]!
    const collaboratorsLength = this.collaboratorsEtagLength[row]!
    const collaboratorsAt = at + Math.max(spaceLength, 0)
    return {
      ...(spaceLength === ABSENT ? {} : { space: this.etagText.text(at, spaceLength) }),
      ...(collaboratorsLength === ABSENT
        ? {}
        : { collaborators: this.etagText.text(collaboratorsAt, collaboratorsLength) })
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
      const etags = this.etagsOf(row)
      const idsCount = this.idsCount[row]!
      const repositoryIds = idsCount === ABSENT ? undefined : this.ids.list(this.idsAt[row]!, idsCount)
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
