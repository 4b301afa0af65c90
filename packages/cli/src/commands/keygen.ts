// `spaces-vault keygen --out FILE`: a new age X25519 identity file, as age-keygen writes it; prints its recipient.
// Flags and output only; the key and the file are core/crypto's.
import { Effect } from "effect"
import { Command, Flag } from "effect/cli"
import { isConfigProblem } from "@spaces-vault/core/crypto/CryptoError"
import { generateIdentityFile } from "@spaces-vault/core/crypto/Keygen"
import { RunFailed, UsageError } from "@spaces-vault/program/ExitCode"
import { userPathFlag } from "@spaces-vault/program/UserPaths"
import { Output } from "../Output.ts"
import { jsonFlag } from "./shared.ts"

export const keygenCommand = Command.make(
  "keygen",
  {
    out: userPathFlag(
      Flag.String("out").pipe(
        Flag.withDescription("identity file to create (private, 0600); an existing file is never replaced")
      )
    ),
    json: jsonFlag
  },
  (f) =>
    Effect.gen(function* () {
      const out = (yield* Output)(f.json)
      const made = yield* generateIdentityFile(f.out).pipe(
        Effect.catchTag("CryptoError", (e) =>
          Effect.fail(
            isConfigProblem(e)
              ? new UsageError({ message: `--out ${e.message}` })
              : new RunFailed({ message: e.message, reported: false })
          )
        )
      )
      // The recipient alone on stdout, so `keygen --out K >> recipients.txt` builds a recipients file.
      yield* out.result(made.recipient, { file: made.file, recipient: made.recipient })
    })
).pipe(
  Command.withDescription(
    "Create an age X25519 identity file (as age-keygen does) and print its recipient (age1…), the public key that " +
      "archives are encrypted to. Keep the file secret and backed up: without it, nothing encrypted to it opens."
  ),
  Command.withExamples([
    {
      command: "spaces-vault keygen --out ~/.config/spaces-vault/restore.key >> recipients.txt",
      description: "a new key; its recipient added to a recipients file"
    },
    { command: "spaces-vault keygen --out offline.key --json", description: "the file and the recipient, as JSON" }
  ])
)
