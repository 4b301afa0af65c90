// Where archives live, as typed: local paths, s3:// forms, and every scheme that must be refused rather than
// becoming a local path (`s3://vault/nightly` used to land in ./s3:/vault/nightly).
import { assert, describe, it } from "@effect/vitest"
import { Result } from "effect"
import {
  type ArchiveLocationError,
  displayRef,
  parseArchiveInput,
  parseArchiveRef,
  parseLocation,
  sourceText
} from "../../src/archive/ArchiveLocation.ts"

const refused = (input: string): ArchiveLocationError => {
  const r = parseArchiveInput(input)
  assert.isTrue(Result.isFailure(r), `${input} should be refused`)
  return (r as Result.Failure<unknown, ArchiveLocationError>).failure
}

describe("parseArchiveInput", () => {
  it("takes paths without a scheme as local paths, drive-letter-like ones included", () => {
    for (const path of ["/backups", "backups/nightly", "./a.zip", "C:/backups", "odd:name"]) {
      const r = parseArchiveInput(path)
      assert.deepStrictEqual(Result.getOrUndefined(r), { _tag: "LocalPath", path })
    }
  })

  it("reads s3://bucket/prefix as a location and s3://bucket/prefix/NAME.zip as an archive", () => {
    assert.deepStrictEqual(Result.getOrUndefined(parseArchiveInput("s3://vault/nightly/")), {
      _tag: "S3Location",
      location: { _tag: "S3", bucket: "vault", prefix: "nightly" }
    })
    assert.deepStrictEqual(Result.getOrUndefined(parseArchiveInput("s3://vault")), {
      _tag: "S3Location",
      location: { _tag: "S3", bucket: "vault", prefix: "" }
    })
    assert.deepStrictEqual(
      Result.getOrUndefined(parseArchiveInput("S3://vault/a/b/spaces-vault-20261125T021000Z.zip")),
      {
        _tag: "S3Archive",
        ref: {
          location: { _tag: "S3", bucket: "vault", prefix: "a/b" },
          name: "spaces-vault-20261125T021000Z.zip"
        }
      }
    )
  })

  it("refuses every other scheme with exit-2 wording, file:// with a hint to give the path", () => {
    const ftp = refused("ftp://host/backups")
    assert.deepStrictEqual(ftp.reason, { _tag: "UnsupportedScheme", scheme: "ftp" })
    assert.strictEqual(
      ftp.message,
      "ftp://host/backups: archives cannot be stored at ftp:// locations; use a local directory or s3://bucket/prefix"
    )
    assert.deepStrictEqual(refused("https://example.com/x").reason, { _tag: "UnsupportedScheme", scheme: "https" })
    assert.strictEqual(
      refused("file:///var/backups").message,
      "file:///var/backups: file:// locations are not supported; give the local path itself"
    )
  })

  it("refuses malformed S3 forms instead of treating them as paths", () => {
    assert.strictEqual(
      refused("s3:/vault/nightly").message,
      "s3:/vault/nightly: an S3 location is written s3://bucket/prefix"
    )
    assert.strictEqual(refused("s3:vault").message, "s3:vault: an S3 location is written s3://bucket/prefix")
    assert.strictEqual(refused("s3://").message, "s3://: an S3 location names a bucket: s3://bucket/prefix")
    assert.match(refused("s3://Vault_1/x").message, /"Vault_1" is not a valid S3 bucket name/)
    assert.match(refused("s3://vault/../x").message, /cannot contain '\.' or '\.\.' segments/)
  })
})

describe("locations and archives", () => {
  it("a location input refuses an archive name, an archive input refuses a bare S3 location", () => {
    const asLocation = parseLocation("s3://vault/nightly/a.zip")
    assert.isTrue(Result.isFailure(asLocation))
    assert.match(Result.isFailure(asLocation) ? asLocation.failure.message : "", /names an archive/)
    const asArchive = parseArchiveRef("s3://vault/nightly")
    assert.match(Result.isFailure(asArchive) ? asArchive.failure.message : "", /names a location, not an archive/)
  })

  it("splits a local archive path into its directory and name, and names archives for messages", () => {
    const ref = Result.getOrUndefined(parseArchiveRef("/backups/nightly/a.zip"))
    assert.deepStrictEqual(ref, { location: { _tag: "Local", dir: "/backups/nightly" }, name: "a.zip" })
    assert.deepStrictEqual(Result.getOrUndefined(parseArchiveRef("a.zip"))?.location, { _tag: "Local", dir: "." })
    assert.strictEqual(displayRef(ref!), "/backups/nightly/a.zip")
    assert.strictEqual(
      displayRef({ location: { _tag: "S3", bucket: "vault", prefix: "n" }, name: "a.zip" }),
      "s3://vault/n/a.zip"
    )
    assert.strictEqual(sourceText("./a.zip"), "./a.zip")
  })
})
