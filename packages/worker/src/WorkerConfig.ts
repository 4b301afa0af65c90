// The worker's config file (JSON or YAML), validated with Effect Schema. The token never lives here: it comes
// from GH_TOKEN / GITHUB_TOKEN in the environment. A bad file is a ConfigFileError naming the exact field.
import { readFile } from "node:fs/promises"
import { Clock, Cron, DateTime, Effect, Option, Result, Schema } from "effect"
import { parse as parseYaml } from "yaml"
import { ownerList } from "@spaces-vault/core/domain/owner"
import { normalizeApiUrl, parseWaitDuration } from "@spaces-vault/core/github/GitHubConfig"

const Count = Schema.Int.pipe(Schema.check(Schema.isGreaterThanOrEqualTo(0)))

export const WorkerConfigSchema = Schema.Struct({
  owners: Schema.Struct({
    orgs: Schema.optionalKey(Schema.Array(Schema.String)),
    users: Schema.optionalKey(Schema.Array(Schema.String))
  }),
  schedule: Schema.Struct({
    cron: Schema.String,
    timeZone: Schema.optionalKey(Schema.String)
  }),
  outputDir: Schema.String,
  retention: Schema.optionalKey(
    Schema.Struct({
      keepLast: Schema.optionalKey(Count),
      keepDaily: Schema.optionalKey(Count),
      keepWeekly: Schema.optionalKey(Count),
      keepMonthly: Schema.optionalKey(Count)
    })
  ),
  concurrency: Schema.optionalKey(Schema.Int.pipe(Schema.check(Schema.isBetween({ minimum: 1, maximum: 100 })))),
  apiUrl: Schema.optionalKey(Schema.String),
  /** The longest rate-limit pause to wait out ("10m"); the owners still to do fail instead of waiting longer. */
  maxWait: Schema.optionalKey(Schema.String),
  /** Opt-in /healthz and /metrics on 127.0.0.1:port. */
  health: Schema.optionalKey(
    Schema.Struct({ port: Schema.Int.pipe(Schema.check(Schema.isBetween({ minimum: 0, maximum: 65535 }))) })
  )
})
export type WorkerConfig = typeof WorkerConfigSchema.Type

export class ConfigFileError extends Schema.TaggedError<ConfigFileError>()("ConfigFileError", {
  message: Schema.String
}) {}

/** The first problem, as "field.path: what is wrong". */
const describe = (issue: string) =>
  issue
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean)
    .slice(0, 3)
    .join(" ")

export const decodeConfig = (path: string, raw: unknown) =>
  Effect.gen(function* () {
    const fail = (message: string) => new ConfigFileError({ message: `config ${path}: ${message}` })
    const config = yield* Schema.decodeUnknownEffect(WorkerConfigSchema)(raw, { onExcessProperty: "error" }).pipe(
      Effect.mapError((e) => fail(describe(e.message)))
    )
    const owners = ownerList(config.owners.orgs ?? [], config.owners.users ?? [])
    if (Result.isFailure(owners)) return yield* fail(`owners: ${owners.failure}`)
    if (owners.success.length === 0) return yield* fail("owners: list at least one org or user")
    // "" would make every run fail on mkdir(''), and "  " is a directory nobody means.
    if (config.outputDir.trim() === "")
      return yield* fail(`outputDir: give the directory for the archives, not ${JSON.stringify(config.outputDir)}`)
    // Checked here so the message names the field; the client normalizes the same URL again when it starts.
    if (config.apiUrl !== undefined)
      yield* normalizeApiUrl(config.apiUrl).pipe(Effect.mapError((e) => fail(`apiUrl: ${e.message}`)))
    if (config.maxWait !== undefined) {
      const maxWait = parseWaitDuration(config.maxWait)
      if (Result.isFailure(maxWait)) return yield* fail(`maxWait: ${maxWait.failure}`)
    }
    const cron = yield* parseSchedule(config.schedule).pipe(Effect.mapError(fail))
    return { config, cron }
  })

/** The schedule as a Cron, refusing a time zone that does not exist and a cron that never fires ("0 0 31 2 *"). */
const parseSchedule = (schedule: WorkerConfig["schedule"]) =>
  Effect.gen(function* () {
    const { cron: expr, timeZone } = schedule
    // Cron.parse reports a bad zone as a bad expression: check the zone first so the message names the right field.
    if (timeZone !== undefined && Option.isNone(DateTime.zoneFromString(timeZone))) {
      return yield* Effect.fail(`schedule.timeZone: "${timeZone}" is not an IANA time zone (e.g. Europe/Berlin or UTC)`)
    }
    const cron = Cron.parse(expr, timeZone)
    if (Result.isFailure(cron)) return yield* Effect.fail(`schedule.cron: "${expr}" is not a valid cron expression`)
    // A cron has no year, so one that fires at all fires again within a few years (29 February): finding the next
    // firing from now is enough. Cron.next throws when there is none, which would kill the scheduler at its first run.
    const now = yield* Clock.currentTimeMillis
    try {
      Cron.next(cron.success, new Date(now))
    } catch {
      return yield* Effect.fail(`schedule.cron: "${expr}" never fires${timeZone ? ` in time zone ${timeZone}` : ""}`)
    }
    return cron.success
  })

export const loadConfig = (path: string) =>
  Effect.gen(function* () {
    const text = yield* Effect.tryPromise({
      try: () => readFile(path, "utf8"),
      catch: (e) =>
        new ConfigFileError({
          message: `config ${path} cannot be read: ${(e as NodeJS.ErrnoException).code ?? String(e)}`
        })
    })
    const raw = yield* Effect.try({
      try: () => (/\.ya?ml$/i.test(path) ? parseYaml(text) : JSON.parse(text)) as unknown,
      catch: (e) =>
        new ConfigFileError({
          message: `config ${path} is not valid ${/\.ya?ml$/i.test(path) ? "YAML" : "JSON"}: ${e instanceof Error ? e.message.split("\n")[0] : ""}`
        })
    })
    return yield* decodeConfig(path, raw)
  })
