// The manifest of an archive in three reads: the zip's end record, its central directory in one piece, and the
// manifest's bytes. What a year of nightly archives needs (opening each through the general reader costs a read per
// entry). Anything unusual (zip64, encryption, another compression) answers undefined: the caller uses the reader.
import { open } from "node:fs/promises"
import { crc32, inflateRawSync } from "node:zlib"
import { Effect } from "effect"
import { MANIFEST_PATH, type Manifest } from "../archive/ArchiveFormat.ts"
import { decodeManifest, unsafeEntryName } from "../archive/ArchiveReader.ts"
import type { ArchiveError } from "../archive/ArchiveError.ts"

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

const readAt = async (handle: Awaited<ReturnType<typeof open>>, position: number, length: number) => {
  const buffer = Buffer.alloc(length)
  const { bytesRead } = await handle.read(buffer, 0, length, position)
  return bytesRead === length ? buffer : undefined
}

/** The manifest's JSON, CRC-checked, or undefined when the fast path does not apply. */
const manifestJson = async (path: string): Promise<unknown> => {
  const handle = await open(path, "r")
  try {
    const { size } = await handle.stat()
    const tailLength = Math.min(size, 22 + 0xffff)
    const tail = await readAt(handle, size - tailLength, tailLength)
    if (tail === undefined) return undefined
    let e = tail.length - 22
    while (e >= 0 && tail.readUInt32LE(e) !== EOCD) e--
    if (e < 0) return undefined
    const count = tail.readUInt16LE(e + 10)
    const cdSize = tail.readUInt32LE(e + 12)
    const cdOffset = tail.readUInt32LE(e + 16)
    if (count === 0xffff || cdOffset === 0xffffffff) return undefined
    const cd = await readAt(handle, cdOffset, cdSize)
    const entries = cd === undefined ? undefined : parseCentral(cd, count)
    const m = entries?.get(MANIFEST_PATH)
    if (m === undefined || (m.method !== 0 && m.method !== 8)) return undefined
    const local = await readAt(handle, m.offset, 30)
    if (local === undefined || local.readUInt32LE(0) !== LOCAL) return undefined
    const start = m.offset + 30 + local.readUInt16LE(26) + local.readUInt16LE(28)
    const data = await readAt(handle, start, m.compressed)
    if (data === undefined) return undefined
    const bytes = m.method === 8 ? inflateRawSync(data) : data
    if (bytes.length !== m.size || crc32(bytes) >>> 0 !== m.crc) return undefined
    return JSON.parse(bytes.toString("utf8"))
  } catch {
    return undefined
  } finally {
    await handle.close()
  }
}

/** The manifest by the fast path, or undefined: then the caller opens the archive with the general reader. */
export const readManifestFast = (path: string): Effect.Effect<Manifest | undefined, ArchiveError> =>
  Effect.flatMap(
    Effect.promise(() => manifestJson(path)),
    (json) => (json === undefined ? Effect.succeed(undefined) : decodeManifest(path, json))
  )
