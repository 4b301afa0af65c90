// The identities that open encrypted archives: `age-keygen` files (`#` comment lines, then `AGE-SECRET-KEY-1…`
// lines), read as `age -i` reads them. Keys stay Redacted, and no error ever quotes a line of such a file.
import { readFile } from "node:fs/promises"
import { Decrypter, identityToRecipient } from "age-encryption"
import { Config, Effect, Option, Redacted } from "effect"
import { errorText } from "../runtime/ErrorText.ts"
import { CryptoError } from "./CryptoError.ts"

export interface Identity {
  /** The secret key line, `AGE-SECRET-KEY-1…`. */
  readonly key: Redacted.Redacted<string>
  /** Its public key (`age1…`), safe to print: which recipient this identity is. */
  readonly recipient: string
  readonly file: string
  readonly line: number
}

// "AGE-SECRET-KEY-1" + 58 upper-case bech32 characters is an X25519 identity; the library checks the sum.
const X25519_IDENTITY = /^AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}$/

/** Why an identity file line is not an X25519 identity, without repeating it; undefined when it is one. */
const identityProblem = (text: string): string | undefined => {
  if (X25519_IDENTITY.test(text)) {
    try {
      new Decrypter().addIdentity(text)
      return undefined
    } catch {
      return "is not an age X25519 identity: its checksum does not match (a mistyped or cut key?)"
    }
  }
  if (text.startsWith("-----BEGIN AGE ENCRYPTED FILE"))
    return "is a passphrase-protected identity file, which cannot be used here (nothing prompts for a passphrase)"
  if (text.startsWith("-----BEGIN"))
    return "is an SSH or PEM key: only age X25519 identities (AGE-SECRET-KEY-1…, as age-keygen writes them) are supported"
  if (text.startsWith("AGE-SECRET-KEY-PQ-1"))
    return "is a post-quantum identity: only X25519 identities (AGE-SECRET-KEY-1…, as age-keygen writes them) are supported"
  if (text.startsWith("age1"))
    return "is a recipient (a public key), not an identity: give the file that age-keygen wrote"
  return "is not an age X25519 identity (AGE-SECRET-KEY-1…, as age-keygen writes it)"
}

const badIdentity = (problem: string, file: string, line?: number) =>
  new CryptoError({
    reason: { _tag: "BadIdentity", problem },
    file,
    ...(line === undefined ? {} : { line })
  })

/** The identities of an identity file's text. Every non-comment, non-blank line must be one; at least one is. */
export const parseIdentitiesText = (text: string, file: string): Effect.Effect<ReadonlyArray<Identity>, CryptoError> =>
  Effect.gen(function* () {
    const identities: Array<Identity> = []
    const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/)
    for (const [i, raw] of lines.entries()) {
      const line = raw.trim()
      if (line === "" || line.startsWith("#")) continue
      const problem = identityProblem(line)
      // An armored file is one block: name the file, not a line of base64.
      if (problem !== undefined) return yield* badIdentity(problem, file, line.startsWith("-----") ? undefined : i + 1)
      const recipient = yield* Effect.tryPromise({
        try: () => identityToRecipient(line),
        catch: () => badIdentity("is not an age X25519 identity", file, i + 1)
      })
      identities.push({ key: Redacted.make(line), recipient, file, line: i + 1 })
    }
    if (identities.length === 0) {
      return yield* badIdentity("holds no identities (AGE-SECRET-KEY-1… lines, as age-keygen writes them)", file)
    }
    return identities
  })

/** Reads and parses one identity file. */
export const readIdentityFile = (path: string): Effect.Effect<ReadonlyArray<Identity>, CryptoError> =>
  Effect.tryPromise({
    try: () => readFile(path, "utf8"),
    catch: (e) =>
      new CryptoError({ reason: { _tag: "KeyFile", problem: `cannot be read: ${errorText(e)}` }, file: path })
  }).pipe(Effect.flatMap((text) => parseIdentitiesText(text, path)))

/** Every identity of every file, in order (a reader tries each on every entry, as `age -d -i A -i B` does). */
export const readIdentityFiles = (paths: ReadonlyArray<string>): Effect.Effect<ReadonlyArray<Identity>, CryptoError> =>
  Effect.forEach(paths, readIdentityFile).pipe(Effect.map((sets) => sets.flat()))

/** Names an identity file for runs given none explicitly (a path, never a key: secrets stay in files). */
export const IDENTITY_FILE_VARIABLE = "SPACES_VAULT_IDENTITY_FILE"

/**
 * The identity files to read: those given explicitly, else the one SPACES_VAULT_IDENTITY_FILE names (read through
 * Config, so tests and the worker supply it without process.env), else none.
 */
export const identityFilePaths = (given: ReadonlyArray<string>): Effect.Effect<ReadonlyArray<string>> =>
  given.length > 0
    ? Effect.succeed(given)
    : Config.option(Config.String(IDENTITY_FILE_VARIABLE)).pipe(
        Effect.map((path) =>
          Option.match(
            Option.filter(path, (p) => p.trim() !== ""),
            { onNone: () => [], onSome: (p) => [p] }
          )
        ),
        // An unset or unreadable variable means "no identity file named": the caller says that none was given.
        Effect.orElseSucceed(() => [])
      )
