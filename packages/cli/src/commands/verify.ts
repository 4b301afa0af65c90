// `spaces-vault verify ARCHIVE`: checks an archive end to end; exit 1 when anything is wrong, and when the archive
// is intact but partial (an owner failed), since a backup that misses an owner is not a good backup. An encrypted
// archive is checked without a key as far as it can be (stored bytes); `--identity` decrypts and checks contents too.
import { Effect } from "effect"
import { Argument, Command } from "effect/cli"
import { verifyArchive, type VerifyReport } from "@spaces-vault/core/archive/Verify"
import { RunFailed } from "@spaces-vault/program/ExitCode"
import { userLocationArgument } from "@spaces-vault/program/UserPaths"
import { archiveInput } from "./ArchiveInputs.ts"
import { Output } from "../Output.ts"
import { s3EndpointFlag, withArchiveStore } from "./s3Flags.ts"
import { identityFlag, jsonFlag, plural, withIdentities } from "./shared.ts"

const FAILURES_SHOWN = 3

export const renderVerify = (report: VerifyReport): string => {
  const encryption = !report.encrypted ? "" : report.decrypted ? ", encrypted, decrypted" : ", encrypted"
  const counts = `format ${report.formatVersion}${encryption}, ${plural(report.counts.owners, "owner")}, ${plural(report.counts.spaces, "space")}, ${plural(report.counts.entries, "entry", "entries")} verified${report.decrypted ? "" : "; not decrypted: no identity given, contents unchecked"}`
  if (!report.intact) return [`FAILED: ${report.archive}`, ...report.problems.map((p) => `  - ${p}`)].join("\n")
  if (report.complete) return `ok: ${report.archive} (${counts})`
  const lines = [`PARTIAL: ${report.archive} is intact (${counts}), but its export did not read everything:`]
  for (const o of report.failedOwners) {
    lines.push(`  - ${o.kind} ${o.login}: ${o.failures.length} failed`)
    for (const failure of o.failures.slice(0, FAILURES_SHOWN)) lines.push(`      ${failure}`)
    if (o.failures.length > FAILURES_SHOWN) lines.push(`      … and ${o.failures.length - FAILURES_SHOWN} more`)
  }
  if (report.failedOwners.length === 0) lines.push("  - some repositories it references could not be looked up")
  return lines.join("\n")
}

export const verifyCommand = Command.make(
  "verify",
  {
    archive: userLocationArgument(Argument.String("archive").pipe(Argument.withDescription("archive to check"))),
    identity: identityFlag,
    s3Endpoint: s3EndpointFlag,
    json: jsonFlag
  },
  (f) =>
    Effect.gen(function* () {
      const archive = yield* archiveInput(f.archive)
      const out = (yield* Output)(f.json)
      const report = yield* verifyArchive(archive).pipe(
        Effect.catchTag("ArchiveError", (e) =>
          Effect.succeed<VerifyReport>({
            archive: f.archive,
            ok: false,
            intact: false,
            complete: false,
            failedOwners: [],
            formatVersion: 0,
            encrypted: false,
            decrypted: false,
            problems: [e.message],
            counts: { entries: 0, spaces: 0, owners: 0 }
          })
        )
      )
      const text = renderVerify(report)
      yield* out.result(text, report)
      if (!report.ok) return yield* new RunFailed({ message: "verification failed", reported: true })
    }).pipe(withIdentities(f.identity), withArchiveStore(f))
).pipe(
  Command.withDescription(
    "Check an archive: zip integrity, sizes, sha256, the schema of every file, safe entry names. Exit 1 when it is " +
      "damaged, and when it is intact but partial (an owner failed: PARTIAL names them). An encrypted archive is " +
      "checked by its stored entries' sha256 without a key, and decrypted and checked in full with --identity."
  ),
  Command.withExamples([
    {
      command: "spaces-vault verify backups/spaces-vault-20261125T021000Z.zip",
      description: "exit 0 when it is whole"
    },
    {
      command: "spaces-vault verify backups/spaces-vault-20261125T021000Z.zip --json",
      description: "every problem, as JSON"
    }
  ])
)
