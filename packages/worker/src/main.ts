// spaces-vault-worker: runs the export on a cron schedule (or once, for Kubernetes CronJobs, systemd timers and
// GitHub Actions), with a lock, retention and a status file. Exit codes: 0 done (or the scheduler stopped by
// SIGTERM/SIGINT); 1 the --once run failed or was partial; 2 bad config, missing token, health port unavailable or
// (--once) an archive location that cannot be reached at the start (no such bucket, access denied);
// 143 / 130 a --once run stopped by SIGTERM / SIGINT (bin.ts).
import { Cause, Console, Context, Effect, Layer, Option, Result } from "effect"
import { Command, Flag } from "effect/cli"
import { GitHubClient } from "@spaces-vault/core/github/GitHubClient"
import { loadClientOptions, parseWaitDuration } from "@spaces-vault/core/github/GitHubConfig"
import { classify } from "@spaces-vault/program/ExitCode"
import { layerWithS3 } from "@spaces-vault/core/archive/s3/S3Store"
import { userAgent } from "@spaces-vault/program/GitHubLayer"
import { type ExitCodeTable, makePresenter, stdioSink } from "@spaces-vault/program/Presenter"
import { runCommand } from "@spaces-vault/program/Program"
import { userPathFlag } from "@spaces-vault/program/UserPaths"
import { nextRun, runOnSchedule } from "./Scheduler.ts"
import { serveHealth } from "./Health.ts"
import { RunHistory } from "./RunHistory.ts"
import { liveExport, RunIncomplete, runOnce, runOnceOutcome, type ExportStep } from "./RunOnce.ts"
import { readLastStatus, statusFileName } from "./StatusFile.ts"
import { loadConfig, outputInS3, s3SettingsOf, shardSuffix, type WorkerConfig } from "./WorkerConfig.ts"
import { loggerLayer } from "./WorkerLogger.ts"

export { loggerLayer } from "./WorkerLogger.ts"

/** What the process needs to know when it is stopped by a signal: whether it was a --once run (bin.ts). */
export interface RunMode {
  once: boolean
}

/** The run's mode, filled in by the command for the process edge. */
const CurrentRunMode = Context.Reference<RunMode>("@spaces-vault/worker/RunMode", {
  defaultValue: () => ({ once: false })
})

/** The exit code of a process stopped by `signal`: a --once job that did not finish says so, a scheduler stops. */
export const stoppedExitCode = (mode: RunMode, signal: "SIGINT" | "SIGTERM" | undefined): number =>
  !mode.once ? 0 : signal === "SIGINT" ? 130 : 143

/** The history health and metrics start from: the last status a previous run left; none when it cannot be read. */
const seededHistory = (config: WorkerConfig) =>
  // A status.json among the archives predates the state directory, which S3 never had.
  readLastStatus(
    config.stateDir,
    outputInS3(config) ? config.stateDir : config.outputDir,
    statusFileName(shardSuffix(config))
  ).pipe(
    Effect.map(({ status }) => status),
    Effect.catch((e) =>
      Effect.logWarning(`${e.message}; health and metrics start without it`).pipe(Effect.as(undefined))
    ),
    Effect.flatMap(RunHistory.make)
  )

