// Writes an archive atomically through the ArchiveStore: entries stream into the store's upload (locally a hidden
// 0600 temp file); `finish` adds the manifest and commits it to the first free name, never replacing an archive. A
// scope closed before `finish` aborts the upload, so a crash or an interruption never leaves an archive behind.
// Given an encrypter, it writes format 2: each content entry encrypted on its own (an age file, `NAME.age`, stored
// without compression since ciphertext does not compress), and a plaintext manifest with each entry's plaintext
// digest, a space's ETags and repository ids, and the recipient set's fingerprint.
import { createHash } from "node:crypto"
import { gzipSync } from "node:zlib"
import { collectGarbage } from "../runtime/LeanHeap.ts"
import { basename, dirname } from "node:path"
import { Readable, Transform, type TransformCallback } from "node:stream"
import { ZipArchive } from "archiver"
import { Effect } from "effect"
import {
  ENCRYPTED_FORMAT_VERSION,
  ENCRYPTED_SUFFIX,
  MANIFEST_PATH,
  type ManifestEntry,
  PLAINTEXT_FORMAT_VERSION,
  REPOSITORIES_PATH,
  spaceEntryPath,
  TOOL_NAME,
  type ManifestOwner,
  type RepositoryIndex,
  type SpaceEtags
} from "./ArchiveFormat.ts"
import type { EntryEncrypter } from "../crypto/EntryCipher.ts"
import { referencedRepositoryIds } from "../domain/Space.ts"
import { ArchiveError } from "./ArchiveError.ts"
import { type EncryptedRow, EntryTable, manifestChunks } from "./EntryTable.ts"
import { type ArchiveLocation, sourceIn, sourceText } from "./ArchiveLocation.ts"
import { type ArchiveStoreError, type ArchiveUpload, ArchiveStore } from "./ArchiveStore.ts"

export interface ManifestFields {
  readonly toolVersion: string
  readonly createdAt: string
  readonly sourceApiUrl: string
  readonly partial: boolean
  readonly owners: ReadonlyArray<ManifestOwner>
  readonly shard?: { readonly index: number; readonly count: number } | undefined
  readonly runId?: string | undefined
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
  /**
   * Copies an encrypted entry of an earlier archive (its manifest row and stored bytes, already checked against
   * that row) byte for byte, so an unchanged space costs no request and no key. Only an encrypting writer takes
   * one, and only of the same recipient set (the caller's check).
   */
  readonly copyEncrypted: (entry: ManifestEntry, stored: Buffer) => Effect.Effect<void, ArchiveError>
  /** Writes the manifest and moves the archive to its final name, the first free one; returns that name. */
  readonly finish: (fields: ManifestFields) => Effect.Effect<string, ArchiveError>
}

/** Entries queued in archiver but not yet compressed, above which adding waits (bounded memory). */
const MAX_PENDING = 32

/**
 * Bytes of stored (encrypted) entries given to archiver but not yet through to the block copy, above which adding
 * waits. archiver reports a stored entry done as soon as it is queued, without waiting for its bytes to be taken
 * (compress-commons writes it ignoring backpressure), so counting entries bounds nothing: an export faster than its
 * upload would pile the ciphertext up in archiver's buffers.
 */
const MAX_PENDING_STORED_BYTES = 1024 * 1024

/** Deterministic JSON for entries: stable formatting so equal content gives equal sha256. */
export const entryBytes = (value: unknown): Buffer => Buffer.from(`${JSON.stringify(value, null, 2)}\n`, "utf8")

/**
 * Where the archive goes. A path has no second choice: finishing fails if a file is there. A function of paths gives
 * the names to try, in order: `name(1)`, then `name(2)`… while an archive holds the previous one (all in one
 * directory). A location with `nameFor` does the same in any store, and `finish` returns `s3://…/NAME` there.
 */
