// One error for every failed GitHub call. The `reason` says what kind of failure it was and carries what
// a user (or the retry policy) needs to act on it; the message is derived from the reason.
import { Schema } from "effect"
import { clockTime, formatWait } from "./WaitText.ts"

export const Unauthorized = Schema.TaggedStruct("Unauthorized", {})
export const NotFound = Schema.TaggedStruct("NotFound", {})
export const Forbidden = Schema.TaggedStruct("Forbidden", {})
export const Validation = Schema.TaggedStruct("Validation", {
  errors: Schema.Array(Schema.Unknown)
})
/** Primary limit exhausted: do not send before `resetAt` (epoch seconds; 0 when GitHub did not say). */
export const RateLimited = Schema.TaggedStruct("RateLimited", { resetAt: Schema.Number })
/** Secondary limit: wait `retryAfterSeconds` (GitHub's retry-after, else our 60 s floor). */
export const SecondaryRateLimited = Schema.TaggedStruct("SecondaryRateLimited", {
  retryAfterSeconds: Schema.Number
})
/** 5xx or a connection failure: worth retrying with backoff. */
export const Transient = Schema.TaggedStruct("Transient", { detail: Schema.String })
/**
 * No HTTP answer, before any request of this client got one: the API URL names a host that does not exist or
 * that refuses connections. A mistake in the URL, not a blip: retrying would only make the person wait.
 */
export const Unreachable = Schema.TaggedStruct("Unreachable", {
  url: Schema.String,
  cause: Schema.Literals(["connection refused", "host name not found"])
})
/**
 * Given up without sending (again): a rate-limit pause (`why`) lasts until `until` (epoch ms), longer than the
 * caller's maximum wait; the caller preferred to stop over waiting that long (e.g. a primary reset 51 minutes away).
 */
export const WaitTooLong = Schema.TaggedStruct("WaitTooLong", {
  until: Schema.Number,
  why: Schema.String,
  maxWaitMs: Schema.Number
})
/** The GitHub App is not installed on the account (or its installation is suspended): nothing to read with it. */
export const NotInstalled = Schema.TaggedStruct("NotInstalled", { account: Schema.String, suspended: Schema.Boolean })
/**
 * The App's installation on `account` was not granted `permission` (GitHub's title, e.g. "Copilot Spaces") with
 * at least `access`: the request was not sent, since GitHub would refuse it or, for membership checks, answer as
 * if real members were not members.
 */
export const MissingPermission = Schema.TaggedStruct("MissingPermission", {
  account: Schema.String,
  permission: Schema.String,
  access: Schema.Literals(["read", "write"])
})
/** A user's own spaces, with App credentials and no personal token: installation tokens cannot read them. */
export const NeedsUserToken = Schema.TaggedStruct("NeedsUserToken", { account: Schema.String })
/** With App credentials and no personal token, a request that names no owner has no installation to go with. */
export const NoInstallationFor = Schema.TaggedStruct("NoInstallationFor", {})
/** GitHub refused the App's JWT: a wrong App id, or a key that is not the App's. */
export const AppRejected = Schema.TaggedStruct("AppRejected", {})
/** Any other status we did not expect (e.g. 400 for an unsupported API version). */
export const UnexpectedStatus = Schema.TaggedStruct("UnexpectedStatus", {})
/** GitHub answered 2xx with a body that does not match the documented schema. */
export const InvalidResponse = Schema.TaggedStruct("InvalidResponse", { detail: Schema.String })

export const GitHubErrorReason = Schema.Union([
  Unauthorized,
  NotFound,
  Forbidden,
  Validation,
  RateLimited,
  SecondaryRateLimited,
  Transient,
  Unreachable,
  WaitTooLong,
  UnexpectedStatus,
  InvalidResponse,
  NotInstalled,
  MissingPermission,
  NeedsUserToken,
  NoInstallationFor,
  AppRejected
])
export type GitHubErrorReason = typeof GitHubErrorReason.Type

