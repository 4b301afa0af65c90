// Where archives live, as people type it: a local path, `s3://bucket/prefix` or `s3://bucket/prefix/NAME`. Pure:
// parsing never touches a file system or a network, and any other `SCHEME://` is refused rather than taken as a path.
import { join } from "node:path"
import { Result, Schema } from "effect"

/** A local directory of archives. */
export interface LocalLocation {
  readonly _tag: "Local"
  readonly dir: string
}

/** A bucket and a key prefix (no leading or trailing slash; "" for the bucket's root). */
export interface S3Location {
  readonly _tag: "S3"
  readonly bucket: string
  readonly prefix: string
}

/** A store: every archive lives in exactly one location, under a name unique in it. */
export type ArchiveLocation = LocalLocation | S3Location

/** One archive: a name (a file name, or the last segment of an object key) in a location. */
export interface ArchiveRef {
  readonly location: ArchiveLocation
  readonly name: string
}

/**
 * What an input names before anything is looked at. A local path may be a directory or an archive, which only the
 * file system can tell; an S3 input names an archive when its last segment ends in `.zip`, else a location.
 */
export type ArchiveInput =
  | { readonly _tag: "LocalPath"; readonly path: string }
  | { readonly _tag: "S3Location"; readonly location: S3Location }
  | { readonly _tag: "S3Archive"; readonly ref: ArchiveRef }

export const ArchiveLocationReason = Schema.Union([
  /** `ftp://…`, `file://…`, `https://…`: any scheme spaces-vault does not store archives at. */
  Schema.TaggedStruct("UnsupportedScheme", { scheme: Schema.String }),
  /** `s3:/bucket` (one slash), `s3://` without a bucket, a bucket name S3 would refuse. */
  Schema.TaggedStruct("Malformed", { detail: Schema.String }),
  /** An input that names a location where an archive is needed, or the other way round. */
  Schema.TaggedStruct("WrongKind", { detail: Schema.String })
])
export type ArchiveLocationReason = typeof ArchiveLocationReason.Type

/** A location that cannot be used, found before any work starts: the CLI exits 2. */
export class ArchiveLocationError extends Schema.TaggedError<ArchiveLocationError>()("ArchiveLocationError", {
  input: Schema.String,
  reason: ArchiveLocationReason
}) {
  override get message(): string {
    switch (this.reason._tag) {
      case "UnsupportedScheme":
        return this.reason.scheme === "file"
          ? `${this.input}: file:// locations are not supported; give the local path itself`
          : `${this.input}: archives cannot be stored at ${this.reason.scheme}:// locations; use a local directory or s3://bucket/prefix`
      case "Malformed":
      case "WrongKind":
        return `${this.input}: ${this.reason.detail}`
    }
  }
}

// `SCHEME:/…` (one slash is a typo of two) or anything beginning `s3:`. Two or more letters, so that a drive letter
// (`C:/…`) is not mistaken for a scheme (Windows paths are out of scope, but not refused); `notes:2026` stays a path.
const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]+):(?=\/)|^(s3):/i
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/

/** Whether an S3 key's last segment names an archive rather than a prefix. */
const namesArchive = (segment: string): boolean => segment.toLowerCase().endsWith(".zip")

/** Parses user input into a location or an archive; refuses any scheme but `s3`, and malformed `s3` forms. */
export const parseArchiveInput = (input: string): Result.Result<ArchiveInput, ArchiveLocationError> => {
  const fail = (reason: ArchiveLocationReason) => Result.fail(new ArchiveLocationError({ input, reason }))
  const m = SCHEME.exec(input)
  const scheme = m?.[1] ?? m?.[2]
  if (scheme === undefined) return Result.succeed({ _tag: "LocalPath", path: input })
  if (scheme.toLowerCase() !== "s3") return fail({ _tag: "UnsupportedScheme", scheme: scheme.toLowerCase() })
  const rest = input.slice(scheme.length + 1)
  if (!rest.startsWith("//")) return fail({ _tag: "Malformed", detail: "an S3 location is written s3://bucket/prefix" })
  const [bucket = "", ...segments] = rest.slice(2).split("/")
  if (!BUCKET.test(bucket))
    return fail({
      _tag: "Malformed",
      detail:
        bucket === ""
          ? "an S3 location names a bucket: s3://bucket/prefix"
          : `"${bucket}" is not a valid S3 bucket name (3-63 lowercase letters, digits, dots and hyphens)`
    })
  const parts = segments.filter((s) => s !== "")
  if (parts.some((s) => s === "." || s === ".."))
    return fail({ _tag: "Malformed", detail: "an S3 prefix cannot contain '.' or '..' segments" })
  const last = parts.at(-1)
  if (last !== undefined && namesArchive(last))
    return Result.succeed({
      _tag: "S3Archive",
      ref: { location: { _tag: "S3", bucket, prefix: parts.slice(0, -1).join("/") }, name: last }
    })
  return Result.succeed({ _tag: "S3Location", location: { _tag: "S3", bucket, prefix: parts.join("/") } })
}

