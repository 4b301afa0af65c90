// Where the tool keeps what it must remember between runs and must not write into a backup: replay journals,
// the worker's lock and status file. Chosen as --state-dir, else SPACES_VAULT_STATE_DIR, else
// $XDG_STATE_HOME/spaces-vault, else ~/.local/state/spaces-vault (the XDG base directory default).
import { homedir } from "node:os"
import { isAbsolute, join, resolve } from "node:path"

export interface StateDirSources {
  /** --state-dir (or the worker's stateDir), already resolved against the user's directory. */
  readonly flag?: string | undefined
  readonly env: Readonly<Record<string, string | undefined>>
  /** Injectable for tests. */
  readonly home?: string
}

/** The state directory, as an absolute path. Pure: it creates nothing. */
export const resolveStateDir = (sources: StateDirSources): string => {
  const nonEmpty = (v: string | undefined) => (v === undefined || v.trim() === "" ? undefined : v)
  const flag = nonEmpty(sources.flag)
  if (flag !== undefined) return resolve(flag)
  const env = nonEmpty(sources.env.SPACES_VAULT_STATE_DIR)
  if (env !== undefined) return resolve(env)
  // The XDG spec says a relative XDG_STATE_HOME is invalid and must be ignored.
  const xdg = nonEmpty(sources.env.XDG_STATE_HOME)
  if (xdg !== undefined && isAbsolute(xdg)) return join(xdg, "spaces-vault")
  return join(sources.home ?? homedir(), ".local", "state", "spaces-vault")
}

/** The worker's state directory for a local output directory when its config names none: inside it. */
export const WORKER_STATE_DIR_NAME = ".spaces-vault"
