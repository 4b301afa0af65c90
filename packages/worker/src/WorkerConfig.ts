// The worker's config file (JSON or YAML), validated with Effect Schema. The token never lives here: it comes
// from GH_TOKEN / GITHUB_TOKEN in the environment; a GitHub App is named by its id and key file, never the key. A bad file is a ConfigFileError naming the exact field; relative
// paths in it are relative to the file's own directory.
import { WORKER_STATE_DIR_NAME } from "@spaces-vault/core/runtime/StateDir"
import { readFile } from "node:fs/promises"
import { dirname, join, resolve } from "node:path"
import { Clock, Cron, DateTime, Effect, Option, Result, Schema } from "effect"
import { parse as parseYaml } from "yaml"
import { ownerList } from "@spaces-vault/core/domain/Owner"
import { normalizeApiUrl, parseWaitDuration } from "@spaces-vault/core/github/GitHubConfig"
import { type LocationSource, parseArchiveInput, parseLocation } from "@spaces-vault/core/archive/ArchiveLocation"
import { endpointProblem, type S3Settings } from "@spaces-vault/core/archive/s3/S3Settings"
import { lockLongerThanRetention } from "@spaces-vault/core/retention/LockPeriod"
import { shardLabel, shardProblem } from "@spaces-vault/core/export/Shard"
import { errorText } from "@spaces-vault/core/runtime/ErrorText"
import { type RecipientSet, recipientSet } from "@spaces-vault/core/crypto/Recipients"
import { configProblems } from "./ConfigIssue.ts"

const Count = Schema.Int.pipe(Schema.check(Schema.isGreaterThanOrEqualTo(0)))

export const WorkerConfigSchema = Schema.Struct({
  /** Optional only with allInstallations, which finds the organizations itself. */
  owners: Schema.optionalKey(
    Schema.Struct({
      orgs: Schema.optionalKey(Schema.Array(Schema.String)),
      users: Schema.optionalKey(Schema.Array(Schema.String))
    })
  ),
  /** Also every organization the config's GitHub App is installed on, listed at each run (needs `app`). */
  allInstallations: Schema.optionalKey(Schema.Boolean),
  schedule: Schema.Struct({
    cron: Schema.String,
    timeZone: Schema.optionalKey(Schema.String)
  }),
  /** A directory, or `s3://bucket/prefix`. */
  outputDir: Schema.String,
  /** The worker's lock and status.json; `.spaces-vault/` inside outputDir unless given (required for S3). */
  stateDir: Schema.optionalKey(Schema.String),
  /** A custom S3 endpoint (MinIO, R2, Ceph); AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL otherwise. */
  s3Endpoint: Schema.optionalKey(Schema.String),
  /** A per-object Object Lock retain-until this many days after the upload, on top of the bucket's default. */
  objectLockDays: Schema.optionalKey(Schema.Int.pipe(Schema.check(Schema.isBetween({ minimum: 1, maximum: 36500 })))),
  objectLockMode: Schema.optionalKey(Schema.Literals(["governance", "compliance"])),
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
  /** Authenticate as a GitHub App: its id and the path of its PEM private key (the key itself never lives here). */
  app: Schema.optionalKey(
    Schema.Struct({
      id: Schema.Union([Schema.String, Schema.Int]),
      privateKeyFile: Schema.String,
      installationId: Schema.optionalKey(Schema.Int)
    })
  ),
  /**
   * This worker is shard `index` (from 0) of `count`: it exports only its owners (`ownersOfShard`), into archives
   * named for the shard, with its own lock and status file in the state directory.
   */
  shard: Schema.optionalKey(Schema.Struct({ index: Schema.Int, count: Schema.Int })),
  /** Opt-in /healthz and /metrics on 127.0.0.1:port. */
  health: Schema.optionalKey(
    Schema.Struct({ port: Schema.Int.pipe(Schema.check(Schema.isBetween({ minimum: 0, maximum: 65535 }))) })
  ),
  /** A webhook told of deleted spaces: its URL is a secret, so the config names a file holding it. */
  notify: Schema.optionalKey(Schema.Struct({ webhookUrlFile: Schema.String })),
  /** Encrypt every archive (format 2) to these age recipients (`age1…`, public keys: the worker holds no secret). */
  encryptTo: Schema.optionalKey(Schema.Array(Schema.String)),
  /** Recipients files (one `age1…` per line, `#` comments, as `age -R` reads them), added to `encryptTo`. */
  encryptToFile: Schema.optionalKey(Schema.Array(Schema.String))
})
/**
 * The config as the worker uses it: outputDir and stateDir absolute, and the recipients of `encryptTo` and
 * `encryptToFile` read and checked at load (absent: plaintext archives).
 */
export type WorkerConfig = Omit<typeof WorkerConfigSchema.Type, "stateDir"> & {
  readonly stateDir: string
  readonly recipients?: RecipientSet | undefined
}

/** Whether the archives live in S3 (then outputDir is the `s3://` URL as written). */
export const outputInS3 = (config: Pick<WorkerConfig, "outputDir">): boolean => /^s3:\/\//i.test(config.outputDir)

