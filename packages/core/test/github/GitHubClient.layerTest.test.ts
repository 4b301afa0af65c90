// GitHubClient.layerTest: the methods a test gives, and a loud death naming any other member it reaches.
import { assert, describe, it } from "@effect/vitest"
import { Cause, Effect, Exit, Stream } from "effect"
import { org } from "../../src/domain/Owner.ts"
import { GitHubClient } from "../../src/github/GitHubClient.ts"

const defectMessage = <A, E>(exit: Exit.Exit<A, E>): string => {
  if (Exit.isSuccess(exit)) return "succeeded"
  const defect = Cause.squash(exit.cause)
  return defect instanceof Error ? defect.message : String(defect)
}

describe("GitHubClient.layerTest", () => {
  it.effect("answers with what the test set up", () =>
    Effect.gen(function* () {
      const client = yield* GitHubClient
      assert.isTrue(yield* client.isMember("o", "mona"))
      assert.strictEqual(client.tokenKind, "fine-grained")
    }).pipe(Effect.provide(GitHubClient.layerTest({ isMember: () => Effect.succeed(true), tokenKind: "fine-grained" })))
  )

  it.effect("dies naming a method, a stream or an effect the test did not set up", () =>
    Effect.gen(function* () {
      const client = yield* GitHubClient
      assert.strictEqual(
        defectMessage(yield* Effect.exit(client.getSpace(org("o"), 1))),
        "GitHubClient.layerTest: getSpace was called but the test did not set it up"
      )
      assert.include(defectMessage(yield* Effect.exit(Stream.runCollect(client.listSpaces(org("o"))))), "listSpaces")
      assert.include(defectMessage(yield* Effect.exit(client.stats)), "stats")
      assert.strictEqual(client.tokenKind, "classic")
    }).pipe(Effect.provide(GitHubClient.layerTest()))
  )
})
