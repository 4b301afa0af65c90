// yauzl over an archive store: the zip's central directory and single entries read as byte ranges through the
// store's handle, and everything zip and zlib can say turned into the archive's words — not found, unreadable,
// damaged (its table of contents, or one entry), or invalid (an unsafe name, a name twice).
import { crc32 } from "node:zlib"
import { Effect } from "effect"
import yauzl from "yauzl"
import { errnoWords } from "../runtime/ErrorText.ts"
import { ArchiveError, DAMAGED_DATA, DAMAGED_HEADER, DAMAGED_TABLE_OF_CONTENTS } from "./ArchiveError.ts"
import type { StoredEntry } from "./ArchiveFormat.ts"
import { type ArchiveSource, refOfSource } from "./ArchiveLocation.ts"
import { type ArchiveReadHandle, ArchiveStore } from "./ArchiveStore.ts"
import { entryChecker } from "./EntryCheck.ts"

const ZIP_SIGNATURES = ["504b0304", "504b0506", "504b0708"]

/** Whether the archive begins like a zip (a local header, or the end record of an empty zip), is empty, or neither. */
const headOf = (handle: ArchiveReadHandle) =>
  Effect.promise(async () => {
    if (handle.size === 0) return "empty" as const
    const chunks: Array<Buffer> = []
    try {
      for await (const c of handle.readRange(0, Math.min(4, handle.size))) chunks.push(c as Buffer)
    } catch {
      return "other" as const
    }
    return ZIP_SIGNATURES.includes(Buffer.concat(chunks).toString("hex")) ? ("zip" as const) : ("other" as const)
  })

/** An error with an errno code is the file system's (permissions, I/O), not damage to the archive's bytes. */
const ioWords = (err: Error): string | undefined => errnoWords((err as NodeJS.ErrnoException).code)

/** yauzl's hook for reading through a store: every range it needs comes from the store's handle. */
class StoreReader extends yauzl.RandomAccessReader {
  private readonly handle: ArchiveReadHandle
  constructor(handle: ArchiveReadHandle) {
    super()
    this.handle = handle
  }
  override _readStreamForRange(start: number, end: number) {
    return this.handle.readRange(start, end)
  }
}

/** Opens the store's handle and yauzl over it; the store's errors become the archive's (not found, unreadable). */
export const openZip = (path: string, source: ArchiveSource) =>
  Effect.gen(function* () {
    const handle = yield* ArchiveStore.openRead(refOfSource(source)).pipe(
      Effect.mapError((e) =>
        e.reason._tag === "NotFound"
          ? new ArchiveError({ reason: "NotFound", path, detail: "no such file" })
          : new ArchiveError({
              reason: "Unreadable",
              path,
              detail: e.reason.detail
            })
      )
    )
    const zip = yield* Effect.acquireRelease(
      Effect.callback<yauzl.ZipFile, Error>((resume) => {
        yauzl.fromRandomAccessReader(
          new StoreReader(handle),
          handle.size,
          { lazyEntries: true, autoClose: false, validateEntrySizes: true, strictFileNames: false },
          (err, zip) => resume(err ? Effect.fail(err) : Effect.succeed(zip))
        )
      }),
      (z) => Effect.sync(() => z.close())
    ).pipe(
      Effect.catch((err) => {
        const io = ioWords(err)
        if (io !== undefined) return Effect.fail(new ArchiveError({ reason: "Unreadable", path, detail: io }))
        // yauzl reads the table of contents from the end of the file, so a zip cut short or changed there fails here.
        return Effect.flatMap(headOf(handle), (head) =>
          Effect.fail(
            head === "zip"
              ? new ArchiveError({ reason: "Damaged", path, detail: DAMAGED_TABLE_OF_CONTENTS })
              : new ArchiveError({
                  reason: "Unreadable",
                  path,
                  detail: head === "empty" ? "the file is empty" : "it does not begin like a zip file"
                })
          )
        )
      })
    )
    return zip
  })

export const listEntries = (path: string, zip: yauzl.ZipFile) =>
  Effect.callback<Map<string, yauzl.Entry>, ArchiveError>((resume) => {
    const entries = new Map<string, yauzl.Entry>()
    zip.on("entry", (e: yauzl.Entry) => {
      // Two entries of one name: readers disagree on which one counts, so the archive has no single meaning.
      if (entries.has(e.fileName)) {
        return resume(
          Effect.fail(
            new ArchiveError({
              reason: "Invalid",
              path,
              detail: `entry ${e.fileName} appears more than once in the zip`
            })
          )
        )
      }
      entries.set(e.fileName, e)
      zip.readEntry()
    })
    zip.on("end", () => resume(Effect.succeed(entries)))
    zip.on("error", (err: Error) => {
      const io = ioWords(err)
      resume(
        Effect.fail(
          // yauzl refuses unsafe names itself (absolute, "..", backslashes): that is an invalid archive, not a damaged one.
          /absolute path|invalid relative path|invalid characters in fileName/.test(err.message)
            ? new ArchiveError({ reason: "Invalid", path, detail: `unsafe entry name (${err.message})` })
            : io !== undefined
              ? new ArchiveError({ reason: "Unreadable", path, detail: io })
              : // Any other complaint is about the central directory's bytes (a bad signature, flag or length).
                new ArchiveError({ reason: "Damaged", path, detail: DAMAGED_TABLE_OF_CONTENTS })
        )
      )
    })
    zip.readEntry()
  })

/**
 * One entry's bytes, CRC-checked; with its manifest row, also hashed as it streams and compared at its end. Bad
 * bytes are a damaged entry, said in the archive's terms: zlib's and yauzl's words ("invalid literal/lengths set",
 * "too many bytes in the stream") mean nothing to the person restoring a space.
 */
export const readEntry = (path: string, zip: yauzl.ZipFile, entry: yauzl.Entry, row?: StoredEntry) =>
  Effect.callback<Buffer, ArchiveError>((resume) => {
    const entryName = entry.fileName
    const failed = (err: Error, damage: string) => {
      const io = ioWords(err)
      return io !== undefined
        ? new ArchiveError({ reason: "Unreadable", path, detail: `${entryName}: ${io}` })
        : new ArchiveError({ reason: "Damaged", path, entry: entryName, detail: damage })
    }
    zip.openReadStream(entry, (err, stream) => {
      if (err || stream === undefined) {
        // Reading the entry's local header, or its compression method from the central directory, went wrong.
        return resume(Effect.fail(failed(err ?? new Error("no stream"), DAMAGED_HEADER)))
      }
      const chunks: Array<Buffer> = []
      const check = row === undefined ? undefined : entryChecker(row)
      stream.on("data", (c: Buffer) => {
        chunks.push(c)
        check?.update(c)
      })
      // Inflate errors, and sizes that disagree with the central directory (validateEntrySizes).
      stream.on("error", (e: Error) => resume(Effect.fail(failed(e, DAMAGED_DATA))))
      stream.on("end", () => {
        const bytes = Buffer.concat(chunks)
        const problem = check?.problem()
        if (crc32(bytes) >>> 0 !== entry.crc32 >>> 0) {
          resume(Effect.fail(new ArchiveError({ reason: "Damaged", path, entry: entryName, detail: DAMAGED_DATA })))
        } else if (problem !== undefined) {
          resume(Effect.fail(new ArchiveError({ reason: "Invalid", path, detail: problem })))
        } else resume(Effect.succeed(bytes))
      })
    })
  })