/** Where the archives live, as core takes it: the directory's path, or the S3 location (checked at load). */
export const outputLocation = (config: Pick<WorkerConfig, "outputDir">): LocationSource => {
  const location = parseLocation(config.outputDir)
  return Result.isSuccess(location) && location.success._tag === "S3" ? location.success : config.outputDir
}

/** The S3 layer's settings from the config's keys. */
export const s3SettingsOf = (config: WorkerConfig): S3Settings => ({
  endpoint: config.s3Endpoint,
  objectLock:
    config.objectLockDays === undefined
      ? undefined
      : { days: config.objectLockDays, mode: config.objectLockMode === "compliance" ? "COMPLIANCE" : "GOVERNANCE" }
})

/** What the state directory's files of this worker are called after: `shard-1-of-4`, or nothing unsharded. */
export const shardSuffix = (config: Pick<WorkerConfig, "shard">): string =>
  config.shard === undefined ? "" : `-${shardLabel(config.shard)}`

/** The state directory's name inside the output directory, when the config gives none. */
export const DEFAULT_STATE_DIR = WORKER_STATE_DIR_NAME

/** A config file that cannot be read or is wrong: `problem` names the field ("schedule.cron: …"). */
export class ConfigFileError extends Schema.TaggedError<ConfigFileError>()("ConfigFileError", {
  path: Schema.String,
  problem: Schema.String
}) {
  override get message(): string {
    return `config ${this.path}: ${this.problem}`
  }
}

export const decodeConfig = (path: string, raw: unknown) =>
  Effect.gen(function* () {
    const fail = (problem: string) => new ConfigFileError({ path, problem })
    const decoded = yield* Schema.decodeUnknownEffect(WorkerConfigSchema)(raw, {
      onExcessProperty: "error",
      errors: "all",
      reportInput: true
    }).pipe(Effect.mapError((e) => fail(configProblems(e.issue).join("; "))))
    const owners = ownerList(decoded.owners?.orgs ?? [], decoded.owners?.users ?? [])
    if (Result.isFailure(owners)) return yield* fail(`owners: ${owners.failure}`)
    // Refused here, not at the first run: without an App there are no installations, and the run would fail nightly.
    if (decoded.allInstallations === true && decoded.app === undefined)
      return yield* fail("allInstallations: needs a GitHub App: add app: { id, privateKeyFile }")
    if (owners.success.length === 0 && decoded.allInstallations !== true)
      return yield* fail("owners: list at least one org or user (or set allInstallations: true with an app)")
    // "" would make every run fail on mkdir(''), and "  " is a directory nobody means.
    if (decoded.outputDir.trim() === "")
      return yield* fail(`outputDir: give the directory for the archives, not ${JSON.stringify(decoded.outputDir)}`)
    if (decoded.stateDir !== undefined && decoded.stateDir.trim() === "")
      return yield* fail(`stateDir: give a directory for the lock and status.json, or leave the key out`)
    // A scheme is never a directory: `s3://vault/nightly` resolved as a path would put archives in `./s3:/vault`.
    const location = parseArchiveInput(decoded.outputDir)
    if (Result.isFailure(location)) return yield* fail(`outputDir: ${location.failure.message}`)
    const base = dirname(resolve(path))
    const inS3 = location.success._tag !== "LocalPath"
    yield* checkS3Keys(decoded, inS3).pipe(Effect.mapError(fail))
    const outputDir = inS3 ? decoded.outputDir : resolve(base, decoded.outputDir)
    const shardIssue = decoded.shard === undefined ? undefined : shardProblem(decoded.shard)
    if (shardIssue !== undefined) return yield* fail(`shard: ${shardIssue}`)
    if (decoded.app !== undefined && decoded.app.privateKeyFile.trim() === "")
      return yield* fail("app.privateKeyFile: give the path of the App's PEM private key")
    const config: WorkerConfig = {
      ...decoded,
      ...(decoded.app === undefined
        ? {}
        : { app: { ...decoded.app, privateKeyFile: resolve(base, decoded.app.privateKeyFile) } }),
      outputDir,
      stateDir: decoded.stateDir === undefined ? join(outputDir, DEFAULT_STATE_DIR) : resolve(base, decoded.stateDir),
      ...(decoded.notify === undefined
        ? {}
        : { notify: { webhookUrlFile: resolve(base, decoded.notify.webhookUrlFile) } }),
      ...(yield* recipientsOf(decoded, base).pipe(Effect.mapError(fail)))
    }
    // Checked here so the message names the field; the client normalizes the same URL again when it starts.
    if (config.apiUrl !== undefined)
      yield* normalizeApiUrl(config.apiUrl).pipe(Effect.mapError((e) => fail(`apiUrl: ${e.message}`)))
    if (config.maxWait !== undefined) {
      const maxWait = parseWaitDuration(config.maxWait)
      if (Result.isFailure(maxWait)) return yield* fail(`maxWait: ${maxWait.failure}`)
    }
    const cron = yield* parseSchedule(config.schedule).pipe(Effect.mapError(fail))
    if (config.objectLockDays !== undefined) {
      const now = yield* Clock.currentTimeMillis
      const first = Cron.next(cron, new Date(now))
      const interval = Cron.next(cron, first).getTime() - first.getTime()
      const problem = lockLongerThanRetention(config.objectLockDays, config.retention ?? {}, interval)
      if (problem !== undefined) return yield* fail(`objectLockDays: ${problem}`)
    }
    return { config, cron }
  })

