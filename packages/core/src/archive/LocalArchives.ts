// The local-directory backend of ArchiveStore: a hidden 0600 temp file beside the final name, fsynced and hard-linked
// to the first free name (a link fails when the name is taken, a rename would replace), reads through a file handle.
import { randomBytes } from "node:crypto"
import { createWriteStream } from "node:fs"
import { type FileHandle, link, mkdir, open, readdir, rename, stat, unlink } from "node:fs/promises"
import { join } from "node:path"
import { Readable } from "node:stream"
import { Effect } from "effect"
import { parseArchiveFileName } from "./ArchiveName.ts"
import { type LocalLocation, displayLocation, displayRef } from "./ArchiveLocation.ts"
import {
  type ArchiveReadHandle,
  ArchiveStoreError,
  type ArchiveUpload,
  type LocationArchives,
  STALE_TEMP_MS,
  type StaleTempOutcome,
  type StoredArchive
} from "./ArchiveStore.ts"
import { errnoWords } from "../runtime/ErrorText.ts"

/** The hidden temporary name an archive is written under before it takes its final name. */
export const tempArchiveName = (finalName: string): string => `.${finalName}.tmp-${randomBytes(6).toString("hex")}`

/** Whether a file name is a temporary archive of ours (`.spaces-vault-<time>.zip.tmp-<hex>`). */
export const isTempArchiveName = (name: string): boolean => {
  const m = /^\.(.+)\.tmp-[0-9a-f]+$/.exec(name)
  return m?.[1] !== undefined && parseArchiveFileName(m[1]) !== undefined
}

const codeOf = (e: unknown): string | undefined =>
  typeof e === "object" && e !== null ? ((e as NodeJS.ErrnoException).code ?? undefined) : undefined

const storeError = (operation: string, target: string) => (e: unknown) => {
  const code = codeOf(e)
  const detail = errnoWords(code) ?? (e instanceof Error ? e.message.replace(/^[A-Z]+: /, "") : String(e))
  return new ArchiveStoreError({
    operation,
    target,
    reason:
      code === "ENOENT"
        ? { _tag: "NotFound" }
        : code === "EACCES" || code === "EPERM"
          ? { _tag: "Denied", detail }
          : { _tag: "Failed", detail }
  })
}

const attempt = <A>(operation: string, target: string, f: () => Promise<A>) =>
  Effect.tryPromise({ try: f, catch: storeError(operation, target) })

/** Makes a new name durable: fsync the directory entry (not supported on every platform, hence best effort). */
const syncDirectory = async (dir: string) => {
  const h = await open(dir, "r").catch(() => undefined)
  if (h === undefined) return
  await h.sync().catch(() => {})
  await h.close()
}

/**
 * Links `tmp` to the first free name. A hard link is atomic and fails when the name is taken, so two exports
 * finishing in the same second into one directory get two archives. File systems without hard links get a check,
 * then a rename (a narrow race remains there, and only there).
 */
const linkToFreeName = async (dir: string, tmp: string, nameFor: (sequence: number) => string | undefined) => {
  for (let sequence = 1; ; sequence++) {
    const name = nameFor(sequence)
    if (name === undefined) throw new Error(`${nameFor(1)} already exists`)
    const candidate = join(dir, name)
    try {
      await link(tmp, candidate)
      await unlink(tmp).catch(() => {}) // the archive is in place; a leftover hidden name is only clutter
      return name
    } catch (e) {
      const code = codeOf(e)
      if (code === "EEXIST") continue
      if (code !== "EPERM" && code !== "ENOTSUP" && code !== "EOPNOTSUPP" && code !== "ENOSYS") throw e
      if (
        await stat(candidate).then(
          () => true,
          () => false
        )
      )
        continue
      await rename(tmp, candidate)
      return name
    }
  }
}

const create = (location: LocalLocation, nameFor: (sequence: number) => string | undefined) => {
  const first = nameFor(1) ?? "archive.zip"
  const target = displayRef({ location, name: first })
  return Effect.acquireRelease(
    attempt("write", target, async () => {
      await mkdir(location.dir, { recursive: true, mode: 0o700 })
      const tmp = join(location.dir, tempArchiveName(first))
      const stream = createWriteStream(tmp, { flags: "wx", mode: 0o600 })
      await new Promise<void>((resolve, reject) => {
        stream.once("open", () => resolve())
        stream.once("error", reject)
      })
      return { tmp, stream, committed: false }
    }),
    (state) =>
      state.committed
        ? Effect.void
        : Effect.promise(async () => {
            state.stream.destroy()
            await unlink(state.tmp).catch(() => {})
          })
  ).pipe(
    Effect.map(
      (state): ArchiveUpload => ({
        stream: state.stream,
        commit: attempt("write", target, async () => {
          if (!state.stream.closed) await new Promise<void>((resolve) => state.stream.once("close", () => resolve()))
          // The stream has closed its descriptor; fsync through a new one (fsync flushes the file, not the descriptor).
          const handle = await open(state.tmp, "r+")
          try {
            await handle.sync()
            await handle.chmod(0o600)
          } finally {
            await handle.close()
          }
          const name = await linkToFreeName(location.dir, state.tmp, nameFor)
          state.committed = true
          await syncDirectory(location.dir)
          return name
        })
      })
    )
  )
}

