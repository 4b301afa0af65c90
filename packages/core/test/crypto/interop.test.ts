// Interoperability with the real age tool (Debian package `age`; .ci/run installs it). These tests fail, never
// skip, when it is missing: an archive only `spaces-vault` could open would defeat the point of using age.
import { execFile } from "node:child_process"
import { readFile, writeFile } from "node:fs/promises"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { entryDecrypter, entryEncrypter } from "../../src/crypto/EntryCipher.ts"
import { readIdentityFile } from "../../src/crypto/Identities.ts"
import { generateIdentityFile } from "../../src/crypto/Keygen.ts"
import { readRecipientsFile, recipientSet } from "../../src/crypto/Recipients.ts"
import { bytes, scratch } from "./keys.ts"

interface Ran {
  readonly code: number
  readonly stdout: Buffer
  readonly stderr: string
}

/** Runs an age program; a missing program fails the test with a sentence that says how to install it. */
const tool = (program: "age" | "age-keygen", args: ReadonlyArray<string>) =>
  Effect.callback<Ran, Error>((resume) => {
    execFile(program, args, { encoding: "buffer" }, (error, stdout, stderr) => {
      if (error && (error as NodeJS.ErrnoException).code === "ENOENT") {
        resume(Effect.fail(new Error(`${program} is not installed: apt-get install -y age (.ci/run does)`)))
        return
      }
      const code = error ? Number((error as { code?: unknown }).code ?? 1) : 0
      resume(Effect.succeed({ code, stdout, stderr: stderr.toString() }))
    })
  })

const ok = (program: "age" | "age-keygen", args: ReadonlyArray<string>) =>
  tool(program, args).pipe(
    Effect.tap((r) =>
      Effect.sync(() => assert.strictEqual(r.code, 0, `${program} ${args.join(" ")} failed: ${r.stderr}`))
    ),
    Effect.map((r) => r.stdout)
  )

const plaintext = bytes(`${JSON.stringify({ owner: "octo-org", number: 7, instructions: "é ✓ ".repeat(30_000) })}\n`)

describe("interop with the age tool", () => {
  it.effect("age and age-keygen are installed", () =>
    Effect.gen(function* () {
      assert.match((yield* ok("age", ["--version"])).toString(), /^v?1\./)
      yield* ok("age-keygen", ["--version"])
    })
  )

  it.effect("age -d opens what we encrypted to two recipients, with either key (ours and age-keygen's)", () =>
    Effect.gen(function* () {
      const dir = yield* scratch
      const ours = yield* generateIdentityFile(join(dir, "ours.key"))
      yield* ok("age-keygen", ["-o", join(dir, "theirs.key")])
      const theirs = (yield* ok("age-keygen", ["-y", join(dir, "theirs.key")])).toString().trim()
      const recipients = join(dir, "recipients.txt")
      yield* Effect.promise(() => writeFile(recipients, `# online\n${ours.recipient}\n\n# offline\n${theirs}\n`))
      const sealed = yield* entryEncrypter(yield* recipientSet([], [recipients])).encrypt(plaintext)
      yield* Effect.promise(() => writeFile(join(dir, "7.json.age"), sealed))
      for (const key of ["ours.key", "theirs.key"]) {
        const out = yield* ok("age", ["-d", "-i", join(dir, key), join(dir, "7.json.age")])
        assert.isTrue(out.equals(Buffer.from(plaintext)), `age -d -i ${key} gave other bytes`)
      }
    })
  )

  it.effect("we open what age -r and age -a -r encrypted, with an age-keygen identity file", () =>
    Effect.gen(function* () {
      const dir = yield* scratch
      yield* ok("age-keygen", ["-o", join(dir, "k.key")])
      const recipient = (yield* ok("age-keygen", ["-y", join(dir, "k.key")])).toString().trim()
      yield* Effect.promise(() => writeFile(join(dir, "plain.json"), plaintext))
      yield* ok("age", ["-r", recipient, "-o", join(dir, "bin.age"), join(dir, "plain.json")])
      yield* ok("age", ["-a", "-r", recipient, "-o", join(dir, "armored.age"), join(dir, "plain.json")])
      const identities = yield* readIdentityFile(join(dir, "k.key"))
      assert.strictEqual(identities[0]?.recipient, recipient)
      const dec = entryDecrypter(identities)
      for (const name of ["bin.age", "armored.age"]) {
        const sealed = yield* Effect.promise(() => readFile(join(dir, name)))
        assert.deepStrictEqual(yield* dec.decrypt(name, new Uint8Array(sealed)), plaintext)
      }
    })
  )

  it.effect("a recipients file age -R accepts is read by us, and age -R refuses what we refuse", () =>
    Effect.gen(function* () {
      const dir = yield* scratch
      yield* ok("age-keygen", ["-o", join(dir, "k.key")])
      const recipient = (yield* ok("age-keygen", ["-y", join(dir, "k.key")])).toString().trim()
      yield* Effect.promise(() => writeFile(join(dir, "good.txt"), `# team\n\n${recipient}\n`))
      yield* Effect.promise(() => writeFile(join(dir, "bad.txt"), `# team\n${recipient}\nage1typo\n`))
      yield* Effect.promise(() => writeFile(join(dir, "p"), "x"))
      yield* ok("age", ["-R", join(dir, "good.txt"), "-o", join(dir, "x.age"), join(dir, "p")])
      assert.deepStrictEqual(yield* readRecipientsFile(join(dir, "good.txt")), [recipient])
      const theirs = yield* tool("age", ["-R", join(dir, "bad.txt"), "-o", join(dir, "y.age"), join(dir, "p")])
      assert.notStrictEqual(theirs.code, 0)
      assert.match(theirs.stderr, /line 3/)
      const ours = yield* Effect.flip(readRecipientsFile(join(dir, "bad.txt")))
      assert.strictEqual(ours.line, 3)
    })
  )

  it.effect("our keygen's file: age-keygen -y prints its recipient and age -d -i opens what age -r sealed to it", () =>
    Effect.gen(function* () {
      const dir = yield* scratch
      const made = yield* generateIdentityFile(join(dir, "vault.key"))
      const derived = (yield* ok("age-keygen", ["-y", join(dir, "vault.key")])).toString().trim()
      assert.strictEqual(derived, made.recipient)
      yield* Effect.promise(() => writeFile(join(dir, "plain.json"), plaintext))
      yield* ok("age", ["-r", made.recipient, "-o", join(dir, "x.age"), join(dir, "plain.json")])
      const out = yield* ok("age", ["-d", "-i", join(dir, "vault.key"), join(dir, "x.age")])
      assert.isTrue(out.equals(Buffer.from(plaintext)))
    })
  )
})
