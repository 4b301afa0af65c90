// The worker's maxWait: checked when the config is read, naming the field; a valid one reaches the client.
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { decodeConfig } from "../src/WorkerConfig.ts"

const ok = { owners: { orgs: ["octo-org"] }, schedule: { cron: "30 2 * * *" }, outputDir: "/tmp/x" }

describe("maxWait in the worker config", () => {
  it.effect("accepts a duration and refuses anything else, naming the field", () =>
    Effect.gen(function* () {
      assert.strictEqual((yield* decodeConfig("w.yaml", { ...ok, maxWait: "10m" })).config.maxWait, "10m")
      const error = yield* Effect.flip(decodeConfig("w.yaml", { ...ok, maxWait: "soon" }))
      assert.strictEqual(
        error.message,
        'config w.yaml: maxWait: "soon" is not a duration: write it as a number and a unit, e.g. 90s, 10m or 1h'
      )
    })
  )
})
