// Flags several commands share, and parsing helpers that turn bad values into UsageError (exit 2).
import { Effect, Option } from "effect"
import { Flag } from "effect/cli"
import { ArchiveIdentities } from "@spaces-vault/core/crypto/ArchiveIdentities"
import { identityFilePaths, readIdentityFiles } from "@spaces-vault/core/crypto/Identities"
import { UsageError } from "@spaces-vault/program/ExitCode"
import type { AppSettings } from "@spaces-vault/program/GitHubLayer"
import { userPathFlag } from "@spaces-vault/program/UserPaths"

export const jsonFlag = Flag.Boolean("json").pipe(
  Flag.withDescription("print one JSON object on stdout and nothing else"),
  Flag.withDefault(false)
)

export const apiUrlFlag = Flag.String("api-url").pipe(
  Flag.withDescription("GitHub API base URL (default: GITHUB_API_URL, else https://api.github.com)"),
  Flag.optional
)

/** A GitHub App instead of a personal token (each falls back to its GH_APP_* variable). */
export const appFlags = {
  appId: Flag.String("app-id").pipe(
    Flag.withDescription(
      "authenticate as this GitHub App (its id; default GH_APP_ID): a token per organization's installation"
    ),
    Flag.optional
  ),
  appKey: userPathFlag(Flag.String("app-key")).pipe(
    Flag.withDescription(
      "the App's private key, a PEM file (PKCS#1 or PKCS#8; default GH_APP_PRIVATE_KEY_FILE, or the PEM text in GH_APP_PRIVATE_KEY)"
    ),
    Flag.optional
  ),
  installationId: Flag.Int("installation-id").pipe(
    Flag.withDescription("the App's installation to use (default: each organization's own, looked up)"),
    Flag.optional
  )
}

/** The App settings of `appFlags`, for the GitHub layer. */
export const appSettings = (f: {
  readonly appId: Option.Option<string>
  readonly appKey: Option.Option<string>
  readonly installationId: Option.Option<number>
}): AppSettings => ({ appId: f.appId, appKeyFile: f.appKey, installationId: f.installationId })

/** `--org a --org b` and `--org a,b` both work. */
export const splitList = (values: ReadonlyArray<string>): ReadonlyArray<string> =>
  values
    .flatMap((v) => v.split(","))
    .map((v) => v.trim())
    .filter((v) => v.length > 0)

export const checkRange = (name: string, value: Option.Option<number>, min: number, max: number) =>
  Option.match(value, {
    onNone: () => Effect.succeed(undefined),
    onSome: (n) =>
      Number.isInteger(n) && n >= min && n <= max
        ? Effect.succeed(n)
        : Effect.fail(new UsageError({ message: `--${name} must be an integer from ${min} to ${max}, got ${n}` }))
  })

export const formatCount = (n: number): string => n.toLocaleString("en-US")

/** A count and its noun, singular for one: "1 space", "2,000 spaces", "1 entry". */
export const plural = (n: number, one: string, many = `${one}s`): string => `${formatCount(n)} ${n === 1 ? one : many}`

/** A flag given any number of times (none included): its values, never marked required in the help. */
export const repeatable = (flag: Flag.Flag<string>) =>
  flag.pipe(Flag.atLeast(0), Flag.withDefault([] as ReadonlyArray<string>))

/** `--identity FILE`, repeatable, as `age -i`: the keys that open encrypted archives (a file, never a key). */
export const identityFlag = repeatable(
  userPathFlag(Flag.String("identity")).pipe(
    Flag.withDescription(
      "an age identity file (age-keygen's, or spaces-vault keygen's) to decrypt encrypted archives with; repeatable (default: SPACES_VAULT_IDENTITY_FILE)"
    )
  )
)

/**
 * Runs a command's work with the identities of `--identity` (else SPACES_VAULT_IDENTITY_FILE) provided to every
 * archive it reads. A file that cannot be read or holds no identity is a usage error (exit 2), before any work.
 */
export const withIdentities =
  (files: ReadonlyArray<string>) =>
  <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E | UsageError, R> =>
    Effect.gen(function* () {
      const paths = yield* identityFilePaths(files)
      const identities = yield* readIdentityFiles(paths).pipe(
        Effect.mapError((e) => new UsageError({ message: e.message }))
      )
      return yield* self.pipe(Effect.provideService(ArchiveIdentities, identities))
    })
