// `s3://bucket/prefix[/NAME]`: where archives live in object storage. A last segment that is one of our archive names
// names an archive; anything else is a prefix (a "directory" of archives). Keys never start or end with a slash.

export interface S3Location {
  readonly bucket: string
  /** Without slashes at either end; "" is the bucket's top level. */
  readonly prefix: string
}

export const isS3Url = (s: string): boolean => /^s3:\/\//i.test(s)

// Bucket names: 3-63 characters of lowercase letters, digits, dots and hyphens (S3's rules, loosely: stores differ).
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/

/** The bucket and the key path of an `s3://` URL, or why it is not one (a few words). */
export const parseS3Url = (
  url: string
): { readonly bucket: string; readonly path: string } | { readonly problem: string } => {
  if (!isS3Url(url)) return { problem: "is not an s3:// URL" }
  const rest = url.slice("s3://".length)
  const slash = rest.indexOf("/")
  const bucket = slash === -1 ? rest : rest.slice(0, slash)
  const path = (slash === -1 ? "" : rest.slice(slash + 1)).replace(/\/+$/, "")
  if (!BUCKET.test(bucket)) return { problem: `names no valid bucket ("${bucket}")` }
  if (path.split("/").some((s) => s === "." || s === "..") || path.includes("//") || path.startsWith("/")) {
    return { problem: "has an empty, '.' or '..' segment in its path" }
  }
  return { bucket, path }
}

/** The key of `name` under a prefix. */
export const keyOf = (location: S3Location, name: string): string =>
  location.prefix === "" ? name : `${location.prefix}/${name}`

export const urlOf = (location: S3Location, name?: string): string =>
  `s3://${location.bucket}${location.prefix === "" ? "" : `/${location.prefix}`}${name === undefined ? "" : `/${name}`}`
