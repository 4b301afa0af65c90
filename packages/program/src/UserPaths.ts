// Paths are the user's: a relative path on the command line means the directory the user ran the command in.
// pnpm runs a workspace script from the workspace root and passes the user's directory as INIT_CWD; every child
// process inherits that variable, so it is trusted only while this workspace's own script for the program runs.
import { isAbsolute, resolve } from "node:path"
import { Context, Effect } from "effect"
import { Argument, Flag } from "effect/cli"
import { parseArchiveInput } from "@spaces-vault/core/archive/ArchiveLocation"

/** The root package.json's name, as pnpm exports it to the scripts it runs. */
const WORKSPACE = "spaces-vault-workspace"
/** The root scripts that start a program (package.json "scripts"). */
const PROGRAM_SCRIPTS: ReadonlyArray<string> = ["spaces-vault", "worker"]

/** The directory relative paths mean: INIT_CWD under `pnpm spaces-vault` or `pnpm worker`, else `cwd`. */
export const userDirectory = (env: Readonly<Record<string, string | undefined>>, cwd: string): string => {
  const init = env.INIT_CWD
  const ownScript = env.npm_package_name === WORKSPACE && PROGRAM_SCRIPTS.includes(env.npm_lifecycle_event ?? "")
  return ownScript && init !== undefined && isAbsolute(init) ? init : cwd
}

/** The user's directory for this run; tests supply their own. */
export const UserDirectory = Context.Reference<string>("@spaces-vault/program/UserDirectory", {
  defaultValue: () => userDirectory(process.env, process.cwd())
})

/** `path` as an absolute path, relative to the user's directory. An empty path stays empty for the command to refuse. */
export const resolveUserPath = (path: string): Effect.Effect<string> =>
  path.trim() === ""
    ? Effect.succeed(path)
    : Effect.gen(function* () {
        return resolve(yield* UserDirectory, path)
      })

/** A flag or argument naming a path: parsed as the user means it, absolute from then on (in messages too). */
export const userPathFlag = (flag: Flag.Flag<string>): Flag.Flag<string> => Flag.mapEffect(flag, resolveUserPath)
export const userPathArgument = (arg: Argument.Argument<string>): Argument.Argument<string> =>
  Argument.mapEffect(arg, resolveUserPath)

/**
 * Where archives live (`--out`, an archive, a directory of archives): a local path is resolved like any user path;
 * `s3://…`, and anything else written `SCHEME:…`, is kept verbatim for the command to accept or refuse (exit 2).
 * Resolving `s3://vault/nightly` as a path would write a private archive into `./s3:/vault/nightly`.
 */
export const resolveUserLocation = (input: string): Effect.Effect<string> => {
  const parsed = parseArchiveInput(input)
  return parsed._tag === "Success" && parsed.success._tag === "LocalPath"
    ? resolveUserPath(input)
    : Effect.succeed(input)
}

export const userLocationFlag = (flag: Flag.Flag<string>): Flag.Flag<string> =>
  Flag.mapEffect(flag, resolveUserLocation)
export const userLocationArgument = (arg: Argument.Argument<string>): Argument.Argument<string> =>
  Argument.mapEffect(arg, resolveUserLocation)
