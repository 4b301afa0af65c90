// The manifest of an archive in three ranged reads through ArchiveStore: the zip's end record, its central directory
// in one piece, and the manifest's local header with its bytes. What a year of nightly archives needs (the general
// reader costs a read per entry, a request each on S3). Anything unusual (zip64, encryption, another compression)
// answers undefined: the caller uses the reader.
import { buffer } from "node:stream/consumers"
import { crc32, inflateRawSync } from "node:zlib"
import { Effect } from "effect"
import { MANIFEST_PATH, type Manifest } from "../archive/ArchiveFormat.ts"
import { decodeManifest, unsafeEntryName } from "../archive/ArchiveReader.ts"
import type { ArchiveError } from "../archive/ArchiveError.ts"
import { type ArchiveSource, refOfSource, sourceText } from "../archive/ArchiveLocation.ts"
import { type ArchiveReadHandle, ArchiveStore } from "../archive/ArchiveStore.ts"

const EOCD = 0x06054b50
const CENTRAL = 0x02014b50
const LOCAL = 0x04034b50

interface CentralEntry {
  readonly method: number
  readonly crc: number
  readonly compressed: number
  readonly size: number
  readonly offset: number
}

/** The central directory's entries by name, or undefined when it is not the plain zip our writer makes. */
const parseCentral = (cd: Buffer, count: number): Map<string, CentralEntry> | undefined => {
  const entries = new Map<string, CentralEntry>()
  let p = 0
  for (let i = 0; i < count; i++) {
    if (p + 46 > cd.length || cd.readUInt32LE(p) !== CENTRAL) return undefined
    const flags = cd.readUInt16LE(p + 8)
    const nameLength = cd.readUInt16LE(p + 28)
    const name = cd.toString("utf8", p + 46, p + 46 + nameLength)
    const entry = {
      method: cd.readUInt16LE(p + 10),
      crc: cd.readUInt32LE(p + 16),
      compressed: cd.readUInt32LE(p + 20),
      size: cd.readUInt32LE(p + 24),
      offset: cd.readUInt32LE(p + 42)
    }
    // Encrypted, zip64 sizes, a name twice or an unsafe one: the general reader says what is wrong.
    if (flags & 1 || entry.compressed === 0xffffffff || entry.offset === 0xffffffff) return undefined
    if (entries.has(name) || unsafeEntryName(name) !== undefined) return undefined
    entries.set(name, entry)
    p += 46 + nameLength + cd.readUInt16LE(p + 30) + cd.readUInt16LE(p + 32)
  }
  return entries
}

/** Bytes `[position, position + length)`, or undefined when the archive is shorter. */
const readAt = async (handle: ArchiveReadHandle, position: number, length: number) => {
  if (position < 0 || position + length > handle.size) return undefined
  if (length === 0) return Buffer.alloc(0)
  const bytes = await buffer(handle.readRange(position, position + length))
  return bytes.length === length ? bytes : undefined
}

// The end record is the last 22 bytes of our archives (no comment); a tail this long holds it, and the central
// directory of a small archive with it. A longer comment is unusual: the general reader takes over.
const TAIL = 8 * 1024

// The manifest's local header is 30 bytes plus a name and an extra field of unknown length: read with its data in
// one range, with room for a name and extra field this long (ours have no extra field).
const LOCAL_SLACK = 30 + 256

/** The manifest's JSON, CRC-checked, or undefined when the fast path does not apply. */
const manifestJson = async (handle: ArchiveReadHandle): Promise<unknown> => {
  const size = handle.size
  const tailLength = Math.min(size, TAIL)
  const tail = await readAt(handle, size - tailLength, tailLength)
  if (tail === undefined) return undefined
  let e = tail.length - 22
  while (e >= 0 && tail.readUInt32LE(e) !== EOCD) e--
  if (e < 0) return undefined
  const count = tail.readUInt16LE(e + 10)
  const cdSize = tail.readUInt32LE(e + 12)
  const cdOffset = tail.readUInt32LE(e + 16)
  if (count === 0xffff || cdOffset === 0xffffffff) return undefined
  // The central directory usually sits in the tail already read: no second read then.
  const tailStart = size - tailLength
  const cd =
    cdOffset >= tailStart && cdOffset + cdSize <= size
      ? tail.subarray(cdOffset - tailStart, cdOffset - tailStart + cdSize)
      : await readAt(handle, cdOffset, cdSize)
  const entries = cd === undefined ? undefined : parseCentral(cd, count)
  const m = entries?.get(MANIFEST_PATH)
  if (m === undefined || (m.method !== 0 && m.method !== 8)) return undefined
  const span = await readAt(handle, m.offset, Math.min(LOCAL_SLACK + m.compressed, size - m.offset))
  if (span === undefined || span.length < 30 || span.readUInt32LE(0) !== LOCAL) return undefined
  const start = 30 + span.readUInt16LE(26) + span.readUInt16LE(28)
  if (start + m.compressed > span.length) return undefined
  const data = span.subarray(start, start + m.compressed)
  const bytes = m.method === 8 ? inflateRawSync(data) : data
  if (bytes.length !== m.size || crc32(bytes) >>> 0 !== m.crc) return undefined
  return JSON.parse(bytes.toString("utf8"))
}

/** The manifest by the fast path, or undefined: then the caller opens the archive with the general reader. */
export const readManifestFast = (source: ArchiveSource): Effect.Effect<Manifest | undefined, ArchiveError> =>
  Effect.scoped(
    Effect.gen(function* () {
      // A store failure (not found, denied) is the general reader's to say, in its words.
      const handle = yield* Effect.option(ArchiveStore.openRead(refOfSource(source)))
      if (handle._tag === "None") return undefined
      const json = yield* Effect.promise(() => manifestJson(handle.value).catch(() => undefined))
      return json === undefined ? undefined : yield* decodeManifest(sourceText(source), json)
    })
  )
