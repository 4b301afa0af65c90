// Test keys made with the library (X25519, as age-keygen makes them) and scratch directories.
import { mkdtemp, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { generateX25519Identity, identityToRecipient } from "age-encryption"
import { Effect } from "effect"

export interface TestKey {
  readonly secret: string
  readonly recipient: string
}

export const newKey: Effect.Effect<TestKey> = Effect.promise(async () => {
  const secret = await generateX25519Identity()
  return { secret, recipient: await identityToRecipient(secret) }
})

export const scratch = Effect.promise(() => mkdtemp(join(tmpdir(), "sv-crypto-")))

export const writeText = (path: string, text: string) => Effect.promise(() => writeFile(path, text))

export const bytes = (text: string) => new TextEncoder().encode(text)
export const text = (b: Uint8Array) => new TextDecoder().decode(b)
