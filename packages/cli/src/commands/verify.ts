// `spaces-vault verify ARCHIVE`: checks an archive end to end; exit 1 when anything is wrong.
import { Effect } from "effect"
import { Argument, Command } from "effect/cli"
import { verifyArchive } from "@spaces-vault/core/archive/Verify"
import { RunFailed } from "../ExitCode.ts"
import { Output } from "../Output.ts"
import { jsonFlag } from "./shared.ts"

export const verifyCommand = Command.make(
  "verify",
  { archive: Argument.String("archive").pipe(Argument.withDescription("archive to check")), json: jsonFlag },
  (f) =>
    Effect.gen(function* () {
      const out = (yield* Output)(f.json)
      const report = yield* verifyArchive(f.archive).pipe(
        Effect.catchTag("ArchiveError", (e) =>
          Effect.succeed({
            archive: f.archive,
            ok: false,
            formatVersion: 0,
            problems: [e.message],
            counts: { entries: 0, spaces: 0, owners: 0 }
          })
        )
      )
      const text = report.ok
        ? `ok: ${report.archive} (format ${report.formatVersion}, ${report.counts.owners} owners, ${report.counts.spaces} spaces, ${report.counts.entries} entries verified)`
        : [`FAILED: ${report.archive}`, ...report.problems.map((p) => `  - ${p}`)].join("\n")
      yield* out.result(text, report)
      if (!report.ok) return yield* new RunFailed({ message: "verification failed", reported: true })
    })
).pipe(
  Command.withDescription("Check an archive: zip integrity, sizes, sha256, the schema of every file, safe entry names.")
)
