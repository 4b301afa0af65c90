// Small reads of an archive served from a few cached blocks: yauzl reads the central directory record by record
// (two small reads per entry), which would be one request each against an object store.
import { Readable } from "node:stream"
import type { ArchiveReadHandle } from "./ArchiveStore.ts"

/** Block size: a few hundred central-directory records, or a handful of typical entries, per read. */
const BLOCK = 256 * 1024
/** Blocks kept per open archive (2 MiB): the central directory is read in order, entries mostly in order. */
const BLOCKS_KEPT = 8

const collect = async (stream: Readable): Promise<Buffer> => {
  const chunks: Array<Buffer> = []
  for await (const c of stream) chunks.push(c as Buffer)
  return Buffer.concat(chunks)
}

/** The same archive, with reads up to a block long served from aligned, cached blocks; longer reads pass through. */
export const withBlockCache = (handle: ArchiveReadHandle): ArchiveReadHandle => {
  // Insertion order is recency: a block used again is moved to the end, the first one is the one to drop.
  const blocks = new Map<number, Promise<Buffer>>()
  const block = (index: number): Promise<Buffer> => {
    const cached = blocks.get(index)
    if (cached !== undefined) {
      blocks.delete(index)
      blocks.set(index, cached)
      return cached
    }
    const start = index * BLOCK
    const read = collect(handle.readRange(start, Math.min(start + BLOCK, handle.size)))
    // A failed read is not kept: the next reader tries again and sees its own error.
    read.catch(() => blocks.get(index) === read && blocks.delete(index))
    blocks.set(index, read)
    const oldest = blocks.keys().next()
    if (blocks.size > BLOCKS_KEPT && oldest.done !== true) blocks.delete(oldest.value)
    return read
  }
  return {
    size: handle.size,
    readRange: (start, end) => {
      if (end - start > BLOCK) return handle.readRange(start, end)
      async function* pieces() {
        for (let index = Math.floor(start / BLOCK); index * BLOCK < end; index++) {
          const bytes = await block(index)
          const from = Math.max(start - index * BLOCK, 0)
          const to = Math.min(end - index * BLOCK, bytes.length)
          if (to > from) yield bytes.subarray(from, to)
          // A short block is the end of the archive: the reader sees fewer bytes than it asked for and says so.
          if (bytes.length < BLOCK) return
        }
      }
      return Readable.from(pieces(), { objectMode: false })
    }
  }
}
