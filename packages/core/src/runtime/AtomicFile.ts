// One way to replace a small file so that a reader sees the old content or the new, never half of either:
// the text goes to a private temporary file beside it, is flushed to disk, then renamed over the name.
// (Lock files and archives must never replace what is there: they link instead; see LockFile and ArchiveWriter.)
import { randomBytes } from "node:crypto"
import { mkdir, open, rename, unlink } from "node:fs/promises"
import { dirname } from "node:path"
import { Effect, Schema } from "effect"
import { errorText } from "./ErrorText.ts"

export class AtomicWriteError extends Schema.TaggedError<AtomicWriteError>()("AtomicWriteError", {
  path: Schema.String,
  detail: Schema.String
}) {
  override get message(): string {
    return `cannot write ${this.path}: ${this.detail}`
  }
}

export interface AtomicWriteOptions {
  /** Permissions of a new file; 0600 by default, since what the tool writes is nobody else's business. */
  readonly mode?: number
  /** Create missing parent directories (0700). */
  readonly mkdirs?: boolean
}

const replaceFile = async (path: string, text: string, options: AtomicWriteOptions) => {
  if (options.mkdirs) await mkdir(dirname(path), { recursive: true, mode: 0o700 })
  const tmp = `${path}.tmp-${randomBytes(6).toString("hex")}`
  const handle = await open(tmp, "wx", options.mode ?? 0o600)
  try {
    await handle.writeFile(text, "utf8")
    await handle.sync()
  } finally {
    await handle.close()
  }
  try {
    await rename(tmp, path)
  } catch (e) {
    await unlink(tmp).catch(() => {})
    throw e
  }
}

/** Replaces `path` with `text` atomically. */
export const writeFileAtomic = (path: string, text: string, options: AtomicWriteOptions = {}) =>
  Effect.tryPromise({
    try: () => replaceFile(path, text, options),
    catch: (e) => new AtomicWriteError({ path, detail: errorText(e) })
  })

/** Replaces `path` with `value` as indented JSON and a final newline, atomically. */
export const writeJsonAtomic = (path: string, value: unknown, options: AtomicWriteOptions = {}) =>
  writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`, options)
