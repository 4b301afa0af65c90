// One owner's bookkeeping during an export: what was listed, archived, failed and vanished, and what it comes to
// at the end — the manifest's record, the summary's line, and whether the owner could be read at all.
import { describeFailure, FailureScope, type ManifestOwner, type OwnerFailure } from "../archive/ArchiveFormat.ts"
import type { Owner, OwnerKind } from "../domain/Owner.ts"
import type { TokenKind } from "../github/GitHubClient.ts"
import type { GitHubError } from "../github/GitHubError.ts"
import { kindWord, type OwnerNotRead } from "./ExportError.ts"
import type { OwnerSummary } from "./ExportTypes.ts"

/** Filled in as the owner's list pages and spaces come in; only the delivering fiber writes to it. */
export interface OwnerRun {
  readonly owner: Owner
  /** Why this token may not read this owner's spaces, said before asking (GitHub has the last word). */
  readonly tokenProblem: string | undefined
  readonly failures: Array<OwnerFailure>
  readonly vanished: Array<number>
  /** Set when the listing answered 404 and GitHub knows the login as the other kind of owner. */
  actualKind: OwnerKind | undefined
  archived: number
  listed: number
  /** Spaces delivered, whatever their outcome (progress). */
  done: number
}

const userTokenProblem = (kind: TokenKind): string | undefined =>
  kind === "fine-grained" || kind === "app-user" || kind === "app-installation"
    ? `user-owned spaces can only be read with a classic personal access token or an OAuth token; this token is ${kind}`
    : undefined

// GitHub documents that user-owned spaces need a classic PAT or an OAuth token: say so up front, and ask anyway.
export const startOwnerRun = (owner: Owner, tokenKind: TokenKind): OwnerRun => ({
  owner,
  tokenProblem: owner.kind === "user" ? userTokenProblem(tokenKind) : undefined,
  failures: [],
  vanished: [],
  actualKind: undefined,
  archived: 0,
  listed: 0,
  done: 0
})

export const failureOf = (scope: string, e: GitHubError): OwnerFailure =>
  e.status === undefined ? { scope, message: e.message } : { scope, status: e.status, message: e.message }

/** A 404 on the listing, for an owner that may be the other kind: worth one lookup of the login. */
export const mayBeOtherKind = (e: GitHubError): boolean => e.reason._tag === "NotFound"

/** The owner's listing failed; `actualKind` is what GitHub says the login is, when it is not what was asked for. */
export const recordListFailure = (run: OwnerRun, e: GitHubError, actualKind: OwnerKind | undefined): void => {
  const failure = failureOf(FailureScope.list, e)
  const refused = e.reason._tag === "Forbidden" || e.reason._tag === "NotFound"
  const notes: Array<string> = []
  if (actualKind !== undefined && actualKind !== run.owner.kind) {
    run.actualKind = actualKind
    notes.push(`${run.owner.login} is ${kindWord(actualKind)}, not ${kindWord(run.owner.kind)}`)
  }
  if (run.tokenProblem !== undefined && refused) notes.push(run.tokenProblem)
  run.failures.push(notes.length === 0 ? failure : { ...failure, message: `${failure.message} (${notes.join("; ")})` })
}

/**
 * The owner's record once its last space is delivered. Never complete with nothing listed when the token is
 * documented as unable to read it: an empty "complete" owner would make every one of its spaces look deleted.
 */
export const finishOwner = (run: OwnerRun): { readonly manifest: ManifestOwner; readonly summary: OwnerSummary } => {
  const { owner, failures, archived } = run
  if (run.tokenProblem !== undefined && failures.length === 0 && run.listed === 0) {
    failures.push({ scope: FailureScope.list, message: `GitHub listed no spaces, and ${run.tokenProblem}` })
  }
  return {
    manifest: {
      login: owner.login,
      kind: owner.kind,
      status: failures.length > 0 ? "partial" : "complete",
      spaces: archived,
      failures,
      vanished: run.vanished
    },
    summary: {
      owner: owner.login,
      kind: owner.kind,
      spaces: archived,
      failed: failures.length,
      failures: failures.map(describeFailure),
      ...(run.actualKind === undefined ? {} : { actualKind: run.actualKind })
    }
  }
}

/** Whether anything of the owner was read: its listing answered, or listed spaces before it failed. */
export const wasRead = (run: OwnerRun): boolean =>
  run.listed > 0 || !run.failures.some((f) => f.scope === FailureScope.list)

export const notRead = (run: OwnerRun): OwnerNotRead => {
  const list = run.failures.find((f) => f.scope === FailureScope.list)
  return {
    login: run.owner.login,
    kind: run.owner.kind,
    failure: list === undefined ? "nothing could be read" : describeFailure(list),
    ...(run.actualKind === undefined ? {} : { actualKind: run.actualKind })
  }
}