const RANGE_CHUNK = 64 * 1024

/**
 * Bytes `[start, end)` through positioned reads on a shared handle. Not `createReadStream({ fd })`: destroying such
 * a stream (yauzl does, when it has read what it needs) closes the descriptor, whatever `autoClose` says.
 */
const rangeStream = (handle: FileHandle, start: number, end: number): Readable => {
  let position = start
  return new Readable({
    highWaterMark: RANGE_CHUNK,
    read() {
      const length = Math.min(RANGE_CHUNK, end - position)
      if (length <= 0) {
        this.push(null)
        return
      }
      handle.read(Buffer.allocUnsafe(length), 0, length, position).then(
        ({ bytesRead, buffer }) => {
          if (bytesRead === 0) return void this.destroy(new Error(`unexpected end of file at byte ${position}`))
          position += bytesRead
          this.push(buffer.subarray(0, bytesRead))
        },
        (e: unknown) => this.destroy(e as Error)
      )
    }
  })
}

const openRead = (location: LocalLocation, name: string) => {
  const path = join(location.dir, name)
  return Effect.acquireRelease(
    attempt("read", displayRef({ location, name }), async () => {
      const handle = await open(path, "r")
      const info = await handle.stat().catch(async (e: unknown) => {
        await handle.close()
        throw e
      })
      return { handle, size: info.size }
    }),
    ({ handle }) => Effect.promise(() => handle.close().catch(() => {}))
  ).pipe(
    Effect.map(
      ({ handle, size }): ArchiveReadHandle => ({
        size,
        readRange: (start, end) => rangeStream(handle, start, end)
      })
    )
  )
}

const list = (location: LocalLocation) =>
  Effect.gen(function* () {
    const target = displayLocation(location)
    const names = yield* attempt("read", target, () => readdir(location.dir))
    const archives: Array<StoredArchive> = []
    for (const name of names.filter((n) => parseArchiveFileName(n) !== undefined)) {
      const info = yield* Effect.promise(() => stat(join(location.dir, name)).catch(() => undefined))
      if (info?.isFile()) archives.push({ name, modifiedAt: info.mtimeMs, size: info.size })
    }
    return archives
  })

const removeStaleTemps = (location: LocalLocation, nowMs: number) =>
  Effect.gen(function* () {
    const names = yield* Effect.promise(() => readdir(location.dir).catch(() => [] as Array<string>))
    const outcomes: Array<StaleTempOutcome> = []
    for (const name of names.filter(isTempArchiveName)) {
      const path = join(location.dir, name)
      const outcome = yield* Effect.promise(async (): Promise<StaleTempOutcome | undefined> => {
        const info = await stat(path).catch(() => undefined) // gone already: an export finished with it
        if (info === undefined || nowMs - info.mtimeMs < STALE_TEMP_MS) return undefined
        return unlink(path).then(
          () => ({ _tag: "Removed", name, modifiedAt: info.mtimeMs }),
          // ENOENT: an export finished with it between the stat and now.
          (e: NodeJS.ErrnoException) =>
            e.code === "ENOENT" ? undefined : { _tag: "Failed", name, problem: errnoWords(e.code) ?? e.message }
        )
      })
      if (outcome !== undefined) outcomes.push(outcome)
    }
    return outcomes
  })

/** The archives of one local directory. */
export const localArchives = (location: LocalLocation): LocationArchives => ({
  location,
  list: list(location),
  prepare: attempt("create the output directory", location.dir, () =>
    mkdir(location.dir, { recursive: true, mode: 0o700 })
  ).pipe(Effect.asVoid),
  create: (nameFor) => create(location, nameFor),
  openRead: (name) => openRead(location, name),
  remove: (name) => attempt("delete", displayRef({ location, name }), () => unlink(join(location.dir, name))),
  removeStaleTemps: (nowMs) => removeStaleTemps(location, nowMs)
})
