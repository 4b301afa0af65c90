// Shared by the worker's tests: temporary directories, a log capture, configs, export-step doubles and a history.
import { mkdtemp } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { NodeServices } from "@effect/platform-node"
import { startFakeHub } from "@spaces-vault/fixtures"
import { ConfigProvider, Effect, Layer, Logger } from "effect"
import { TestConsole } from "effect/testing"
import type { ExportSummary } from "@spaces-vault/core/export/ExportTypes"
import { run, type RunMode } from "../src/main.ts"
import type { ExportStep } from "../src/RunOnce.ts"
import { DEFAULT_STATE_DIR, type WorkerConfig } from "../src/WorkerConfig.ts"

export const tmp = Effect.promise(() => mkdtemp(join(tmpdir(), "sv-worker-")))

/** A logger that keeps each line's message parts as text, and the raw parts, for assertions on what was said. */
export const captureLogs = () => {
  const lines: Array<string> = []
  const parts: Array<unknown> = []
  const layer = Logger.layer([
    Logger.make((o) => {
      const message = Array.isArray(o.message) ? o.message : [o.message]
      parts.push(...message)
      lines.push(message.map((m) => (typeof m === "string" ? m : JSON.stringify(m))).join(" "))
    })
  ])
  return { lines, parts, layer }
}

/** A config for `dir`, state directory at its default place; `extra` overrides. */
export const configFor = (dir: string, extra: Partial<WorkerConfig> = {}): WorkerConfig => ({
  owners: { orgs: ["octo-archive"] },
  schedule: { cron: "30 2 * * *" },
  outputDir: dir,
  stateDir: join(dir, DEFAULT_STATE_DIR),
  retention: { keepLast: 1 },
  ...extra
})

/** An export step that needs no GitHub client and returns `summary` (merged over a complete one-request export). */
export const exportReturning =
  (archive: string, summary: Partial<ExportSummary> = {}): ExportStep<never> =>
  () =>
    Effect.succeed({ archive, partial: false, owners: [], requests: 1, notModified: 0, durationMs: 1, ...summary })

/** `spaces-vault-worker ARGS` in-process, with `env` as its environment: its exit code, log lines and stderr lines. */
export const runWorker = (args: ReadonlyArray<string>, env: Record<string, string>, mode: RunMode = { once: false }) =>
  Effect.gen(function* () {
    const logs = captureLogs()
    const code = yield* run(args, mode).pipe(
      Effect.provide(
        Layer.mergeAll(NodeServices.layer, logs.layer, ConfigProvider.layer(ConfigProvider.fromEnv({ env })))
      )
    )
    return { code, lines: logs.lines, stderr: yield* TestConsole.errorLines }
  }).pipe(Effect.provide(Layer.fresh(TestConsole.layer)))

/** A fakehub with the demo data for one test, closed when the test's scope ends. */
export const demoHub = Effect.acquireRelease(
  Effect.promise(() => startFakeHub({ seed: "demo" })),
  (h) => Effect.promise(() => h.close())
)