export type ArchiveName =
  | string
  | ((sequence: number) => string)
  | { readonly location: ArchiveLocation; readonly nameFor: (sequence: number) => string | undefined }

/** The location and names to try, and how `finish` names the result (a joined path locally, as callers gave it). */
const targetOf = (name: ArchiveName) => {
  if (typeof name === "object") return { location: name.location, nameFor: name.nameFor }
  const first = typeof name === "string" ? name : name(1)
  const dir = dirname(first)
  return {
    location: { _tag: "Local", dir } as ArchiveLocation,
    nameFor: (sequence: number) =>
      typeof name === "string" ? (sequence === 1 ? basename(name) : undefined) : basename(name(sequence))
  }
}

export interface WriterOptions {
  /** Encrypt every content entry to this recipient set (archive format 2). */
  readonly encryption?: EntryEncrypter | undefined
}

/** One entry ready for the zip: the bytes to store, and the row the manifest keeps for it. */
interface PreparedEntry {
  readonly name: string
  readonly bytes: Uint8Array
  readonly encrypted?: EncryptedRow
}

const sha256Of = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest()

/** What an encrypted space's row carries so the next export needs no key: its ETags and its repository ids. */
const spaceRowOf = (value: unknown): Pick<EncryptedRow, "etags" | "repositoryIds"> => {
  if (typeof value !== "object" || value === null) return {}
  const raw = value as Record<string, unknown>
  const etags = raw.etags as SpaceEtags | undefined
  const ids = referencedRepositoryIds(raw)
  return {
    ...(etags !== undefined && (etags.space !== undefined || etags.collaborators !== undefined) ? { etags } : {}),
    ...(ids.length === 0 ? {} : { repositoryIds: ids })
  }
}

/**
 * How an encrypted entry's JSON is compressed. A space is a few KB: a 4 KiB window finds its repetitions as well as
 * zlib's default 32 KiB one, and the smaller window and memory level make each entry's deflate state ~20 KB of
 * native memory instead of ~256 KB, allocated and freed 50,000 times in a night.
 */
const GZIP = { level: 6, windowBits: 12, memLevel: 7 } as const

/** How many encrypted entries between two full collections: ~25 ms each, 500 in a night of 50,000 spaces (12 s of CPU in an export GitHub holds to an hour). */
const COLLECT_EVERY_ENTRIES = 100

/** Serializes (and with an encrypter, gzips and encrypts) one entry. */
const prepare = (encryption: EntryEncrypter | undefined, name: string, value: unknown, isSpace: boolean) => {
  const bytes = entryBytes(value)
  if (encryption === undefined) return Effect.succeed<PreparedEntry>({ name, bytes })
  return Effect.map(
    encryption.encrypt(gzipSync(bytes, GZIP)),
    (ciphertext): PreparedEntry => ({
      name,
      bytes: ciphertext,
      encrypted: {
        plaintextSize: bytes.length,
        plaintextSha256: sha256Of(bytes),
        ...(isSpace ? spaceRowOf(value) : {})
      }
    })
  )
}

export const openArchiveWriter = (name: ArchiveName, options: WriterOptions = {}) =>
  Effect.gen(function* () {
    const { location, nameFor } = targetOf(name)
    const finalPath = sourceText(sourceIn(location, nameFor(1) ?? ""))
    const archives = yield* ArchiveStore.forLocation(location)
    const upload = yield* archives.create(nameFor)
    const sink = yield* Effect.acquireRelease(
      Effect.sync(
        () => new ZipSink(finalPath, upload, (taken) => sourceText(sourceIn(location, taken)), options.encryption)
      ),
      (sink) => Effect.sync(() => sink.discardUnlessDone())
    )
    return sink.writer()
  }).pipe(Effect.mapError((e) => new ArchiveError({ reason: "WriteFailed", path: e.target, detail: storeDetail(e) })))

const storeDetail = (e: ArchiveStoreError): string =>
  e.reason._tag === "NotFound" ? "no such file or directory" : e.reason.detail

