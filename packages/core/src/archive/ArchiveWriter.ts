// Writes an archive atomically: entries stream into a hidden temporary file (mode 0600) beside the final name;
// `finish` adds the manifest, fsyncs, links it to the final name without ever replacing a file, and fsyncs the
// directory. A scope closed before `finish` removes the temporary file, so a crash or an interruption never leaves
// a file at the final name.
import { createHash, randomBytes } from "node:crypto"
import { createWriteStream, type WriteStream } from "node:fs"
import { chmod, link, open, rename, stat, unlink } from "node:fs/promises"
import { basename, dirname, join } from "node:path"
import { Readable, Transform, type TransformCallback } from "node:stream"
import { ZipArchive } from "archiver"
import { Effect } from "effect"
import {
  CURRENT_FORMAT_VERSION,
  MANIFEST_PATH,
  REPOSITORIES_PATH,
  spaceEntryPath,
  TOOL_NAME,
  type ManifestOwner,
  type RepositoryIndex
} from "./ArchiveFormat.ts"
import { ArchiveError } from "./ArchiveError.ts"
import { EntryTable, manifestChunks } from "./EntryTable.ts"

export interface ManifestFields {
  readonly toolVersion: string
  readonly createdAt: string
  readonly sourceApiUrl: string
  readonly partial: boolean
  readonly owners: ReadonlyArray<ManifestOwner>
}

export interface ArchiveWriter {
  /** The first choice of final name. */
  readonly path: string
  readonly addSpace: (
    ownerLogin: string,
    number: number,
    raw: Record<string, unknown>
  ) => Effect.Effect<void, ArchiveError>
  readonly setRepositories: (index: RepositoryIndex) => Effect.Effect<void, ArchiveError>
  /** Writes the manifest and moves the archive to its final name, the first free one; returns that name. */
  readonly finish: (fields: ManifestFields) => Effect.Effect<string, ArchiveError>
}

/** Entries queued in archiver but not yet compressed, above which adding waits (bounded memory). */
const MAX_PENDING = 32

/** Deterministic JSON for entries: stable formatting so equal content gives equal sha256. */
export const entryBytes = (value: unknown): Buffer => Buffer.from(`${JSON.stringify(value, null, 2)}\n`, "utf8")

/**
 * The final names to try, in order: `name(1)`, then `name(2)`… while a file holds the previous one. A plain path
 * has no second choice: finishing fails if a file is there.
 */
export type ArchiveName = string | ((sequence: number) => string)

export const openArchiveWriter = (name: ArchiveName) => {
  const nameFor = (sequence: number): string | undefined =>
    typeof name === "string" ? (sequence === 1 ? name : undefined) : name(sequence)
  const finalPath = nameFor(1)!
  return Effect.acquireRelease(
    Effect.tryPromise({
      try: async () => {
        const tmp = join(dirname(finalPath), `.${basename(finalPath)}.tmp-${randomBytes(6).toString("hex")}`)
        const out = createWriteStream(tmp, { flags: "wx", mode: 0o600 })
        await new Promise<void>((resolve, reject) => {
          out.once("open", () => resolve())
          out.once("error", reject)
        })
        return new ZipSink(finalPath, nameFor, tmp, out)
      },
      catch: (e) => new ArchiveError({ reason: "WriteFailed", path: finalPath, detail: errorText(e) })
    }),
    (sink) => Effect.promise(() => sink.discardUnlessDone())
  ).pipe(Effect.map((sink) => sink.writer()))
}

const BLOCK_SIZE = 64 * 1024

/**
 * Copies archiver's small chunks into blocks of 64 KiB, so the file gets one write per block instead of several
 * per entry. It also bounds memory at the end: the zip's central directory is written in one synchronous burst of
 * about seventeen tiny Buffers per entry, which would otherwise queue as separate objects (~200 MB at 50,000
 * entries); copied into blocks, with room for a few MiB of blocks, that is the directory's bytes.
 */
class Coalesce extends Transform {
  constructor() {
    super({ readableHighWaterMark: 16 * 1024 * 1024 })
  }

  private block = Buffer.allocUnsafeSlow(BLOCK_SIZE)
  private used = 0
  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback) {
    // Copied at once, so a tiny chunk dies young instead of outliving young-generation collections until its
    // block is full (docs/performance.md, Memory, "The end").
    for (let offset = 0; offset < chunk.length; ) {
      const copied = chunk.copy(this.block, this.used, offset)
      this.used += copied
      offset += copied
      if (this.used === BLOCK_SIZE) this.emitBlock()
    }
    done()
  }
  override _flush(done: TransformCallback) {
    this.emitBlock()
    done()
  }
  private emitBlock() {
    if (this.used === 0) return
    this.push(this.used === BLOCK_SIZE ? this.block : this.block.subarray(0, this.used))
    this.block = Buffer.allocUnsafeSlow(BLOCK_SIZE)
    this.used = 0
  }
}

