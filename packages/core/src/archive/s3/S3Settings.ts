// What the S3 layer is configured with, and the checks on it that need no SDK: kept apart from the client so that
// programs load the AWS SDK only when a run uses an s3:// location.

export type ObjectLockMode = "GOVERNANCE" | "COMPLIANCE"

export interface S3Settings {
  /** A custom endpoint (MinIO, R2, Ceph, a test server); undefined means AWS, unless the environment names one. */
  readonly endpoint?: string | undefined
  /** Per-object retain-until, on top of the bucket's default retention. */
  readonly objectLock?: { readonly days: number; readonly mode: ObjectLockMode } | undefined
}

export type Env = Readonly<Record<string, string | undefined>>

const nonEmpty = (s: string | undefined): string | undefined => (s === undefined || s.trim() === "" ? undefined : s)

/** The endpoint in effect: the setting, else the environment variables the SDK itself reads, S3's first. */
export const effectiveEndpoint = (settings: S3Settings, env: Env): string | undefined =>
  nonEmpty(settings.endpoint) ?? nonEmpty(env.AWS_ENDPOINT_URL_S3) ?? nonEmpty(env.AWS_ENDPOINT_URL)

/** Why an endpoint cannot be used, in a few words, or undefined when it is an http(s) URL. */
export const endpointProblem = (endpoint: string): string | undefined => {
  try {
    const url = new URL(endpoint)
    return url.protocol === "http:" || url.protocol === "https:" ? undefined : "is not an http:// or https:// URL"
  } catch {
    return "is not a URL"
  }
}
