// Random access to an S3 object for yauzl: each range is a ranged GET, but small reads (the zip's central directory,
// which yauzl reads record by record, and each entry's local header) are served from a 1 MiB read-ahead block, so
// reading the table of contents of 50,000 entries costs a handful of requests, not 100,000.
import { Readable } from "node:stream"

/** Read-ahead: one request covers this many bytes from the first one asked for. */
export const BLOCK_SIZE = 1024 * 1024
/** Blocks kept: yauzl alternates between a local header and the central directory when entries stream in order. */
const KEEP_BLOCKS = 4

export interface RangeSource {
  readonly size: number
  /** Bytes [start, end), as a stream; rejects with an error that says which object and why. */
  readonly fetch: (start: number, end: number) => Promise<Readable>
}

const readAll = async (body: Readable): Promise<Buffer> => {
  const chunks: Array<Buffer> = []
  for await (const chunk of body) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

/** `readRange(start, end)` over a source, with read-ahead for small ranges and a direct stream for large ones. */
export const rangeReader = (source: RangeSource) => {
  const blocks: Array<{ readonly start: number; readonly end: number; readonly bytes: Promise<Buffer> }> = []
  const blockFor = (start: number, end: number) => {
    const hit = blocks.find((b) => b.start <= start && end <= b.end)
    if (hit !== undefined) return hit
    const blockEnd = Math.min(source.size, Math.max(end, start + BLOCK_SIZE))
    const block = { start, end: blockEnd, bytes: source.fetch(start, blockEnd).then(readAll) }
    // A failed fetch is not cached: the next read asks again.
    block.bytes.catch(() => {
      const at = blocks.indexOf(block)
      if (at >= 0) blocks.splice(at, 1)
    })
    blocks.unshift(block)
    if (blocks.length > KEEP_BLOCKS) blocks.pop()
    return block
  }
  return (start: number, end: number): Readable => {
    if (end <= start) return Readable.from([])
    if (end - start >= BLOCK_SIZE) {
      return Readable.from(
        (async function* () {
          yield* await source.fetch(start, end)
        })()
      )
    }
    return Readable.from(
      (async function* () {
        const block = blockFor(start, end)
        const bytes = await block.bytes
        yield bytes.subarray(start - block.start, end - block.start)
      })()
    )
  }
}
