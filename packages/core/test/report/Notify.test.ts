// The webhook against a local HTTP server on loopback: one JSON document is posted; a failing webhook is an error
// value naming the host only (the URL is a secret); the URL comes from a file before the environment.
import { mkdtemp, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { webhookServer } from "@spaces-vault/fixtures/webhook"
import { Effect } from "effect"
import { type DeletionNotice, postNotice, webhookUrl } from "../../src/report/Notify.ts"

const notice: DeletionNotice = {
  text: "spaces-vault: 1 space was deleted",
  archive: "spaces-vault-20261125T023000Z.zip",
  deleted: [{ owner: "octo-org", number: 3, name: "Space 3", archive: "a.zip", restore: "spaces-vault restore" }]
}

describe("Notify", () => {
  it.live("posts the notice as one JSON document", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const s = yield* webhookServer(200)
        yield* postNotice(s.url, notice)
        assert.deepStrictEqual([s.contentTypes, s.got], [["application/json"], [notice]])
      })
    )
  )

  it.live("a webhook that answers 500 fails with the host, never the URL's secret path", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const s = yield* webhookServer(500)
        const e = yield* Effect.flip(postNotice(s.url, notice))
        assert.match(e.message, /^the webhook notification failed: 127\.0\.0\.1:\d+ answered 500$/)
        assert.notInclude(e.message, "SECRET")
      })
    )
  )

  it.live("a webhook nobody listens on fails without the URL's secret", () =>
    Effect.gen(function* () {
      const e = yield* Effect.flip(postNotice("http://127.0.0.1:1/hook/SECRET", notice))
      assert.notInclude(e.message, "SECRET")
      assert.include(e.message, "127.0.0.1:1")
    })
  )

  it.live("a URL fetch cannot parse fails without quoting it", () =>
    Effect.gen(function* () {
      const url = "http://[bad-host/hook/SECRET"
      const e = yield* Effect.flip(postNotice(url, notice))
      assert.notInclude(e.message, "SECRET")
    })
  )

  it.effect("reads the URL from the file first, else the environment; refuses what is not http(s)", () =>
    Effect.gen(function* () {
      const dir = yield* Effect.promise(() => mkdtemp(join(tmpdir(), "sv-notify-")))
      const file = join(dir, "url")
      yield* Effect.promise(() => writeFile(file, "https://hooks.example/a\n"))
      assert.strictEqual(yield* webhookUrl(file, "https://env.example/b"), "https://hooks.example/a")
      assert.strictEqual(yield* webhookUrl(undefined, "https://env.example/b"), "https://env.example/b")
      assert.strictEqual(yield* webhookUrl(undefined, undefined), undefined)
      const bad = yield* Effect.flip(webhookUrl(undefined, "ftp://x"))
      assert.include(bad.message, "SPACES_VAULT_WEBHOOK_URL is not an http(s) URL")
      const missing = yield* Effect.flip(webhookUrl(join(dir, "nope"), undefined))
      assert.include(missing.message, "cannot read the webhook URL file")
    })
  )
})
