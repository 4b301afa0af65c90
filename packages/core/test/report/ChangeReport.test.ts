// The report after an export, from real archives: deleted, added and changed per owner; restored spaces linked
// through the replay journal; an owner that failed never has deletions.
import { mkdir, mkdtemp, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { NodeServices } from "@effect/platform-node"
import { assert, layer } from "@effect/vitest"
import { Effect } from "effect"
import { archiveFileName } from "../../src/archive/ArchiveDirectory.ts"
import { replayStateDir } from "../../src/replay/Journal.ts"
import { deletionLines, reportChanges, reportCounts } from "../../src/report/ChangeReport.ts"
import { deletionNotice } from "../../src/report/Notify.ts"
import type { WriterOptions } from "../../src/archive/ArchiveWriter.ts"
import { SEALED_CHANGE } from "../../src/archive/Diff.ts"
import { newKey } from "../crypto/keys.ts"
import { type OwnerData, writeOwnersArchive } from "../support/archives.ts"
import { encryptingTo, withKeys } from "../support/encrypted.ts"

const tmpDir = Effect.promise(() => mkdtemp(join(tmpdir(), "sv-report-")))
const put = (dir: string, iso: string, owners: ReadonlyArray<OwnerData>, options: WriterOptions = {}) =>
  writeOwnersArchive(join(dir, archiveFileName(Date.parse(iso))), iso, owners, options)
const NIGHT1 = archiveFileName(Date.parse("2026-11-24T02:30:00Z"))

/** Two nights; each encrypted when given writer options for it (none: plaintext). */
const twoNights = (dir: string, first: WriterOptions = {}, second: WriterOptions = first) =>
  Effect.gen(function* () {
    yield* put(
      dir,
      "2026-11-24T02:30:00Z",
      [
        { login: "octo-org", spaces: [1, 2, 3, 12] },
        { login: "mona", kind: "user", spaces: [7] }
      ],
      first
    )
    yield* put(
      dir,
      "2026-11-25T02:30:00Z",
      [
        { login: "octo-org", spaces: [1, [2, { name: "renamed" }], 4] },
        { login: "mona", kind: "user", spaces: [], failures: [{ scope: "list", message: "502" }] }
      ],
      second
    )
  })

/** A journal saying octo-org/12 was restored as octo-org/242. */
const journal = (stateDir: string) =>
  Effect.promise(async () => {
    await mkdir(replayStateDir(stateDir), { recursive: true })
    await writeFile(
      join(replayStateDir(stateDir), "org-octo-org-abc.json"),
      JSON.stringify({
        apiUrl: "https://api.github.com",
        target: "org:octo-org",
        spaces: {
          "octo-org/12/112": {
            state: "done",
            name: "Space 12",
            target: 242,
            source: { owner: "octo-org", number: 12, id: 112 }
          }
        }
      })
    )
  })

layer(NodeServices.layer)("reportChanges", (it) => {
  it.effect("reports per owner; a restored space is restored, not deleted; a failed owner has no deletions", () =>
    Effect.gen(function* () {
      const dir = yield* tmpDir
      const state = yield* tmpDir
      yield* twoNights(dir)
      yield* journal(state)
      const report = yield* reportChanges(dir, state)
      assert.deepStrictEqual(Object.keys(report.changes), ["octo-org", "mona"])
      const o = report.changes["octo-org"]!
      assert.deepStrictEqual(o.deleted, [{ number: 3, name: "Space 3", archive: NIGHT1 }])
      assert.deepStrictEqual(o.restored, [{ number: 12, name: "Space 12", as: "octo-org/242" }])
      assert.deepStrictEqual(o.added, [{ number: 4, name: "Space 4" }])
      assert.deepStrictEqual(o.changed, [{ number: 2, name: "renamed", changes: ['name: "Space 2" -> "renamed"'] }])
      // mona's listing failed: 7 is unverified, never deleted.
      assert.deepStrictEqual(report.changes.mona?.deleted, [])
      assert.strictEqual(report.unverified, 1)
      assert.deepStrictEqual(reportCounts(report), { deleted: 1, added: 1, changed: 1, restored: 1 })
      assert.deepStrictEqual(deletionLines(report), [
        `octo-org/3 "Space 3" deleted (still in ${NIGHT1})`,
        `octo-org/12 "Space 12" restored as octo-org/242`
      ])
    })
  )

  it.effect("the notice names each deleted space, the archive holding it and the command that restores it", () =>
    Effect.gen(function* () {
      const dir = yield* tmpDir
      yield* twoNights(dir)
      const report = yield* reportChanges(dir, yield* tmpDir)
      const notice = deletionNotice(report, "/backups")!
      assert.deepStrictEqual(
        notice.deleted.map((d) => [d.owner, d.number, d.name, d.archive, d.restore]),
        [
          ["octo-org", 3, "Space 3", NIGHT1, "spaces-vault restore --from /backups --space octo-org/3"],
          ["octo-org", 12, "Space 12", NIGHT1, "spaces-vault restore --from /backups --space octo-org/12"]
        ]
      )
      assert.include(notice.text, "2 spaces were deleted")
      assert.include(
        notice.text,
        "Restore: spaces-vault restore --from /backups --space octo-org/3 --space octo-org/12"
      )
    })
  )

  it.effect("no notice when nothing was deleted", () =>
    Effect.gen(function* () {
      const dir = yield* tmpDir
      yield* put(dir, "2026-11-24T02:30:00Z", [{ login: "octo-org", spaces: [1] }])
      yield* put(dir, "2026-11-25T02:30:00Z", [{ login: "octo-org", spaces: [1, 2] }])
      assert.strictEqual(deletionNotice(yield* reportChanges(dir, yield* tmpDir), "/b"), undefined)
    })
  )

  it.effect("encrypted archives without an identity, as the worker reads them: by number, never failing", () =>
    Effect.gen(function* () {
      const dir = yield* tmpDir
      const state = yield* tmpDir
      yield* twoNights(dir, yield* encryptingTo(yield* newKey))
      yield* journal(state)
      const report = yield* reportChanges(dir, state)
      const o = report.changes["octo-org"]!
      assert.deepStrictEqual(o.deleted, [{ number: 3, archive: NIGHT1 }])
      assert.deepStrictEqual(o.restored, [{ number: 12, as: "octo-org/242" }])
      assert.deepStrictEqual(o.added, [{ number: 4 }])
      // Space 1 is unchanged: its plaintext sha256 in both manifests is equal.
      assert.deepStrictEqual(o.changed, [{ number: 2, changes: [SEALED_CHANGE] }])
      assert.deepStrictEqual(report.changes.mona?.deleted, [])
      assert.strictEqual(report.unverified, 1)
      assert.deepStrictEqual(deletionLines(report), [
        `octo-org/3 deleted (still in ${NIGHT1})`,
        "octo-org/12 restored as octo-org/242"
      ])
      const notice = deletionNotice(report, "/backups")!
      assert.deepStrictEqual(notice.deleted, [
        {
          owner: "octo-org",
          number: 3,
          archive: NIGHT1,
          restore: "spaces-vault restore --from /backups --space octo-org/3"
        }
      ])
      assert.include(notice.text, `• octo-org/3 (still in ${NIGHT1})`)
    })
  )

  it.effect("encrypted archives with an identity: names and what changed, as with plaintext ones", () =>
    Effect.gen(function* () {
      const key = yield* newKey
      const dir = yield* tmpDir
      const state = yield* tmpDir
      yield* twoNights(dir, yield* encryptingTo(key))
      yield* journal(state)
      const o = (yield* withKeys(key)(reportChanges(dir, state))).changes["octo-org"]!
      assert.deepStrictEqual(o.deleted, [{ number: 3, name: "Space 3", archive: NIGHT1 }])
      assert.deepStrictEqual(o.restored, [{ number: 12, name: "Space 12", as: "octo-org/242" }])
      assert.deepStrictEqual(o.added, [{ number: 4, name: "Space 4" }])
      assert.deepStrictEqual(o.changed, [{ number: 2, name: "renamed", changes: ['name: "Space 2" -> "renamed"'] }])
    })
  )

  it.effect("the first encrypted night after plaintext ones: names from the plaintext baseline, digests compared", () =>
    Effect.gen(function* () {
      const dir = yield* tmpDir
      yield* twoNights(dir, {}, yield* encryptingTo(yield* newKey))
      const o = (yield* reportChanges(dir, yield* tmpDir)).changes["octo-org"]!
      assert.deepStrictEqual(o.deleted, [
        { number: 3, name: "Space 3", archive: NIGHT1 },
        { number: 12, name: "Space 12", archive: NIGHT1 }
      ])
      assert.deepStrictEqual(o.added, [{ number: 4 }])
      assert.deepStrictEqual(o.changed, [{ number: 2, name: "Space 2", changes: [SEALED_CHANGE] }])
    })
  )
})
