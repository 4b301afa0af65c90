// Encrypts one archive entry with age to a recipient set, and decrypts one with identities. Each entry is a whole
// age file (binary, as `age -r` writes it), so `age -d -i KEY NAME.age` opens any entry without spaces-vault.
// Encryption is written here on node:crypto's primitives (X25519, HKDF-SHA-256, HMAC, ChaCha20-Poly1305: the age v1
// format for X25519 recipients, https://age-encryption.org/v1) rather than with the age library, whose per-file
// WebCrypto key agreement, 64 KiB STREAM buffer, pure-JS cipher and web streams cost 40-80 MB of peak RSS and twice
// the CPU at 50,000 entries (docs/performance.md). It is checked against two independent implementations: every
// size around the 64 KiB chunks opens with the real `age -d` (test/crypto/interop.test.ts), and decryption here
// stays with the library.
import {
  createCipheriv,
  createHmac,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
  type KeyObject,
  randomBytes
} from "node:crypto"
import { bech32 } from "@scure/base"
import { armor, Decrypter } from "age-encryption"
import { Effect, Redacted } from "effect"
import { CryptoError } from "./CryptoError.ts"
import type { Identity } from "./Identities.ts"
import type { RecipientSet } from "./Recipients.ts"

export interface EntryEncrypter {
  /** The recipient set's fingerprint, for the manifest. */
  readonly fingerprint: string
  readonly encrypt: (plaintext: Uint8Array | string) => Effect.Effect<Uint8Array>
}

export interface EntryDecrypter {
  /** `entry` names the entry in errors (e.g. `spaces/octo-org/7.json.gz.age`). */
  readonly decrypt: (entry: string, ciphertext: Uint8Array) => Effect.Effect<Uint8Array, CryptoError>
}

/** The 32-byte X25519 public key of an `age1…` recipient (already checked, checksum included, by Recipients.ts). */
const recipientKey = (recipient: string): RecipientKey => {
  const raw = Buffer.from(bech32.decodeToBytes(recipient).bytes)
  const key = createPublicKey({ key: { kty: "OKP", crv: "X25519", x: raw.toString("base64url") }, format: "jwk" })
  return { key, raw }
}

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64").replace(/=+$/, "")
const hkdf = (ikm: Uint8Array, salt: Uint8Array, info: string) => Buffer.from(hkdfSync("sha256", ikm, salt, info, 32))
const seal = (key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array): Array<Buffer> => {
  const cipher = createCipheriv("chacha20-poly1305", key, nonce, { authTagLength: 16 })
  return [cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]
}

interface RecipientKey {
  readonly key: KeyObject
  readonly raw: Buffer
}

/**
 * Whether an (already checksum-checked) `age1…` recipient is a low-order point: its shared secret with any key is
 * all zeroes, so nothing encrypted to it is secret. No key pair has one as its public key.
 */
export const isLowOrderRecipient = (recipient: string): boolean => {
  const { key } = recipientKey(recipient)
  const probe = generateKeyPairSync("x25519")
  try {
    return diffieHellman({ privateKey: probe.privateKey, publicKey: key }).every((b) => b === 0)
  } catch {
    // OpenSSL refuses some low-order points outright.
    return true
  }
}

/** An X25519 stanza wrapping the file key for one recipient, with a fresh ephemeral key (age v1 spec). */
const x25519Stanza = (recipient: RecipientKey, fileKey: Buffer): string => {
  const ephemeral = generateKeyPairSync("x25519")
  const share = Buffer.from(ephemeral.publicKey.export({ format: "jwk" }).x!, "base64url")
  const shared = diffieHellman({ privateKey: ephemeral.privateKey, publicKey: recipient.key })
  // The spec's one check on this side: a low-order recipient key gives an all-zero secret, which would wrap the file
  // key under a key anyone can compute. Recipients as age-keygen makes them never do; one that does is refused.
  if (shared.every((b) => b === 0))
    throw new Error("an X25519 recipient is a low-order point: refusing to encrypt to it")
  const wrapKey = hkdf(shared, Buffer.concat([share, recipient.raw]), "age-encryption.org/v1/X25519")
  return `-> X25519 ${b64(share)}\n${b64(Buffer.concat(seal(wrapKey, Buffer.alloc(12), fileKey)))}\n`
}

const CHUNK = 64 * 1024

/** One age file: header (a stanza per recipient, HMAC), a 16-byte nonce, then the STREAM payload in 64 KiB chunks. */
const ageFile = (recipients: ReadonlyArray<RecipientKey>, plaintext: Uint8Array): Uint8Array => {
  const fileKey = randomBytes(16)
  const headerText = `age-encryption.org/v1\n${recipients.map((r) => x25519Stanza(r, fileKey)).join("")}---`
  const mac = createHmac("sha256", hkdf(fileKey, new Uint8Array(0), "header"))
    .update(headerText)
    .digest()
  const nonce = randomBytes(16)
  const payloadKey = hkdf(fileKey, nonce, "payload")
  const parts: Array<Uint8Array> = [Buffer.from(`${headerText} ${b64(mac)}\n`), nonce]
  const chunkNonce = Buffer.alloc(12)
  for (let offset = 0, counter = 0; ; offset += CHUNK, counter++) {
    const last = offset + CHUNK >= plaintext.length
    chunkNonce.writeUIntBE(counter, 5, 6)
    chunkNonce[11] = last ? 1 : 0
    parts.push(...seal(payloadKey, chunkNonce, plaintext.subarray(offset, Math.min(offset + CHUNK, plaintext.length))))
    if (last) break
  }
  const file = Buffer.concat(parts)
  // A plain Uint8Array, as the library returned: Buffer's slice() shares memory where Uint8Array's copies.
  return new Uint8Array(file.buffer, file.byteOffset, file.byteLength)
}

/** Encrypts entries to every recipient of the set: any one identity of the set decrypts each. */
export const entryEncrypter = (set: RecipientSet): EntryEncrypter => {
  // The set was checked when it was built (Recipients.ts), so its keys decode.
  const keys = set.recipients.map(recipientKey)
  return {
    fingerprint: set.fingerprint,
    // A fresh random file key per call; encryption of bytes fails only on a bug, so a failure is a defect.
    encrypt: (plaintext) =>
      Effect.sync(() => ageFile(keys, typeof plaintext === "string" ? Buffer.from(plaintext, "utf8") : plaintext))
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
