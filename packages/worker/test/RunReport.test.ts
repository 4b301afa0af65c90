// After a run: the change report in status.json, one log line per deleted space, the counts in /metrics, and the
// webhook told on loopback; a failing webhook is logged and counted and never fails the backup.
import { readFile, writeFile } from "node:fs/promises"
import { join } from "node:path"
import { NodeServices } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { webhookServer } from "@spaces-vault/fixtures/webhook"
import { Effect, Layer } from "effect"
import { archiveFileName } from "@spaces-vault/core/archive/ArchiveDirectory"
import type { WriterOptions } from "@spaces-vault/core/archive/ArchiveWriter"
import { newKey } from "../../core/test/crypto/keys.ts"
import { writeOwnersArchive } from "../../core/test/support/archives.ts"
import { encryptingTo } from "../../core/test/support/encrypted.ts"
import { readLastStatus } from "../src/StatusFile.ts"
import { RunHistory } from "../src/RunHistory.ts"
import { runOnce } from "../src/RunOnce.ts"
import { captureLogs, configFor, exportReturning, tmp } from "./WorkerTestKit.ts"

const night = (dir: string, iso: string, spaces: ReadonlyArray<number>, options: WriterOptions = {}) =>
  writeOwnersArchive(join(dir, archiveFileName(Date.parse(iso))), iso, [{ login: "octo-org", spaces }], options)

/** Night 1 holds 1, 2, 3; the run's export writes night 2 without 3 and with 4. */
const scene = (status: number, options: WriterOptions = {}) =>
  Effect.gen(function* () {
    const dir = yield* tmp
    const hook = yield* webhookServer(status)
    const urlFile = join(dir, "..", `${dir.split("/").pop()}-hook`)
    yield* Effect.promise(() => writeFile(urlFile, hook.url))
    yield* night(dir, "2026-11-24T02:30:00Z", [1, 2, 3], options)
    const archive = yield* night(dir, "2026-11-25T02:30:00Z", [1, 2, 4], options)
    const config = configFor(dir, {
      owners: { orgs: ["octo-org"] },
      retention: {},
      notify: { webhookUrlFile: urlFile }
    })
    return { dir, hook, config, archive }
  })

describe("the run's change report", () => {
  it.live("lands in status.json, one log line per deleted space, /metrics, and the webhook", () => {
    const logs = captureLogs()
    return Effect.gen(function* () {
      const { hook, config, archive } = yield* scene(200)
      const status = yield* runOnce(config, undefined, exportReturning(archive))
      assert.strictEqual(status.result, "success")
      const file = JSON.parse(yield* Effect.promise(() => readFile(join(config.stateDir, "status.json"), "utf8")))
      const first = archiveFileName(Date.parse("2026-11-24T02:30:00Z"))
      assert.deepStrictEqual(file.changes, {
        "octo-org": {
          deleted: [{ number: 3, name: "Space 3", archive: first }],
          restored: [],
          added: [{ number: 4, name: "Space 4" }],
          changed: []
        }
      })
      assert.strictEqual(file.notifyError, null)
      assert.deepStrictEqual(logs.lines.filter((l) => l.startsWith("space deleted")).length, 1)
      assert.match(logs.lines.find((l) => l.startsWith("space deleted"))!, /^space deleted: octo-org\/3 /)
      assert.strictEqual(hook.got.length, 1)
      assert.strictEqual(hook.got[0].deleted[0].number, 3)
      assert.notInclude(logs.lines.join("\n"), "SECRET")
      const metrics = yield* (yield* RunHistory).prometheus
      assert.include(metrics, "spaces_vault_last_run_deleted_spaces 1\n")
      assert.include(metrics, "spaces_vault_last_run_added_spaces 1\n")
      assert.include(metrics, "spaces_vault_last_run_changed_spaces 0\n")
      assert.include(metrics, "spaces_vault_notify_failures_total 0\n")
    }).pipe(Effect.scoped, Effect.provide(Layer.mergeAll(RunHistory.layer(), NodeServices.layer, logs.layer)))
  })

  it.live(
    "encrypted archives: the worker, which holds no identity, reports by number, and reads status.json back",
    () => {
      const logs = captureLogs()
      return Effect.gen(function* () {
        const { hook, config, archive } = yield* scene(200, yield* encryptingTo(yield* newKey))
        const status = yield* runOnce(config, undefined, exportReturning(archive))
        assert.strictEqual(status.result, "success")
        const first = archiveFileName(Date.parse("2026-11-24T02:30:00Z"))
        const expected = {
          "octo-org": { deleted: [{ number: 3, archive: first }], restored: [], added: [{ number: 4 }], changed: [] }
        }
        assert.deepStrictEqual(status.changes, expected)
        assert.isFalse(logs.lines.some((l) => l.startsWith("no change report")))
        assert.match(logs.lines.find((l) => l.startsWith("space deleted"))!, /^space deleted: octo-org\/3 /)
        assert.deepStrictEqual(hook.got[0].deleted, [
          {
            owner: "octo-org",
            number: 3,
            archive: first,
            restore: `spaces-vault restore --from ${config.outputDir} --space octo-org/3`
          }
        ])
        const read = yield* readLastStatus(config.stateDir, config.outputDir)
        assert.deepStrictEqual(read.status?.changes, expected)
      }).pipe(Effect.scoped, Effect.provide(Layer.mergeAll(RunHistory.layer(), NodeServices.layer, logs.layer)))
    }
  )

  it.live("a webhook that fails is logged and counted; the backup still succeeds", () => {
    const logs = captureLogs()
    return Effect.gen(function* () {
      const { config, archive } = yield* scene(500)
      const status = yield* runOnce(config, undefined, exportReturning(archive))
      assert.strictEqual(status.result, "success")
      assert.match(status.notifyError ?? "", /^the webhook notification failed: 127\.0\.0\.1:\d+ answered 500$/)
      assert.isTrue(logs.lines.some((l) => l.startsWith("the webhook notification failed")))
      assert.notInclude(logs.lines.join("\n"), "SECRET")
      assert.include(yield* (yield* RunHistory).prometheus, "spaces_vault_notify_failures_total 1\n")
    }).pipe(Effect.scoped, Effect.provide(Layer.mergeAll(RunHistory.layer(), NodeServices.layer, logs.layer)))
  })
})