const command = Command.make(
  "spaces-vault-worker",
  {
    config: userPathFlag(
      Flag.String("config").pipe(
        Flag.withDescription(
          "worker config file (JSON or YAML); the token comes from GH_TOKEN or GITHUB_TOKEN, or the config's app (docs/github-app.md)"
        )
      )
    ),
    once: Flag.Boolean("once").pipe(
      Flag.withDescription("run one export now and exit (for CronJobs and timers)"),
      Flag.withDefault(false)
    ),
    notifyWebhookFile: userPathFlag(Flag.String("notify-webhook-file")).pipe(
      Flag.withDescription(
        "file holding the webhook URL told of deleted spaces (overrides the config's notify.webhookUrlFile; else SPACES_VAULT_WEBHOOK_URL)"
      ),
      Flag.optional
    )
  },
  (f) =>
    Effect.scoped(
      Effect.gen(function* () {
        const mode = yield* CurrentRunMode
        mode.once = f.once
        const loaded = yield* loadConfig(f.config)
        const { cron } = loaded
        const config: WorkerConfig = Option.isSome(f.notifyWebhookFile)
          ? { ...loaded.config, notify: { webhookUrlFile: f.notifyWebhookFile.value } }
          : loaded.config
        // The token and API URL are checked now, in both modes: found only when a scheduled run fires, a missing
        // token would fail every night. The options read here serve every run.
        const options = yield* loadClientOptions({
          apiUrl: Option.fromUndefinedOr(config.apiUrl),
          concurrency: Option.fromUndefinedOr(config.concurrency),
          // Checked when the config was read.
          maxWait: Option.fromUndefinedOr(config.maxWait).pipe(
            Option.flatMap((text) => Result.getSuccess(parseWaitDuration(text)))
          ),
          userAgent: userAgent("spaces-vault-worker"),
          appId: Option.fromUndefinedOr(config.app === undefined ? undefined : String(config.app.id)),
          appKeyFile: Option.fromUndefinedOr(config.app?.privateKeyFile),
          installationId: Option.fromUndefinedOr(config.app?.installationId)
        })
        // The client is built inside the run, so a failure to build it is a failed run (metrics, health, status.json).
        const step: ExportStep<never> = (c, runId) =>
          liveExport(c, runId).pipe(Effect.provide(GitHubClient.layer(options)))
        const history = Effect.provideService(RunHistory, yield* seededHistory(config))
        // Every run reads and writes archives through the store with the S3 layer, set up from the config.
        const withHistory = <A, E, R>(self: Effect.Effect<A, E, R>) =>
          history(self).pipe(Effect.provide(layerWithS3(s3SettingsOf(config))))
        if (config.health !== undefined) {
          const port = yield* withHistory(serveHealth(config.health.port))
          yield* Effect.logInfo(`health and metrics on http://127.0.0.1:${port}/healthz and /metrics`)
        }
        if (f.once) {
          const { status, setupFailure } = yield* withHistory(runOnceOutcome(config, undefined, step))
          // Logged and in status.json, and said once more on stderr: the settings are wrong, not the night (2).
          if (setupFailure !== undefined) return yield* Effect.fail(setupFailure)
          if (status.result !== "success") return yield* new RunIncomplete({ result: status.result })
          return
        }
        yield* runOnSchedule(cron, (at) =>
          withHistory(runOnce(config, nextRun(cron, at), step, at)).pipe(Effect.asVoid)
        )
      })
    )
).pipe(
  Command.withDescription("Nightly spaces-vault exports on a cron schedule, with a lock, retention and a status file."),
  Command.withExamples([
    {
      command: "spaces-vault-worker --config /etc/spaces-vault/worker.yaml",
      description: "run on the config's schedule"
    },
    {
      command: "spaces-vault-worker --config worker.yaml --once",
      description: "one export now, for a CronJob, a systemd timer or GitHub Actions"
    }
  ])
)

export const exitCodes: ExitCodeTable = [
  ["0", "done, or the scheduler stopped by SIGTERM/SIGINT"],
  ["1", "the --once run failed or was partial"],
  ["2", "bad config, flag or settings (missing token, busy health port; with --once, a bucket that cannot be reached)"],
  ["130, 143", "a --once run stopped by SIGINT or SIGTERM"]
]

/** The worker's own errors that mean "change the settings" (config file, health port): exit 2. */
const USAGE_TAGS = ["ConfigFileError", "HealthPortError"]

/** Help and --version on stdout; a parse error as one line on stderr, since stdout carries the JSON log lines. */
const presenter = makePresenter(exitCodes, Effect.succeed(stdioSink))

/**
 * Runs the worker with `args`; the exit code. `mode` is filled in for the process edge, which sees a stop by a
 * signal as an interruption and nothing else (bin.ts).
 */
export const run = (args: ReadonlyArray<string>, mode: RunMode = { once: false }) =>
  runCommand(
    command,
    presenter
  )(args).pipe(
    Effect.as(0),
    Effect.provideService(CurrentRunMode, mode),
    Effect.catchCause((cause) => {
      // A stop by SIGTERM/SIGINT: scopes are closed; bin.ts turns it into the exit code.
      if (Cause.hasInterruptsOnly(cause)) return Effect.failCause(cause)
      // Already said: the run's outcome by its log lines and status.json (a parse error by the presenter).
      if (Cause.squash(cause) instanceof RunIncomplete) return Effect.succeed(1)
      const { code, message } = classify(cause, USAGE_TAGS)
      // Not a log line: the logs may go to a collector nobody reads when the worker does not even start.
      return message === undefined ? Effect.succeed(code) : Console.error(`error: ${message}`).pipe(Effect.as(code))
    })
  )

export const layerFor = (tty: boolean) => Layer.mergeAll(loggerLayer(tty))
