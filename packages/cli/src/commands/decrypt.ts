// `spaces-vault decrypt ARCHIVE --identity KEY --out FILE`: an encrypted archive's plaintext, as an archive of
// format 1 that any spaces-vault (or unzip) reads, so nobody is locked in. Flags and output only: core/archive/Decrypt.
import { Effect, FileSystem } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { dirname } from "node:path"
import { decryptArchive, type DecryptSummary } from "@spaces-vault/core/archive/Decrypt"
import { UsageError } from "@spaces-vault/program/ExitCode"
import { resolveUserPath, userLocationArgument } from "@spaces-vault/program/UserPaths"
import { archiveInput, isLocalPath } from "./ArchiveInputs.ts"
import { Output } from "../Output.ts"
import { s3EndpointFlag, withArchiveStore } from "./s3Flags.ts"
import { identityFlag, jsonFlag, plural, withIdentities } from "./shared.ts"

const flags = {
  archive: userLocationArgument(
    Argument.String("archive").pipe(
      Argument.withDescription("the encrypted archive (format 2): a file, or s3://bucket/prefix/NAME")
    )
  ),
  out: Flag.String("out").pipe(
    Flag.withDescription(
      "the plaintext archive to write, a local file (private, 0600); an existing file is never replaced"
    )
  ),
  identity: identityFlag,
  s3Endpoint: s3EndpointFlag,
  json: jsonFlag
}

/** --out: a local file that does not exist yet, in a directory that does; anything else is a usage error (exit 2). */
const outPathOf = (raw: string) =>
  Effect.gen(function* () {
    // Checked before it is resolved: `s3://…` resolved as a path would become `./s3:/…`.
    if (raw.trim() === "") return yield* new UsageError({ message: "--out must name the file to write" })
    if (!isLocalPath(raw))
      return yield* new UsageError({ message: `--out ${raw}: a plaintext archive is written to a local file only` })
    const path = yield* resolveUserPath(raw)
    const fs = yield* FileSystem.FileSystem
    // A check that cannot be made is left to the writer, which never replaces a file either.
    if (yield* fs.exists(path).pipe(Effect.orElseSucceed(() => false)))
      return yield* new UsageError({ message: `--out ${path} already exists: decrypt never replaces a file` })
    const dir = yield* fs.stat(dirname(path)).pipe(Effect.option)
    if (dir._tag === "None" || dir.value.type !== "Directory")
      return yield* new UsageError({ message: `--out ${path}: ${dirname(path)} is not an existing directory` })
    return path
  })

export const renderDecrypt = (s: DecryptSummary): string =>
  [
    `wrote ${s.out}: the plaintext of ${s.archive} (archive format 1, ${plural(s.spaces, "space")})`,
    "it is not encrypted: keep it where the identity file is kept, and delete it when done"
  ].join("\n")

export const decryptCommand = Command.make("decrypt", flags, (f) =>
  Effect.gen(function* () {
    const archive = yield* archiveInput(f.archive)
    const outPath = yield* outPathOf(f.out)
    const out = (yield* Output)(f.json)
    const summary = yield* decryptArchive(archive, outPath).pipe(
      Effect.catchTag("NotEncryptedError", (e) => Effect.fail(new UsageError({ message: e.message })))
    )
    yield* out.result(renderDecrypt(summary), summary)
  }).pipe(withIdentities(f.identity), withArchiveStore(f))
).pipe(
  Command.withDescription(
    "Write the plaintext of an encrypted archive as an archive of format 1 (the same manifest and entries), with the identities that open it."
  ),
  Command.withExamples([
    {
      command: "spaces-vault decrypt backups/spaces-vault-20261125T021000Z.zip --identity restore.key --out plain.zip",
      description: "an encrypted archive's plaintext, readable by any spaces-vault and by unzip"
    }
  ])
)
