// The owners of an export with every installation of a GitHub App: the owners given first, each organization once,
// and why there are none (no App, a failed list, no organization).
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { org, user } from "../../src/domain/Owner.ts"
import { ownersWithInstallations } from "../../src/export/Installations.ts"
import { GitHubClient } from "../../src/github/GitHubClient.ts"
import { GitHubError } from "../../src/github/GitHubError.ts"

const asApp = (installations: GitHubClient["Service"]["installations"]) =>
  GitHubClient.layerTest({ authMode: "app", installations })

describe("ownersWithInstallations", () => {
  it.effect(
    "adds each installed organization not given, in the order listed; users' installations are not owners",
    () =>
      Effect.gen(function* () {
        const owners = yield* ownersWithInstallations([user("mona"), org("Octo-Org")])
        assert.deepStrictEqual(owners, [user("mona"), org("Octo-Org"), org("octo-archive")])
      }).pipe(
        Effect.provide(
          asApp(
            Effect.succeed([
              { id: 1, account: "octo-org", kind: "org" },
              { id: 2, account: "mona", kind: "user" },
              { id: 3, account: "octo-archive", kind: "org" }
            ])
          )
        )
      )
  )

  it.effect("says why there is nothing to export: a personal token, a failed list, no organization", () =>
    Effect.gen(function* () {
      const notApp = yield* Effect.flip(ownersWithInstallations([org("o")])).pipe(
        Effect.provide(GitHubClient.layerTest())
      )
      assert.strictEqual(notApp.reason._tag, "NotApp")
      const listFailed = yield* Effect.flip(ownersWithInstallations([])).pipe(
        Effect.provide(
          asApp(
            Effect.fail(new GitHubError({ reason: { _tag: "AppRejected" }, method: "GET", path: "/app/installations" }))
          )
        )
      )
      assert.strictEqual(listFailed.reason._tag, "ListFailed")
      assert.match(listFailed.message, /^cannot list the App's installations: /)
      const none = yield* Effect.flip(ownersWithInstallations([])).pipe(Effect.provide(asApp(Effect.succeed([]))))
      assert.strictEqual(none.message, "the GitHub App is installed on no organization")
    })
  )
})
