// The export as a GitHub App, end to end against fakehub's App side: each organization on its own installation's
// token, an installation that lacks a permission failing only its owner, a token that expires mid-run replaced, a
// skewed clock corrected from fakehub's date header, users' own spaces on GH_TOKEN, and a budget per installation.
import { mkdtemp } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { startFakeHub, type FakeHub } from "@spaces-vault/fixtures"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Logger, Redacted } from "effect"
import { checkAndClose } from "../support/hub.ts"
import { org, user, type Owner } from "../../src/domain/Owner.ts"
import { exportSpaces } from "../../src/export/ExportSpaces.ts"
import { GitHubClient } from "../../src/github/GitHubClient.ts"
import { testClientOptions } from "../github/testClientOptions.ts"

const hubOf = (options: Parameters<typeof startFakeHub>[0]) =>
  Effect.acquireRelease(
    Effect.promise(() => startFakeHub(options)),
    (h) => Effect.promise(() => checkAndClose(h))
  )
const tmpDir = Effect.promise(() => mkdtemp(join(tmpdir(), "sv-app-export-")))

/** The client as the demo App; `userToken` for users' own spaces ("" for none); `pkcs8` picks the key's format. */
const appLayer = (h: FakeHub, userToken = "", pkcs8 = false) =>
  GitHubClient.layer(
    testClientOptions({
      hub: { url: h.url, token: userToken },
      concurrency: 8,
      app: {
        appId: String(h.app!.id),
        privateKey: Redacted.make(pkcs8 ? h.app!.privateKeyPkcs8 : h.app!.privateKeyPem)
      }
    })
  )

const exportAs = (owners: ReadonlyArray<Owner>, outDir: string) => exportSpaces({ owners, outDir, concurrency: 8 })

/** Every line the program logs at warning level or above, to prove none carries a token. */
const logged = () => {
  const lines: Array<string> = []
  const logger = Logger.make((o) => {
    lines.push((Array.isArray(o.message) ? o.message : [o.message]).map(String).join(" "))
  })
  return { lines, layer: Logger.layer([logger]) }
}

