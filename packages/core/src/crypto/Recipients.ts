// The recipients archives are encrypted to: `age1…` X25519 public keys, given one by one or in recipients files
// (one per line, `#` comments and blank lines skipped, as `age -R` reads them), and the fingerprint of the set
// that a manifest records so a reader can tell which key set an archive was written for without any key.
import { createHash } from "node:crypto"
import { readFile } from "node:fs/promises"
import { Encrypter } from "age-encryption"
import { Effect } from "effect"
import { errorText } from "../runtime/ErrorText.ts"
import { CryptoError } from "./CryptoError.ts"
import { isLowOrderRecipient } from "./EntryCipher.ts"

/** A recipient set ready to encrypt to: distinct recipients in the order given, and the set's fingerprint. */
export interface RecipientSet {
  readonly recipients: ReadonlyArray<string>
  /** `sha256:` + hex sha256 of the sorted distinct recipients, each followed by "\n" (see `recipientFingerprint`). */
  readonly fingerprint: string
}

/** Where a recipient came from, for the error: a file and line, or its position among those given one by one. */
export interface RecipientOrigin {
  readonly file?: string
  readonly line: number
}

// "age1" + 58 bech32 characters is exactly an X25519 recipient (32 bytes + checksum); the library checks the sum.
const X25519_RECIPIENT = /^age1[qpzry9x8gf2tvdw0s3jn54khce6mua7l]{58}$/

/**
 * Why `text` is not an X25519 recipient, in words that never repeat it (a secret key pasted in the wrong place
 * must not reach a log), or undefined when it is one.
 */
export const recipientProblem = (text: string): string | undefined => {
  if (X25519_RECIPIENT.test(text)) {
    try {
      new Encrypter().addRecipient(text)
    } catch {
      return "is not an age X25519 recipient: its checksum does not match (a mistyped or cut key?)"
    }
    return isLowOrderRecipient(text)
      ? "is a low-order X25519 point, which no key pair has as its public key: nothing encrypted to it would be secret"
      : undefined
  }
  if (/^AGE-SECRET-KEY-/i.test(text))
    return "is a secret key, not a recipient: give its public key instead (age-keygen -y KEYFILE prints it)"
  if (/^age1(pq|tag|tagpq)1/.test(text))
    return "is a post-quantum or tag recipient: only X25519 recipients (age1…, as age-keygen makes them) are supported"
  if (/^(ssh-|ecdsa-sha2-|sk-)/.test(text))
    return "is an SSH key: only age X25519 recipients (age1…, as age-keygen makes them) are supported"
  return "is not an age X25519 recipient (age1… as age-keygen prints it)"
}

const badRecipient = (problem: string, origin: RecipientOrigin) =>
  new CryptoError({
    reason: { _tag: "BadRecipient", problem },
    line: origin.line,
    ...(origin.file === undefined ? {} : { file: origin.file })
  })

/** One recipient, checked; fails with a BadRecipient naming its origin. */
export const parseRecipient = (text: string, origin: RecipientOrigin): Effect.Effect<string, CryptoError> => {
  const recipient = text.trim()
  const problem = recipientProblem(recipient)
  return problem === undefined ? Effect.succeed(recipient) : Effect.fail(badRecipient(problem, origin))
}

/**
 * The recipients of a recipients file's text: every line that is neither blank nor a `#` comment must be one
 * (fail closed: a line that does not parse stops everything). A file without any recipient is refused too.
 */
export const parseRecipientsText = (text: string, file: string): Effect.Effect<ReadonlyArray<string>, CryptoError> =>
  Effect.gen(function* () {
    const recipients: Array<string> = []
    const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/)
    for (const [i, raw] of lines.entries()) {
      const line = raw.trim()
      if (line === "" || line.startsWith("#")) continue
      recipients.push(yield* parseRecipient(line, { file, line: i + 1 }))
    }
    if (recipients.length === 0) {
      return yield* new CryptoError({ reason: { _tag: "BadRecipient", problem: "holds no recipients" }, file })
    }
    return recipients
  })

/** Reads and parses a recipients file. */
export const readRecipientsFile = (path: string): Effect.Effect<ReadonlyArray<string>, CryptoError> =>
  Effect.tryPromise({
    try: () => readFile(path, "utf8"),
    catch: (e) =>
      new CryptoError({ reason: { _tag: "KeyFile", problem: `cannot be read: ${errorText(e)}` }, file: path })
  }).pipe(Effect.flatMap((text) => parseRecipientsText(text, path)))

/**
 * The canonical fingerprint of a recipient set: the same for the same keys in any order or repetition, so a
 * manifest can say "encrypted to the same set as last time" without naming anyone.
 */
export const recipientFingerprint = (recipients: ReadonlyArray<string>): string => {
  const sorted = [...new Set(recipients)].sort()
  const hash = createHash("sha256")
  for (const r of sorted) hash.update(`${r}\n`)
  return `sha256:${hash.digest("hex")}`
}

/**
 * The set to encrypt to, from recipients given one by one (checked and numbered 1, 2, … in errors) and from
 * recipients files. At least one recipient is required: encryption that was asked for never silently turns off.
 */
export const recipientSet = (
  given: ReadonlyArray<string>,
  files: ReadonlyArray<string>
): Effect.Effect<RecipientSet, CryptoError> =>
  Effect.gen(function* () {
    const all: Array<string> = []
    for (const [i, text] of given.entries()) all.push(yield* parseRecipient(text, { line: i + 1 }))
    for (const file of files) all.push(...(yield* readRecipientsFile(file)))
    if (all.length === 0) {
      return yield* new CryptoError({ reason: { _tag: "BadRecipient", problem: "set is empty: give at least one" } })
    }
    const recipients = [...new Set(all)]
    return { recipients, fingerprint: recipientFingerprint(recipients) }
  })
