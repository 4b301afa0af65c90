// Encrypts one archive entry with age to a recipient set, and decrypts one with identities. Each entry is a whole
// age file (binary, as `age -r` writes it), so `age -d -i KEY NAME.age` opens any entry without spaces-vault.
import { armor, Decrypter, Encrypter } from "age-encryption"
import { Effect, Redacted } from "effect"
import { CryptoError } from "./CryptoError.ts"
import type { Identity } from "./Identities.ts"
import type { RecipientSet } from "./Recipients.ts"

/** What an encrypted entry is called: its plaintext name with `.age` added. */
export const encryptedEntryName = (name: string): string => `${name}.age`

export interface EntryEncrypter {
  /** The recipient set's fingerprint, for the manifest. */
  readonly fingerprint: string
  readonly encrypt: (plaintext: Uint8Array | string) => Effect.Effect<Uint8Array>
}

export interface EntryDecrypter {
  /** `entry` names the entry in errors (e.g. `spaces/octo-org/7.json.age`). */
  readonly decrypt: (entry: string, ciphertext: Uint8Array) => Effect.Effect<Uint8Array, CryptoError>
}

/** Encrypts entries to every recipient of the set: any one identity of the set decrypts each. */
export const entryEncrypter = (set: RecipientSet): EntryEncrypter => {
  const encrypter = new Encrypter()
  // The set was checked when it was built (Recipients.ts), so adding cannot fail here.
  for (const r of set.recipients) encrypter.addRecipient(r)
  return {
    fingerprint: set.fingerprint,
    // A fresh random file key per call; encryption of bytes fails only on a bug, so a failure is a defect.
    encrypt: (plaintext) => Effect.promise(() => encrypter.encrypt(plaintext))
  }
}

const AGE_MAGIC = new TextEncoder().encode("age-encryption.org/v1\n")
const ARMOR_BEGIN = "-----BEGIN AGE ENCRYPTED FILE-----"

/**
 * Whether the bytes start as an age file does (or are a cut-off start of one): a file that does not is "not age",
 * anything else that fails is damage. Nothing at all counts as a truncated age file.
 */
const startsLikeAge = (bytes: Uint8Array): boolean => {
  const n = Math.min(bytes.length, AGE_MAGIC.length)
  for (let i = 0; i < n; i++) if (bytes[i] !== AGE_MAGIC[i]) return false
  return true
}

const isArmored = (bytes: Uint8Array): boolean =>
  new TextDecoder()
    .decode(bytes.subarray(0, ARMOR_BEGIN.length + 3))
    .trimStart()
    .startsWith(ARMOR_BEGIN)

const readAll = async (stream: ReadableStream<Uint8Array>): Promise<Uint8Array> => {
  const parts: Array<Uint8Array> = []
  let size = 0
  for await (const part of stream) {
    parts.push(part)
    size += part.length
  }
  const out = new Uint8Array(size)
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}

const NO_MATCH = "no identity matched any of the file's recipients"

type Outcome =
  | { readonly ok: Uint8Array }
  | { readonly failed: "NoMatchingIdentity" | "header" | "payload" | "not-age" }

const open = async (decrypter: Decrypter, ciphertext: Uint8Array): Promise<Outcome> => {
  let bytes = ciphertext
  if (isArmored(bytes)) {
    try {
      bytes = armor.decode(new TextDecoder().decode(bytes))
    } catch {
      return { failed: "header" }
    }
  } else if (!startsLikeAge(bytes)) {
    return { failed: "not-age" }
  }
  let plaintext: ReadableStream<Uint8Array>
  try {
    // With a stream, the promise settles once the header is checked: what fails later is the payload.
    plaintext = await decrypter.decrypt(new Blob([bytes as Uint8Array<ArrayBuffer>]).stream())
  } catch (e) {
    return { failed: e instanceof Error && e.message === NO_MATCH ? "NoMatchingIdentity" : "header" }
  }
  try {
    return { ok: await readAll(plaintext) }
  } catch {
    return { failed: "payload" }
  }
}

/** Decrypts entries with any of the identities, as `age -d -i A -i B` does. */
export const entryDecrypter = (identities: ReadonlyArray<Identity>): EntryDecrypter => {
  const decrypter = new Decrypter()
  for (const identity of identities) decrypter.addIdentity(Redacted.value(identity.key))
  return {
    decrypt: (entry, ciphertext) =>
      Effect.promise(() => open(decrypter, ciphertext)).pipe(
        Effect.flatMap((outcome) => {
          if ("ok" in outcome) return Effect.succeed(outcome.ok)
          const reason =
            outcome.failed === "NoMatchingIdentity"
              ? ({ _tag: "NoMatchingIdentity" } as const)
              : ({ _tag: "Damaged", part: outcome.failed } as const)
          return Effect.fail(new CryptoError({ reason, entry }))
        })
      )
  }
}