export class GitHubError extends Schema.TaggedError<GitHubError>()("GitHubError", {
  reason: GitHubErrorReason,
  method: Schema.String,
  /** The path requested, without host or query (never carries a token). */
  path: Schema.String,
  status: Schema.optionalKey(Schema.Number),
  /** GitHub's own `message`, when it sent one. */
  githubMessage: Schema.optionalKey(Schema.String),
  documentationUrl: Schema.optionalKey(Schema.String)
}) {
  override get message(): string {
    const where = `${this.method} ${this.path}`
    const said = this.githubMessage ? ` (GitHub said: ${this.githubMessage})` : ""
    const r = this.reason
    switch (r._tag) {
      case "Unauthorized":
        return `GitHub rejected the token for ${where}: set GH_TOKEN or GITHUB_TOKEN to a valid token${said}`
      case "NotFound":
        return `${where} was not found, or the token cannot see it${said}`
      case "Forbidden":
        return `${where} is forbidden for this token: check its scopes or permissions${said}`
      case "Validation":
        return `GitHub refused ${where} as invalid${said}${r.errors.length ? `: ${r.errors.map(describeFieldError).join("; ")}` : ""}`
      case "RateLimited":
        return r.resetAt > 0
          ? `primary rate limit exhausted at ${where}; it resets at ${new Date(r.resetAt * 1000).toISOString()}`
          : `primary rate limit exhausted at ${where}; GitHub did not say when it resets`
      case "SecondaryRateLimited":
        return `secondary rate limit hit at ${where}; GitHub asked to wait ${r.retryAfterSeconds} s${said}`
      case "Transient":
        return `${where} failed: ${r.detail}`
      case "Unreachable":
        return `cannot reach ${r.url}: ${r.cause}`
      case "WaitTooLong":
        return `${where} gave up: requests are paused until ${clockTime(r.until)} (${r.why}), longer than the maximum wait of ${formatWait(r.maxWaitMs)}`
      case "UnexpectedStatus":
        return `${where} answered with unexpected status ${this.status ?? "?"}${said}`
      case "InvalidResponse":
        return `${where} returned a response that does not match GitHub's documented schema: ${r.detail}`
      case "NotInstalled":
        return r.suspended
          ? `the GitHub App's installation on ${r.account} is suspended: an owner of ${r.account} must unsuspend it`
          : `the GitHub App is not installed on ${r.account}: an owner of ${r.account} must install it${said}`
      case "MissingPermission":
        return `the GitHub App's installation on ${r.account} lacks the "${r.permission}" permission (${r.access}), which ${where} needs: grant it in the App's settings and have ${r.account} accept it`
      case "NeedsUserToken":
        return `${r.account}'s own spaces cannot be read with a GitHub App installation token: set GH_TOKEN to a classic personal access token of ${r.account} (GITHUB_TOKEN is not used with App credentials)`
      case "NoInstallationFor":
        return `${where} names no organization, so no App installation's token fits it: set GH_TOKEN for such requests`
      case "AppRejected":
        return `GitHub rejected the App's credentials for ${where}: check the App id and that the private key is the App's${said}`
    }
  }
}

/**
 * One item of a 422's `errors`, for people: its message and field when GitHub gave them (GitHub's shape is
 * `{ resource, field, code, message? }`), else the item as JSON.
 */
const describeFieldError = (e: unknown): string => {
  if (typeof e !== "object" || e === null) return JSON.stringify(e)
  const { field, code, message } = e as { field?: unknown; code?: unknown; message?: unknown }
  const text = typeof message === "string" ? message : typeof code === "string" ? code : undefined
  if (text === undefined) return JSON.stringify(e)
  return typeof field === "string" ? `${field}: ${text}` : text
}

export type GitHubErrorTag = GitHubErrorReason["_tag"]

export const isRetryable = (e: GitHubError): boolean =>
  e.reason._tag === "Transient" || e.reason._tag === "RateLimited" || e.reason._tag === "SecondaryRateLimited"