/**
 * The recipients to encrypt to, read once at load: fail closed, so a recipient that does not parse, or a recipients
 * file that cannot be read, stops the worker before its first run, in a phrase naming the key. A file's path is
 * relative to the config file's directory.
 */
const recipientsOf = (decoded: typeof WorkerConfigSchema.Type, base: string) => {
  const given = decoded.encryptTo
  const files = decoded.encryptToFile?.map((f) => resolve(base, f))
  if (given === undefined && files === undefined) return Effect.succeed({})
  return recipientSet(given ?? [], files ?? []).pipe(
    Effect.map((recipients) => ({ recipients })),
    Effect.mapError((e) => {
      // Core numbers a recipient given on its own from 1; the config's list is read from 0, as the file's issues are.
      if (e.file !== undefined) return `encryptToFile: ${e.message}`
      if (e.line !== undefined && e.reason._tag === "BadRecipient")
        return `encryptTo[${e.line - 1}]: ${e.reason.problem}`
      return `encryptTo: ${e.message}`
    })
  )
}

/** The S3 keys fit the output: a state directory on a local disk for S3, S3's own settings only with S3. */
const checkS3Keys = (decoded: typeof WorkerConfigSchema.Type, inS3: boolean) =>
  Effect.gen(function* () {
    if (inS3) {
      const location = parseLocation(decoded.outputDir)
      if (Result.isFailure(location)) return yield* Effect.fail(`outputDir: ${location.failure.message}`)
      if (decoded.stateDir === undefined)
        return yield* Effect.fail(
          "stateDir: required when outputDir is in S3: the lock and status.json live in a local directory"
        )
      if (decoded.s3Endpoint !== undefined) {
        const problem = endpointProblem(decoded.s3Endpoint)
        if (problem !== undefined) return yield* Effect.fail(`s3Endpoint: "${decoded.s3Endpoint}" ${problem}`)
      }
      if (decoded.objectLockMode !== undefined && decoded.objectLockDays === undefined)
        return yield* Effect.fail("objectLockMode: set objectLockDays too, or leave the key out")
      return
    }
    for (const key of ["s3Endpoint", "objectLockDays", "objectLockMode"] as const) {
      if (decoded[key] !== undefined)
        return yield* Effect.fail(`${key}: only for an outputDir in S3 (s3://bucket/prefix)`)
    }
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
    if (Result.isFailure(cron))
      return yield* Effect.fail(`schedule.cron: "${expr}" is not a valid cron expression (${cronProblem(expr)})`)
    // A cron has no year, so one that fires at all fires again within a few years (29 February): finding the next
    // firing from now is enough. Cron.next throws when there is none, which would kill the scheduler at its first run.
    const now = yield* Clock.currentTimeMillis
    yield* Effect.try({
      try: () => Cron.next(cron.success, new Date(now)),
      catch: () => `schedule.cron: "${expr}" never fires${timeZone ? ` in time zone ${timeZone}` : ""}`
    })
    return cron.success
  })

const CRON_FIELDS = ["minute", "hour", "day of month", "month", "day of week"] as const

/** Which of a bad cron's fields is wrong, in words: "5 fields expected, got 2" or "the hour field 25 is wrong". */
const cronProblem = (expr: string): string => {
  const fields = expr.trim().split(/\s+/)
  // Cron.parse takes an optional leading seconds field.
  if (fields.length !== 5 && fields.length !== 6)
    return `minute hour day-of-month month day-of-week expected, got ${fields.length} field${fields.length === 1 ? "" : "s"}`
  const names = fields.length === 6 ? ["second", ...CRON_FIELDS] : CRON_FIELDS
  const bad = fields.findIndex((_, i) => {
    const probe = fields.map((f, j) => (j === i ? f : "*")).join(" ")
    return Result.isFailure(Cron.parse(probe))
  })
  return bad === -1 ? "its fields do not fit together" : `the ${names[bad]} field "${fields[bad]}" is wrong`
}

export const loadConfig = (path: string) =>
  Effect.gen(function* () {
    const text = yield* Effect.tryPromise({
      try: () => readFile(path, "utf8"),
      catch: (e) => new ConfigFileError({ path, problem: `cannot be read: ${errorText(e)}` })
    })
    const yaml = /\.ya?ml$/i.test(path)
    const raw = yield* Effect.try({
      try: () => (yaml ? parseYaml(text) : JSON.parse(text)) as unknown,
      catch: (e) =>
        new ConfigFileError({
          path,
          problem: `not valid ${yaml ? "YAML" : "JSON"}: ${e instanceof Error ? e.message.split("\n")[0] : ""}`
        })
    })
    return yield* decodeConfig(path, raw)
  })
