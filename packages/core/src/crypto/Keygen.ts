// Makes a new X25519 identity file, as `age-keygen -o FILE` writes it: two comment lines (when it was created, its
// public key) and the secret key. The file is created private (0600) and never replaces one that exists: replacing
// a key file would destroy the only way to open the archives encrypted to it.
import { open, unlink } from "node:fs/promises"
import { generateX25519Identity, identityToRecipient } from "age-encryption"
import { Clock, Effect } from "effect"
import { errorText } from "../runtime/ErrorText.ts"
import { CryptoError } from "./CryptoError.ts"

export interface GeneratedIdentity {
  readonly file: string
  /** The public key to encrypt to (`age1…`). */
  readonly recipient: string
}

/** An identity file's text, line for line as age-keygen writes it (`created` in RFC 3339, whole seconds, UTC). */
export const identityFileText = (key: string, recipient: string, createdMs: number): string => {
  const created = new Date(createdMs).toISOString().replace(/\.\d{3}Z$/, "Z")
  return `# created: ${created}\n# public key: ${recipient}\n${key}\n`
}

const writeNew = async (path: string, text: string) => {
  // "wx": fail if anything is at the path (a file, a link, a directory), rather than replace it.
  const handle = await open(path, "wx", 0o600)
  try {
    await handle.writeFile(text, "utf8")
    await handle.sync()
    await handle.close()
  } catch (e) {
    await handle.close().catch(() => {})
    // The file is ours and incomplete: a half-written key file must not look like a key.
    await unlink(path).catch(() => {})
    throw e
  }
}

const writeProblem = (e: unknown): string =>
  (e as { code?: unknown }).code === "EEXIST"
    ? "already exists: a key file is never replaced (choose another name, or move the old one away first)"
    : `cannot be written: ${errorText(e)}`

/**
 * Generates an X25519 identity (pinned to X25519, not the library's default, so age 1.1 as Debian ships it can
 * use it) and writes it to `path`, which must not exist.
 */
export const generateIdentityFile = (path: string): Effect.Effect<GeneratedIdentity, CryptoError> =>
  Effect.gen(function* () {
    const key = yield* Effect.promise(() => generateX25519Identity())
    const recipient = yield* Effect.promise(() => identityToRecipient(key))
    const now = yield* Clock.currentTimeMillis
    yield* Effect.tryPromise({
      try: () => writeNew(path, identityFileText(key, recipient, now)),
      catch: (e) => new CryptoError({ reason: { _tag: "KeyFile", problem: writeProblem(e) }, file: path })
    })
    return { file: path, recipient }
  })
