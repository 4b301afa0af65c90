// Builds the AWS SDK's S3 client: credentials and region from the standard AWS chain (env, profile, container and
// instance roles, IRSA), an optional custom endpoint (`AWS_ENDPOINT_URL_S3`, `AWS_ENDPOINT_URL`) addressed path-style,
// and, with a custom endpoint, checksums only where S3 requires them (newer SDKs add CRC32 trailers that several
// S3-compatible stores reject: docs/storage.md).
import { S3Client, type S3ClientConfig } from "@aws-sdk/client-s3"

import { effectiveEndpoint, type Env, type S3Settings } from "./S3Settings.ts"

export { endpointProblem, type ObjectLockMode, type S3Settings } from "./S3Settings.ts"

const nonEmpty = (s: string | undefined): string | undefined => (s === undefined || s.trim() === "" ? undefined : s)

/**
 * The client's settings. The region comes from the chain (`AWS_REGION`, the profile); a custom endpoint without one
 * gets `us-east-1`, which S3-compatible stores accept, and AWS answers a wrong region with a redirect the client
 * follows. Checksum settings the user made in the environment are left to the SDK.
 */
export const s3ClientConfig = (settings: S3Settings, env: Env): S3ClientConfig => {
  const endpoint = effectiveEndpoint(settings, env)
  const region = nonEmpty(env.AWS_REGION) ?? nonEmpty(env.AWS_DEFAULT_REGION)
  const config: S3ClientConfig = { followRegionRedirects: true }
  if (region !== undefined) config.region = region
  if (endpoint === undefined) return config
  config.endpoint = endpoint
  config.forcePathStyle = true
  if (region === undefined) config.region = "us-east-1"
  if (nonEmpty(env.AWS_REQUEST_CHECKSUM_CALCULATION) === undefined) config.requestChecksumCalculation = "WHEN_REQUIRED"
  if (nonEmpty(env.AWS_RESPONSE_CHECKSUM_VALIDATION) === undefined) config.responseChecksumValidation = "WHEN_REQUIRED"
  return config
}

/**
 * The client, with AWS's region fallback: a region the chain does not name is `us-east-1` and redirects fix it.
 * `overrides` is for tests (credentials for a local server, a request handler double).
 */
export const makeS3Client = (
  settings: S3Settings,
  env: Env = process.env,
  overrides: Partial<S3ClientConfig> = {}
): S3Client => {
  const config = { ...s3ClientConfig(settings, env), ...overrides }
  if (config.region === undefined) {
    const probe = new S3Client({})
    config.region = () => probe.config.region().catch(() => "us-east-1")
  }
  return new S3Client(config)
}