describe("export as a GitHub App (fakehub)", () => {
  it.live("exports each organization on its installation; one lacking a permission fails alone, naming it", () =>
    Effect.gen(function* () {
      const h = yield* hubOf({ seed: "demo" })
      // octo-archive's installation was granted Copilot Spaces only, not GitHub Copilot Business (collaborators).
      h.apps.installationFor(h.app!.id, "octo-archive")!.permissions = { organization_copilot_spaces: "read" }
      const out = yield* tmpDir
      const summary = yield* exportAs([org("octo-org"), org("octo-archive")], out).pipe(Effect.provide(appLayer(h)))
      const [octo, archive] = summary.owners
      assert.strictEqual(octo!.failed, 0)
      assert.isAbove(octo!.spaces, 0)
      assert.isTrue(summary.partial)
      assert.isAbove(archive!.failed, 0)
      assert.match(
        archive!.failures[0]!,
        /the GitHub App's installation on octo-archive lacks the "GitHub Copilot Business" permission \(read\)/
      )
    }).pipe(Effect.scoped)
  )

  it.live("an organization without the App fails alone; none at all readable is no archive", () =>
    Effect.gen(function* () {
      const h = yield* hubOf({ seed: "demo" })
      const out = yield* tmpDir
      const summary = yield* exportAs([org("octo-org"), org("octo-nowhere")], out).pipe(Effect.provide(appLayer(h)))
      assert.strictEqual(summary.owners[0]!.failed, 0)
      assert.match(summary.owners[1]!.failures[0]!, /list: the GitHub App is not installed on octo-nowhere/)
      const none = yield* Effect.flip(exportAs([org("octo-nowhere")], out).pipe(Effect.provide(appLayer(h))))
      assert.strictEqual(none.reason._tag, "NoOwnerRead")
      h.apps.suspend(h.apps.installationFor(h.app!.id, "octo-archive")!.id)
      const suspended = yield* exportAs([org("octo-org"), org("octo-archive")], out).pipe(Effect.provide(appLayer(h)))
      assert.match(suspended.owners[1]!.failures[0]!, /the GitHub App's installation on octo-archive is suspended/)
    }).pipe(Effect.scoped)
  )

  it.live("a token that expires mid-run (fakehub's clock jumps an hour) is replaced once, nothing lost", () =>
    Effect.gen(function* () {
      const h = yield* hubOf({ seed: "demo" })
      const out = yield* tmpDir
      const log = logged()
      const summary = yield* Effect.gen(function* () {
        const client = yield* GitHubClient
        // The first request mints octo-org's token; then fakehub's clock jumps past its expiry.
        yield* client.getSpace(org("octo-org"), 1)
        h.clock.advance(61 * 60_000)
        return yield* exportAs([org("octo-org")], out)
      }).pipe(Effect.provide(appLayer(h)), Effect.provide(log.layer))
      assert.isFalse(summary.partial)
      assert.strictEqual(summary.owners[0]!.failed, 0)
      assert.strictEqual(summary.owners[0]!.spaces, h.state.listSpaces("octo-org").length)
      for (const line of log.lines) assert.notMatch(line, /ghs_|eyJ/)
    }).pipe(Effect.scoped)
  )

  it.live("a clock two hours behind GitHub's is corrected from its date header, PKCS#8 key", () =>
    Effect.gen(function* () {
      const h = yield* hubOf({ seed: "demo" })
      h.clock.advance(2 * 3_600_000)
      const out = yield* tmpDir
      const log = logged()
      const summary = yield* exportAs([org("octo-org")], out).pipe(
        Effect.provide(appLayer(h, "", true)),
        Effect.provide(log.layer)
      )
      assert.isFalse(summary.partial)
      assert.isTrue(log.lines.some((l) => /GitHub's clock differs from this machine's by 7(199|200|201) s/.test(l)))
    }).pipe(Effect.scoped)
  )

  it.live("users' own spaces go with GH_TOKEN, and without it their owner fails in a sentence that says so", () =>
    Effect.gen(function* () {
      const h = yield* hubOf({ seed: "demo" })
      const out = yield* tmpDir
      const without = yield* exportAs([org("octo-org"), user("mona")], out).pipe(Effect.provide(appLayer(h)))
      assert.match(
        without.owners[1]!.failures.join("\n"),
        /mona's own spaces cannot be read with a GitHub App installation token: set GH_TOKEN/
      )
      const withToken = yield* exportAs([org("octo-org"), user("mona")], out).pipe(
        Effect.provide(appLayer(h, h.tokens.mona))
      )
      assert.strictEqual(withToken.owners[1]!.failed, 0)
      assert.isAbove(withToken.owners[1]!.spaces, 0)
    }).pipe(Effect.scoped)
  )

  it.live("each installation's budget is its own; --all-installations' list comes from the App", () =>
    Effect.gen(function* () {
      const h = yield* hubOf({ seed: "demo", rateLimit: { installation: { limit: 1000 } } })
      const out = yield* tmpDir
      yield* Effect.gen(function* () {
        const client = yield* GitHubClient
        const installations = yield* client.installations
        assert.deepStrictEqual(installations.map((i) => i.account).sort(), [
          "octo-archive",
          "octo-migrated",
          "octo-org"
        ])
        yield* exportAs([org("octo-org"), org("octo-archive")], out)
        const octo = (yield* client.budgetOf(org("octo-org")))!
        const archive = (yield* client.budgetOf(org("octo-archive")))!
        assert.strictEqual(octo.limit, 1000)
        assert.strictEqual(archive.limit, 1000)
        // Each spent what its own owner's export cost, not the other's: octo-org has more spaces than octo-archive.
        assert.isBelow(octo.remaining, archive.remaining)
        assert.isAbove(archive.remaining, 1000 - 2 * (h.state.listSpaces("octo-archive").length + 2) - 5)
      }).pipe(Effect.provide(appLayer(h)))
    }).pipe(Effect.scoped)
  )

  it.live("owners go side by side: one waiting for its installation's reset does not hold the others", () =>
    Effect.gen(function* () {
      const h = yield* hubOf({ seed: "demo" })
      // octo-org's budget runs out before its export is done, for a 3-second window; octo-archive's does not.
      const spaces = h.state.listSpaces("octo-org").length
      h.apps.installationFor(h.app!.id, "octo-org")!.budget = { limit: spaces, windowSeconds: 3 }
      const out = yield* tmpDir
      const done: Array<string> = []
      const summary = yield* exportSpaces({
        owners: [org("octo-org"), org("octo-archive")],
        outDir: out,
        concurrency: 8,
        onProgress: (e) => Effect.sync(() => (e._tag === "OwnerDone" ? void done.push(e.owner.login) : undefined))
      }).pipe(Effect.provide(appLayer(h)))
      assert.deepStrictEqual(done, ["octo-archive", "octo-org"])
      // The summary and the manifest keep the order the owners were given in.
      assert.deepStrictEqual(
        summary.owners.map((o) => [o.owner, o.failed]),
        [
          ["octo-org", 0],
          ["octo-archive", 0]
        ]
      )
      assert.isFalse(summary.partial)
    }).pipe(Effect.scoped)
  )
})
