// The worker's config file (JSON or YAML), validated with Effect Schema. The token never lives here: it comes
// from GH_TOKEN / GITHUB_TOKEN in the environment. A bad file is a ConfigFileError naming the exact field.
import { readFile } from "node:fs/promises"
import { Cron, Effect, Result, Schema } from "effect"
import { parse as parseYaml } from "yaml"
import { ownerList } from "@spaces-vault/core/domain/owner"

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
  /** Opt-in /healthz and /metrics on 127.0.0.1:port. */
  health: Schema.optionalKey(Schema.Struct({ port: Schema.Int.pipe(Schema.check(Schema.isBetween({ minimum: 0, maximum: 65535 }))) }))
})
export type WorkerConfig = typeof WorkerConfigSchema.Type

export class ConfigFileError extends Schema.TaggedError<ConfigFileError>()("ConfigFileError", { message: Schema.String }) {}

/** The first problem, as "field.path: what is wrong". */
const describe = (issue: string) => issue.split("\n").map((l) => l.trim()).filter(Boolean).slice(0, 3).join(" ")

export const decodeConfig = (path: string, raw: unknown) =>
  Effect.gen(function* () {
    const config = yield* Schema.decodeUnknownEffect(WorkerConfigSchema)(raw, { onExcessProperty: "error" }).pipe(
      Effect.mapError((e) => new ConfigFileError({ message: `config ${path}: ${describe(e.message)}` }))
    )
    const owners = ownerList(config.owners.orgs ?? [], config.owners.users ?? [])
    if (Result.isFailure(owners)) return yield* new ConfigFileError({ message: `config ${path}: owners: ${owners.failure}` })
    if (owners.success.length === 0) return yield* new ConfigFileError({ message: `config ${path}: owners: list at least one org or user` })
    const cron = Cron.parse(config.schedule.cron, config.schedule.timeZone)
    if (Result.isFailure(cron)) {
      return yield* new ConfigFileError({ message: `config ${path}: schedule.cron: "${config.schedule.cron}" is not a valid cron expression${config.schedule.timeZone ? ` in time zone ${config.schedule.timeZone}` : ""}` })
    }
    return { config, cron: cron.success }
  })

export const loadConfig = (path: string) =>
  Effect.gen(function* () {
    const text = yield* Effect.tryPromise({
      try: () => readFile(path, "utf8"),
      catch: (e) => new ConfigFileError({ message: `config ${path} cannot be read: ${(e as NodeJS.ErrnoException).code ?? String(e)}` })
    })
    const raw = yield* Effect.try({
      try: () => (/\.ya?ml$/i.test(path) ? parseYaml(text) : JSON.parse(text)) as unknown,
      catch: (e) => new ConfigFileError({ message: `config ${path} is not valid ${/\.ya?ml$/i.test(path) ? "YAML" : "JSON"}: ${e instanceof Error ? e.message.split("\n")[0] : ""}` })
    })
    return yield* decodeConfig(path, raw)
  })