const BLOCK_SIZE = 64 * 1024

/**
 * Copies archiver's small chunks into blocks of 64 KiB, so the file gets one write per block instead of several
 * per entry. It also bounds memory at the end: the zip's central directory is written in one synchronous burst of
 * about seventeen tiny Buffers per entry, which would otherwise queue as separate objects (~200 MB at 50,000
 * entries); copied into blocks, with room for a few MiB of blocks, that is the directory's bytes.
 */
class Coalesce extends Transform {
  /** Runs after each chunk is taken from archiver (the writer's byte count waits on it). */
  private readonly onTaken: () => void
  constructor(onTaken: () => void) {
    super({ readableHighWaterMark: 16 * 1024 * 1024 })
    this.onTaken = onTaken
  }

  /** Bytes taken from archiver so far. */
  taken = 0
  private block = Buffer.allocUnsafeSlow(BLOCK_SIZE)
  private used = 0
  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback) {
    this.taken += chunk.length
    // Copied at once, so a tiny chunk dies young instead of outliving young-generation collections until its
    // block is full (docs/performance.md, Memory, "The end").
    for (let offset = 0; offset < chunk.length; ) {
      const copied = chunk.copy(this.block, this.used, offset)
      this.used += copied
      offset += copied
      if (this.used === BLOCK_SIZE) this.emitBlock()
    }
    done()
    this.onTaken()
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
  // Both let go once the archive's bytes are all in the upload (`finish`): they hold a record per entry (~500 bytes
  // each, ~25 MB at 50,000 entries) that is garbage before an S3 upload, where an export peaks, begins.
  private zip: ZipArchive | undefined = new ZipArchive({ zlib: { level: 6 } })
  private entries: EntryTable | undefined
  private readonly done: Promise<void>
  private queued = 0
  private processed = 0
  private readonly coalesce = new Coalesce(() => this.wake())
  /** Bytes of stored entries given to archiver: the block copy has taken at least this many once they are out. */
  private storedBytes = 0
  private waiters: Array<() => void> = []
  private failure: Error | undefined
  private finished = false
  private readonly finalPath: string
  private readonly upload: ArchiveUpload
  private readonly pathOf: (name: string) => string
  private readonly encryption: EntryEncrypter | undefined

  constructor(
    finalPath: string,
    upload: ArchiveUpload,
    pathOf: (name: string) => string,
    encryption: EntryEncrypter | undefined
  ) {
    this.encryption = encryption
    this.entries = new EntryTable(encryption !== undefined)
    this.finalPath = finalPath
    this.upload = upload
    this.pathOf = pathOf
    const out = upload.stream
    this.done = new Promise((resolve, reject) => {
      out.on("finish", resolve)
      out.on("error", reject)
      this.archive.on("error", reject)
    })
    this.done.catch((e: Error) => {
      this.failure = e
      this.wake()
    })
    this.archive.on("entry", () => {
      this.processed++
      this.wake()
    })
    this.archive.pipe(this.coalesce).pipe(out)
  }

  private get archive(): ZipArchive {
    if (this.zip === undefined) throw new Error("the archive was already written")
    return this.zip
  }

  private get table(): EntryTable {
    if (this.entries === undefined) throw new Error("the archive was already written")
    return this.entries
  }

  private wake() {
    const ws = this.waiters
    this.waiters = []
    for (const w of ws) w()
  }

  /** Adds a prepared entry under its plaintext name, or its `.gz.age` name when encrypted (stored, not deflated again). */
  private async add(entry: PreparedEntry): Promise<void> {
    if (this.failure) throw this.failure
    const { name, bytes, encrypted } = entry
    this.table.add(name, bytes.length, sha256Of(bytes), encrypted)
    this.queued++
    const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    if (encrypted === undefined) this.archive.append(buffer, { name, mode: 0o600 })
    else {
      this.archive.append(buffer, { name: `${name}${ENCRYPTED_SUFFIX}`, mode: 0o600, store: true })
      this.storedBytes += buffer.length
      // Each encrypted entry leaves native memory (deflate state, key objects, cipher contexts) behind small JS
      // objects whose native size V8 does not count, so its collections come late; a full one every so many entries
      // returns it at a known pace (docs/performance.md, Memory).
      if (this.table.size % COLLECT_EVERY_ENTRIES === 0) collectGarbage()
    }
    while (
      (this.queued - this.processed > MAX_PENDING ||
        this.storedBytes - this.coalesce.taken > MAX_PENDING_STORED_BYTES) &&
      !this.failure
    ) {
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
    const addValue = (name: string, value: unknown, isSpace: boolean) =>
      Effect.flatMap(prepare(this.encryption, name, value, isSpace), (entry) => wrap(() => this.add(entry)))
    return {
      path: this.finalPath,
      addSpace: (owner, number, raw) => addValue(spaceEntryPath(owner, number), raw, true),
      setRepositories: (index) => addValue(REPOSITORIES_PATH, index, false),
      copyEncrypted: (entry, stored) =>
        Effect.suspend(() =>
          this.encryption === undefined || entry.stored === undefined
            ? Effect.die(new Error(`copyEncrypted(${entry.path}) needs an encrypting writer and an encrypted entry`))
            : wrap(() =>
                this.add({
                  name: entry.path,
                  bytes: stored,
                  encrypted: {
                    plaintextSize: entry.size,
                    plaintextSha256: Buffer.from(entry.sha256, "hex"),
                    etags: entry.etags,
                    repositoryIds: entry.repositoryIds
                  }
                })
              )
        ),
      // The store makes the bytes durable and publishes them under the first free name, never replacing an archive.
      finish: (fields) =>
        Effect.suspend(() =>
          this.table.has(REPOSITORIES_PATH) ? Effect.void : addValue(REPOSITORIES_PATH, {}, false)
        ).pipe(
          Effect.andThen(wrap(() => this.finish(fields))),
          Effect.andThen(
            this.upload.commit.pipe(
              Effect.mapError(
                (e) => new ArchiveError({ reason: "WriteFailed", path: this.finalPath, detail: storeDetail(e) })
              )
            )
          ),
          Effect.map((name) => {
            this.finished = true
            return this.pathOf(name)
          })
        )
    }
  }

  /** Writes the manifest and ends the zip; the bytes are then all in the upload's stream. */
  private async finish(fields: ManifestFields): Promise<void> {
    const head = {
      formatVersion: this.encryption === undefined ? PLAINTEXT_FORMAT_VERSION : ENCRYPTED_FORMAT_VERSION,
      tool: { name: TOOL_NAME, version: fields.toolVersion },
      createdAt: fields.createdAt,
      sourceApiUrl: fields.sourceApiUrl,
      partial: fields.partial,
      owners: fields.owners,
      ...(fields.shard === undefined ? {} : { shard: { index: fields.shard.index, count: fields.shard.count } }),
      ...(fields.runId === undefined ? {} : { runId: fields.runId }),
      ...(this.encryption === undefined
        ? {}
        : { encryption: { scheme: "age-x25519", recipients: this.encryption.fingerprint } })
    } as const
    // Streamed in chunks: at 50,000 entries the manifest is ~8 MB of text, written last, at peak memory.
    const zip = this.archive
    zip.append(Readable.from(manifestChunks(head, this.table), { objectMode: false }), {
      name: MANIFEST_PATH,
      mode: 0o600
    })
    await zip.finalize()
    await this.done
    this.zip = undefined
    this.entries = undefined
  }

  discardUnlessDone(): void {
    if (this.finished) return
    // The upload's own finalizer, which runs next, removes what was written.
    this.zip?.abort()
  }
}