const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e))

class ZipSink {
  private readonly zip = new ZipArchive({ zlib: { level: 6 } })
  private readonly entries = new EntryTable()
  private readonly done: Promise<void>
  private queued = 0
  private processed = 0
  private waiters: Array<() => void> = []
  private failure: Error | undefined
  private finished = false
  private readonly finalPath: string
  private readonly tmp: string
  private readonly out: WriteStream

  private readonly nameFor: (sequence: number) => string | undefined

  constructor(finalPath: string, nameFor: (sequence: number) => string | undefined, tmp: string, out: WriteStream) {
    this.finalPath = finalPath
    this.nameFor = nameFor
    this.tmp = tmp
    this.out = out
    this.done = new Promise((resolve, reject) => {
      out.on("close", resolve)
      out.on("error", reject)
      this.zip.on("error", reject)
    })
    this.done.catch((e: Error) => {
      this.failure = e
      this.wake()
    })
    this.zip.on("entry", () => {
      this.processed++
      this.wake()
    })
    this.zip.pipe(new Coalesce()).pipe(out)
  }

  private wake() {
    const ws = this.waiters
    this.waiters = []
    for (const w of ws) w()
  }

  private async add(name: string, value: unknown): Promise<void> {
    if (this.failure) throw this.failure
    const bytes = entryBytes(value)
    this.entries.add(name, bytes.length, createHash("sha256").update(bytes).digest())
    this.queued++
    this.zip.append(bytes, { name, mode: 0o600 })
    while (this.queued - this.processed > MAX_PENDING && !this.failure) {
      await new Promise<void>((r) => this.waiters.push(r))
    }
    if (this.failure) throw this.failure
  }

  writer(): ArchiveWriter {
    const wrap = <A>(f: () => Promise<A>) =>
      Effect.tryPromise({
        try: f,
        catch: (e) => new ArchiveError({ reason: "WriteFailed", path: this.finalPath, detail: errorText(e) })
      })
    return {
      path: this.finalPath,
      addSpace: (owner, number, raw) => wrap(() => this.add(spaceEntryPath(owner, number), raw)),
      setRepositories: (index) => wrap(() => this.add(REPOSITORIES_PATH, index)),
      finish: (fields) => wrap(() => this.finish(fields))
    }
  }

  private async finish(fields: ManifestFields): Promise<string> {
    if (!this.entries.has(REPOSITORIES_PATH)) await this.add(REPOSITORIES_PATH, {})
    const head = {
      formatVersion: CURRENT_FORMAT_VERSION,
      tool: { name: TOOL_NAME, version: fields.toolVersion },
      createdAt: fields.createdAt,
      sourceApiUrl: fields.sourceApiUrl,
      partial: fields.partial,
      owners: fields.owners
    } as const
    // Streamed in chunks: at 50,000 entries the manifest is ~8 MB of text, written last, at peak memory.
    this.zip.append(Readable.from(manifestChunks(head, this.entries), { objectMode: false }), {
      name: MANIFEST_PATH,
      mode: 0o600
    })
    await this.zip.finalize()
    await this.done
    // The stream has closed its descriptor; fsync through a new one (fsync flushes the file, not the descriptor).
    const handle = await open(this.tmp, "r+")
    try {
      await handle.sync()
    } finally {
      await handle.close()
    }
    await chmod(this.tmp, 0o600)
    const path = await this.moveToFreeName()
    this.finished = true
    await syncDirectory(dirname(path))
    return path
  }

  /**
   * A hard link is atomic and fails when the name is taken, so two exports finishing in the same second into one
   * directory get two archives; a rename would silently replace the other's. File systems without hard links get
   * a check, then a rename.
   */
  private async moveToFreeName(): Promise<string> {
    for (let sequence = 1; ; sequence++) {
      const candidate = this.nameFor(sequence)
      if (candidate === undefined) throw new Error(`${this.finalPath} already exists`)
      try {
        await link(this.tmp, candidate)
        await unlink(this.tmp).catch(() => {}) // the archive is in place; a leftover hidden name is only clutter
        return candidate
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code
        if (code === "EEXIST") continue
        if (code !== "EPERM" && code !== "ENOTSUP" && code !== "EOPNOTSUPP" && code !== "ENOSYS") throw e
        if (
          await stat(candidate).then(
            () => true,
            () => false
          )
        )
          continue
        await rename(this.tmp, candidate)
        return candidate
      }
    }
  }

  async discardUnlessDone(): Promise<void> {
    if (this.finished) return
    this.zip.abort()
    this.out.destroy()
    await unlink(this.tmp).catch(() => {})
  }
}

/** Makes the rename durable: fsync the directory entry (not supported on every platform, hence best effort). */
const syncDirectory = async (dir: string) => {
  const h = await open(dir, "r").catch(() => undefined)
  if (h === undefined) return
  await h.sync().catch(() => {})
  await h.close()
}
