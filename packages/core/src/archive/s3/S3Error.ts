// Why an S3 request failed, said with the bucket and the cause in one sentence. `S3SetupError` is the same failure
// on the first request of a run (nothing done yet: the settings are wrong, exit 2); `S3Error` is one during the run.
import { Schema } from "effect"

export const S3ErrorReason = Schema.Literals([
  "NoSuchBucket",
  "AccessDenied",
  "WrongRegion",
  "Unreachable",
  "NoCredentials",
  /** A conditional write found the name taken (412): the caller tries the next free name. */
  "NameTaken",
  /** Object Lock keeps the object: retention reports it as retained, it is not a failure. */
  "Locked",
  /** What the store holds differs from what was uploaded (size or checksum). */
  "Mismatch",
  "NoSuchKey",
  "Other"
])
export type S3ErrorReason = typeof S3ErrorReason.Type

const fields = {
  reason: S3ErrorReason,
  bucket: Schema.String,
  /** The object's key, when the request was about one. */
  key: Schema.optionalKey(Schema.String),
  detail: Schema.String
}

const sentence = (e: {
  readonly reason: S3ErrorReason
  readonly bucket: string
  readonly key?: string
  readonly detail: string
}): string => {
  const where = e.key === undefined ? `S3 bucket ${e.bucket}` : `s3://${e.bucket}/${e.key}`
  switch (e.reason) {
    case "NoSuchBucket":
      return `S3 bucket ${e.bucket} does not exist (${e.detail})`
    case "AccessDenied":
      return `access to ${where} was denied: ${e.detail}`
    case "WrongRegion":
      return `S3 bucket ${e.bucket} is in another region: ${e.detail}`
    case "Unreachable":
      return `cannot reach the S3 endpoint for bucket ${e.bucket}: ${e.detail}`
    case "NoCredentials":
      return `no usable AWS credentials for S3 bucket ${e.bucket}: ${e.detail}`
    case "NameTaken":
      return `${where} already exists`
    case "Locked":
      return `${where} is retained by Object Lock: ${e.detail}`
    case "Mismatch":
      return `${where} does not hold what was uploaded: ${e.detail}`
    case "NoSuchKey":
      return `${where} does not exist`
    case "Other":
      return `${where}: ${e.detail}`
  }
}

export class S3Error extends Schema.TaggedError<S3Error>()("S3Error", fields) {
  override get message(): string {
    return sentence(this)
  }
}

export class S3SetupError extends Schema.TaggedError<S3SetupError>()("S3SetupError", fields) {
  override get message(): string {
    return sentence(this)
  }
}

interface SdkErrorLike {
  readonly name?: string
  readonly code?: string
  readonly message?: string
  readonly $metadata?: { readonly httpStatusCode?: number }
  readonly $response?: { readonly headers?: Record<string, string | undefined> }
  readonly cause?: unknown
}

const NETWORK_CODES = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "ECONNRESET", "ETIMEDOUT", "EHOSTUNREACH"])

const networkCode = (e: SdkErrorLike): string | undefined => {
  for (let c: unknown = e, depth = 0; c !== undefined && c !== null && depth < 4; depth++) {
    const code = (c as SdkErrorLike).code
    if (code !== undefined && NETWORK_CODES.has(code)) return code
    c = (c as SdkErrorLike).cause
  }
  return undefined
}

const firstLine = (s: string | undefined): string => (s ?? "").split("\n")[0]?.slice(0, 300) ?? ""

/** An AWS SDK (or network) failure as a reason and its detail; the bucket and key are the caller's. */
export const classifyS3Failure = (u: unknown): { readonly reason: S3ErrorReason; readonly detail: string } => {
  const e = (typeof u === "object" && u !== null ? u : { message: String(u) }) as SdkErrorLike
  const name = e.name ?? ""
  const status = e.$metadata?.httpStatusCode
  const net = networkCode(e)
  if (net !== undefined) return { reason: "Unreachable", detail: `${firstLine(e.message) || net} (${net})` }
  if (name === "TimeoutError" || name === "RequestTimeout") return { reason: "Unreachable", detail: "timed out" }
  if (name === "CredentialsProviderError" || name === "InvalidAccessKeyId" || name === "SignatureDoesNotMatch") {
    return { reason: "NoCredentials", detail: firstLine(e.message) }
  }
  if (name === "NoSuchBucket") return { reason: "NoSuchBucket", detail: firstLine(e.message) || "NoSuchBucket" }
  if (name === "NoSuchKey") return { reason: "NoSuchKey", detail: "NoSuchKey" }
  if (name === "PreconditionFailed" || status === 412) return { reason: "NameTaken", detail: "precondition failed" }
  if (name === "PermanentRedirect" || name === "AuthorizationHeaderMalformed" || status === 301) {
    const region = e.$response?.headers?.["x-amz-bucket-region"]
    return { reason: "WrongRegion", detail: region === undefined ? firstLine(e.message) : `it is in ${region}` }
  }
  if (name === "AccessDenied" || name === "Forbidden" || status === 403) {
    return { reason: "AccessDenied", detail: firstLine(e.message) || "403 Forbidden" }
  }
  if (name === "NotFound" || status === 404) return { reason: "NoSuchKey", detail: "404 Not Found" }
  return { reason: "Other", detail: `${name === "" ? "" : `${name}: `}${firstLine(e.message)}` }
}
