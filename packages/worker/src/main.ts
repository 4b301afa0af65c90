// spaces-vault-worker: runs the export on a cron schedule (or once, for Kubernetes CronJobs, systemd timers and
// GitHub Actions), with a lock, retention and a status file. Exit codes: 0 done (or stopped by SIGTERM/SIGINT);
// 1 the --once run failed or was partial; 2 bad config, missing token or health port unavailable.
import { Cause, Effect, Layer, Logger, Option, Result } from "effect"
import { CliConfig, CliOutput, Command, Flag, GlobalFlag } from "effect/cli"
import { GitHubClient } from "@spaces-vault/core/github/GitHubClient"
import { loadClientOptions, parseWaitDuration } from "@spaces-vault/core/github/GitHubConfig"
import { nextRun, runOnSchedule } from "./Scheduler.ts"
import { serveHealth, WorkerMetrics } from "./Health.ts"
import { liveExport, runOnce, type ExportStep } from "./RunOnce.ts"
import { loadConfig } from "./WorkerConfig.ts"

export class WorkerExit {
  readonly code: number
  constructor(code: number) {
    this.code = code
  }
}

const command = Command.make(
  "spaces-vault-worker",
  {
    config: Flag.String("config").pipe(
      Flag.withDescription("worker config file (JSON or YAML); the token comes from GH_TOKEN or GITHUB_TOKEN")
    ),
    once: Flag.Boolean("once").pipe(
      Flag.withDescription("run one export now and exit (for CronJobs and timers)"),
      Flag.withDefault(false)
    )
  },
  (f) =>
    Effect.scoped(
      Effect.gen(function* () {
        const { config, cron } = yield* loadConfig(f.config)
        // The token and API URL are checked now, in both modes: found only when a scheduled run fires, a missing
        // token would fail every night. The options read here serve every run.
        const options = yield* loadClientOptions({
          apiUrl: Option.fromUndefinedOr(config.apiUrl),
          concurrency: Option.fromUndefinedOr(config.concurrency),
          // Checked when the config was read.
          maxWait: Option.fromUndefinedOr(config.maxWait).pipe(
            Option.flatMap((text) => Result.getSuccess(parseWaitDuration(text)))
          ),
          userAgent: "spaces-vault-worker"
        })
        // The client is built inside the run, so a failure to build it is a failed run (metrics, health, status.json).
        const step: ExportStep<never> = (c) => liveExport(c).pipe(Effect.provide(GitHubClient.layer(options)))
        const metrics = new WorkerMetrics()
        if (config.health !== undefined) {
          const port = yield* serveHealth(metrics, config.health.port)
          yield* Effect.logInfo(`health and metrics on http://127.0.0.1:${port}/healthz and /metrics`)
        }
        if (f.once) {
          const status = yield* runOnce(config, undefined, step, metrics)
          if (status.result !== "success") return yield* Effect.fail(new WorkerExit(1))
          return
        }
        yield* runOnSchedule(cron, (at) => runOnce(config, nextRun(cron, at), step, metrics).pipe(Effect.asVoid))
      })
    )
).pipe(
  Command.withDescription("Nightly spaces-vault exports on a cron schedule, with a lock, retention and a status file.")
)

/** Structured JSON log lines when stdout is not a terminal; readable lines on a terminal. */
export const loggerLayer = (tty: boolean) => Logger.layer([tty ? Logger.consolePretty() : Logger.consoleJson])

/** effect/cli's built-in flags without --wizard: an interactive menu that would prompt under cron or systemd. */
const cliConfig = CliConfig.make({ builtIns: GlobalFlag.BuiltIns.filter((flag) => flag !== GlobalFlag.Wizard) })

const exitCodes = `EXIT CODES
  0  done, or stopped by SIGTERM/SIGINT
  1  the --once run failed or was partial
  2  bad config, flag or settings (missing token, busy health port)`

/**
 * effect/cli's words: help (with the exit codes) and --version on stdout; a parse error as one line on stderr,
 * since stdout carries the worker's JSON log lines and effect/cli would print the whole help there.
 */
const presenter: CliOutput.Presenter = {
  present: (event) =>
    Effect.sync(() => {
      const format = CliOutput.defaultFormatter({ colors: false })
      if (event._tag === "Version") process.stdout.write(`${format.formatVersion(event.name, event.version)}\n`)
      else if (event._tag === "Help") {
        const help = `${format.formatHelpDoc(event.helpDoc)}\n\n${exitCodes}\n`
        if (event.reason === "Requested") process.stdout.write(help)
        else process.stderr.write(help)
      } else {
        const first = event.errors.map((e) => e.message.split("\n")[0]).join("; ")
        process.stderr.write(`error: ${first}; see ${event.commandPath.join(" ")} --help\n`)
      }
    })
}

export const run = (args: ReadonlyArray<string>) =>
  Command.runWith(command, { version: "0.1.0" })(args).pipe(
    Effect.as(0),
    Effect.provideService(CliConfig.CliConfig, cliConfig),
    Effect.provideService(CliOutput.Presenter, presenter),
    Effect.catchCause((cause) => {
      if (Cause.hasInterruptsOnly(cause)) return Effect.succeed(0) // SIGTERM/SIGINT: scopes closed cleanly
      const error = Cause.squash(cause) as { _tag?: string; message?: string; code?: number }
      if (error instanceof WorkerExit) return Effect.succeed(error.code)
      if (error?._tag === "ShowHelp" || /CliError/.test(String(error?._tag))) return Effect.succeed(2)
      const usage =
        error?._tag === "ConfigFileError" || error?._tag === "GitHubConfigError" || error?._tag === "HealthPortError"
      return Effect.logError(error?.message ?? String(error)).pipe(Effect.as(usage ? 2 : 1))
    })
  )

export const layerFor = (tty: boolean) => Layer.mergeAll(loggerLayer(tty))