/** A location for writing or listing (`export --out`, `prune`, the worker's output): an archive name is refused. */
export const locationOf = (input: ArchiveInput, raw: string): Result.Result<ArchiveLocation, ArchiveLocationError> => {
  switch (input._tag) {
    case "LocalPath":
      return Result.succeed({ _tag: "Local", dir: input.path })
    case "S3Location":
      return Result.succeed(input.location)
    case "S3Archive":
      return Result.fail(
        new ArchiveLocationError({
          input: raw,
          reason: { _tag: "WrongKind", detail: "names an archive; give the location (s3://bucket/prefix) instead" }
        })
      )
  }
}

/** The directory part and the last segment of a local path (trailing slashes ignored). */
const splitLocal = (path: string): { dir: string; name: string } => {
  const trimmed = path.length > 1 ? path.replace(/\/+$/, "") : path
  const at = trimmed.lastIndexOf("/")
  if (at < 0) return { dir: ".", name: trimmed }
  return { dir: at === 0 ? "/" : trimmed.slice(0, at), name: trimmed.slice(at + 1) }
}

/** One archive (`verify`, `inspect`, `replay`, `--since`): an S3 location without an archive name is refused. */
export const archiveRefOf = (input: ArchiveInput, raw: string): Result.Result<ArchiveRef, ArchiveLocationError> => {
  switch (input._tag) {
    case "LocalPath": {
      const { dir, name } = splitLocal(input.path)
      return Result.succeed({ location: { _tag: "Local", dir }, name })
    }
    case "S3Archive":
      return Result.succeed(input.ref)
    case "S3Location":
      return Result.fail(
        new ArchiveLocationError({
          input: raw,
          reason: { _tag: "WrongKind", detail: "names a location, not an archive; add the archive's name (…/NAME.zip)" }
        })
      )
  }
}

/** Parse and take a location, in one step. */
export const parseLocation = (raw: string) => Result.flatMap(parseArchiveInput(raw), (i) => locationOf(i, raw))

/** Parse and take one archive, in one step. */
export const parseArchiveRef = (raw: string) => Result.flatMap(parseArchiveInput(raw), (i) => archiveRefOf(i, raw))

/** How messages name a location: the path, or `s3://bucket/prefix`. */
export const displayLocation = (location: ArchiveLocation): string =>
  location._tag === "Local"
    ? location.dir
    : `s3://${location.bucket}${location.prefix === "" ? "" : `/${location.prefix}`}`

/** How messages name an archive: its path, or `s3://bucket/prefix/NAME`. */
export const displayRef = (ref: ArchiveRef): string =>
  ref.location._tag === "Local"
    ? ref.location.dir === "."
      ? ref.name
      : `${ref.location.dir.replace(/\/+$/, "")}/${ref.name}`
    : `${displayLocation(ref.location)}/${ref.name}`

/** An archive as core functions take it: a local path (kept verbatim for messages), or a reference in any store. */
export type ArchiveSource = string | ArchiveRef

/** A location as core functions take it: a local directory path, or any location. */
export type LocationSource = string | ArchiveLocation

export const refOfSource = (source: ArchiveSource): ArchiveRef => {
  if (typeof source !== "string") return source
  const { dir, name } = splitLocal(source)
  return { location: { _tag: "Local", dir }, name }
}

/** How messages and reports name an archive source: a path as it was given, else `displayRef`. */
export const sourceText = (source: ArchiveSource): string => (typeof source === "string" ? source : displayRef(source))

export const locationOfSource = (source: LocationSource): ArchiveLocation =>
  typeof source === "string" ? { _tag: "Local", dir: source } : source

/** The archive `name` of a location, as a source: a joined path for a local directory (as reports always gave it). */
export const sourceIn = (location: LocationSource, name: string): ArchiveSource => {
  const at = locationOfSource(location)
  return at._tag === "Local" ? join(at.dir, name) : { location: at, name }
}

/** How messages name a location source. */
export const locationText = (source: LocationSource): string =>
  typeof source === "string" ? source : displayLocation(source)
