// spaces-vault-worker: runs the export on a cron schedule (or once, for Kubernetes CronJobs, systemd timers and
// GitHub Actions), with a lock, retention and a status file. Exit codes: 0 done (or the scheduler stopped by
// SIGTERM/SIGINT); 1 the --once run failed or was partial; 2 bad config, missing token or health port unavailable;
// 143 / 130 a --once run stopped by SIGTERM / SIGINT (bin.ts).
import { Cause, Console, Context, Effect, Layer, Option, Result } from "effect"
import { CliConfig, CliError, CliOutput, Command, Flag, GlobalFlag } from "effect/cli"
import { GitHubClient } from "@spaces-vault/core/github/GitHubClient"
import { GitHubConfigError, loadClientOptions, parseWaitDuration } from "@spaces-vault/core/github/GitHubConfig"
import { nextRun, runOnSchedule } from "./Scheduler.ts"
import { HealthPortError, serveHealth } from "./Health.ts"
import { RunHistory } from "./RunHistory.ts"
import { liveExport, RunIncomplete, runOnce, type ExportStep } from "./RunOnce.ts"
import { readLastStatus } from "./StatusFile.ts"
import { ConfigFileError, loadConfig, type WorkerConfig } from "./WorkerConfig.ts"
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
  readLastStatus(config.stateDir, config.outputDir).pipe(
    Effect.map(({ status }) => status),
    Effect.catch((e) =>
      Effect.logWarning(`${e.message}; health and metrics start without it`).pipe(Effect.as(undefined))
    ),
    Effect.flatMap(RunHistory.make)
  )

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
        const mode = yield* CurrentRunMode
        mode.once = f.once
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
        const withHistory = Effect.provideService(RunHistory, yield* seededHistory(config))
        if (config.health !== undefined) {
          const port = yield* withHistory(serveHealth(config.health.port))
          yield* Effect.logInfo(`health and metrics on http://127.0.0.1:${port}/healthz and /metrics`)
        }
        if (f.once) {
          const status = yield* withHistory(runOnce(config, undefined, step))
          if (status.result !== "success") return yield* new RunIncomplete({ result: status.result })
          return
        }
        yield* runOnSchedule(cron, (at) => withHistory(runOnce(config, nextRun(cron, at), step)).pipe(Effect.asVoid))
      })
    )
).pipe(
  Command.withDescription("Nightly spaces-vault exports on a cron schedule, with a lock, retention and a status file.")
)

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

/** Settings the user must change (config file, token, API URL, health port): exit 2. */
const isUsageError = (e: unknown) =>
  e instanceof ConfigFileError || e instanceof GitHubConfigError || e instanceof HealthPortError

/**
 * Runs the worker with `args`; the exit code. `mode` is filled in for the process edge, which sees a stop by a
 * signal as an interruption and nothing else (bin.ts).
 */
export const run = (args: ReadonlyArray<string>, mode: RunMode = { once: false }) =>
  Command.runWith(command, { version: "0.1.0" })(args).pipe(
    Effect.as(0),
    Effect.provideService(CliConfig.CliConfig, cliConfig),
    Effect.provideService(CliOutput.Presenter, presenter),
    Effect.provideService(CurrentRunMode, mode),
    Effect.catchCause((cause) => {
      // A stop by SIGTERM/SIGINT: scopes are closed; bin.ts turns it into the exit code.
      if (Cause.hasInterruptsOnly(cause)) return Effect.failCause(cause)
      const error = Cause.squash(cause)
      // Already said: the parse error by the presenter, the run's outcome by its log lines and status.json.
      if (CliError.isCliError(error)) return Effect.succeed(2)
      if (error instanceof RunIncomplete) return Effect.succeed(1)
      // Not a log line: the logs may go to a collector nobody reads when the worker does not even start.
      const message = error instanceof Error ? error.message : String(error)
      return Console.error(`error: ${message.split("\n")[0]}`).pipe(Effect.as(isUsageError(error) ? 2 : 1))
    })
  )

export const layerFor = (tty: boolean) => Layer.mergeAll(loggerLayer(tty))
