// The S3 requests the archive store makes, each one Effect with its failure said as an `S3Error`: list a prefix
// (every page), head, ranged reads, a write-once upload from a finished file (conditional, checked afterwards,
// aborted on interruption), delete (a locked object is retained, not a failure) and the sweep of stale multipart
// uploads that killed runs leave behind.
import { createHash } from "node:crypto"
import { createReadStream } from "node:fs"
import type { Readable } from "node:stream"
import {
  AbortMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  type PutObjectCommandInput,
  type S3Client
} from "@aws-sdk/client-s3"
import { Upload } from "@aws-sdk/lib-storage"
import { Clock, Effect } from "effect"
import type { ObjectLockMode } from "./S3Client.ts"
import { collectGarbage } from "../../runtime/LeanHeap.ts"
import { classifyS3Failure, S3Error, S3SetupError } from "./S3Error.ts"

export interface S3ObjectInfo {
  /** The key's last segment. */
  readonly name: string
  readonly size: number
  /** Epoch ms. */
  readonly lastModified: number
}

export interface S3Head {
  readonly size: number
  readonly etag: string | undefined
  /** Epoch ms until which Object Lock keeps this version, when it does. */
  readonly retainUntil: number | undefined
  readonly serverSideEncryption: string | undefined
}

export type RemoveOutcome =
  | { readonly _tag: "Deleted" }
  /** `until`: the retain-until the object carries; undefined when the store refused the delete (403). */
  | { readonly _tag: "Retained"; readonly until: number | undefined }

/** An incomplete multipart upload a killed run left: aborted, or why it could not be. */
export interface StaleUpload {
  readonly key: string
  /** Epoch ms. */
  readonly initiated: number
  readonly problem?: string
}

export interface ObjectLockRequest {
  readonly mode: ObjectLockMode
  /** Epoch ms. */
  readonly retainUntil: number
}

export interface S3Objects {
  readonly bucket: string
  /** The first request of a run: a missing bucket, denied access, a wrong region or an unreachable endpoint. */
  readonly probe: Effect.Effect<void, S3SetupError>
  /** The objects directly under `prefix` (no deeper keys), all pages. */
  readonly list: (prefix: string) => Effect.Effect<ReadonlyArray<S3ObjectInfo>, S3Error>
  readonly head: (key: string) => Effect.Effect<S3Head, S3Error>
  /** Bytes [start, end) of an object. */
  readonly readRange: (key: string, start: number, end: number) => Effect.Effect<Buffer, S3Error>
  readonly streamRange: (key: string, start: number, end: number) => Promise<Readable>
  /** Uploads a finished file to a key that must not exist; fails with reason NameTaken when it does. */
  readonly uploadNew: (
    key: string,
    file: { readonly path: string; readonly size: number },
    lock: ObjectLockRequest | undefined
  ) => Effect.Effect<void, S3Error>
  /** Deletes an object, unless Object Lock keeps it: then nothing is sent, and why is returned. */
  readonly remove: (key: string) => Effect.Effect<RemoveOutcome, S3Error>
  /** Aborts multipart uploads under `prefix` begun before `before` (epoch ms); one outcome per upload found. */
  readonly abortStaleUploads: (prefix: string, before: number) => Effect.Effect<ReadonlyArray<StaleUpload>, S3Error>
}

/**
 * Parts of 5 MiB (S3's minimum), larger when needed to stay within S3's 10,000 parts. One part in flight: the
 * upload follows the export, whose memory is still held then, and an archive of 50,000 spaces is ~20 parts.
 */
export const partSizeFor = (size: number): number => Math.max(5 * 1024 * 1024, Math.ceil(size / 10_000))

/** Parts uploaded at once. */
const QUEUE_SIZE = 1

/**
 * The ETags S3 gives an upload of these bytes without KMS encryption: the MD5 of a single PUT, or the MD5 of the
 * parts' MD5s with `-N`. An exact multiple of the part size may end either way, so both are accepted.
 */
export const expectedEtags = (path: string, size: number, partSize: number): Promise<ReadonlyArray<string>> =>
  new Promise((resolve, reject) => {
    const whole = createHash("md5")
    const partDigests: Array<Buffer> = []
    let part = createHash("md5")
    let inPart = 0
    const stream = createReadStream(path)
    stream.on("data", (chunk) => {
      const buf = chunk as Buffer
      whole.update(buf)
      for (let offset = 0; offset < buf.length; ) {
        const n = Math.min(partSize - inPart, buf.length - offset)
        part.update(buf.subarray(offset, offset + n))
        inPart += n
        offset += n
        if (inPart === partSize) {
          partDigests.push(part.digest())
          part = createHash("md5")
          inPart = 0
        }
      }
    })
    stream.on("error", reject)
    stream.on("end", () => {
      if (inPart > 0) partDigests.push(part.digest())
      const multipart = `${createHash("md5").update(Buffer.concat(partDigests)).digest("hex")}-${partDigests.length}`
      const single = whole.digest("hex")
      resolve(size <= partSize ? [single, ...(size === partSize ? [multipart] : [])] : [multipart])
    })
  })

const unquote = (etag: string | undefined): string | undefined => etag?.replace(/^"|"$/g, "")

/** The direct children of a prefix: S3 lists keys, our archives are the ones one level below it. */
const childName = (prefix: string, key: string): string | undefined => {
  const rest = prefix === "" ? key : key.startsWith(`${prefix}/`) ? key.slice(prefix.length + 1) : undefined
  return rest === undefined || rest === "" || rest.includes("/") ? undefined : rest
}

/** One bucket's client, and how its requests are sent: each failure classified and named by bucket and key. */
interface Bucket {
  readonly client: S3Client
  readonly bucket: string
  readonly send: <A>(key: string | undefined, f: (signal: AbortSignal) => Promise<A>) => Effect.Effect<A, S3Error>
}

const bucketOf = (client: S3Client, bucket: string): Bucket => {
  const fail =
    (key?: string) =>
    (u: unknown): S3Error => {
      const { reason, detail } = classifyS3Failure(u)
      return new S3Error({ reason, bucket, detail, ...(key === undefined ? {} : { key }) })
    }
  return { client, bucket, send: (key, f) => Effect.tryPromise({ try: f, catch: fail(key) }) }
}

const headObject = ({ client, bucket, send }: Bucket, key: string) =>
  send(key, (abortSignal) => client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }), { abortSignal })).pipe(
    Effect.map(
      (h): S3Head => ({
        size: h.ContentLength ?? 0,
        etag: unquote(h.ETag),
        retainUntil: h.ObjectLockRetainUntilDate?.getTime(),
        serverSideEncryption: h.ServerSideEncryption
      })
    )
  )

const streamRange = async (
  { client, bucket }: Bucket,
  key: string,
  start: number,
  end: number,
  abortSignal?: AbortSignal
) => {
  const out = await client.send(
    new GetObjectCommand({ Bucket: bucket, Key: key, Range: `bytes=${start}-${end - 1}` }),
    abortSignal === undefined ? {} : { abortSignal }
  )
  return out.Body as Readable
}

const readAll = async (body: Readable): Promise<Buffer> => {
  const chunks: Array<Buffer> = []
  for await (const chunk of body) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

/** Reads an object back to compare its sha256 with the file's: for stores whose ETag is not an MD5 (SSE-KMS). */
const sha256Of = (body: Readable) =>
  new Promise<string>((resolve, reject) => {
    const hash = createHash("sha256")
    body.on("data", (c) => hash.update(c as Buffer))
    body.on("error", reject)
    body.on("end", () => resolve(hash.digest("hex")))
  })

/** After an upload: the stored size and checksum must be the written file's, or the run fails. */
const checkUploaded = (
  b: Bucket,
  key: string,
  file: { readonly path: string; readonly size: number },
  partSize: number
) =>
  Effect.gen(function* () {
    const h = yield* headObject(b, key)
    const mismatch = (detail: string) => new S3Error({ reason: "Mismatch", bucket: b.bucket, key, detail })
    if (h.size !== file.size) return yield* mismatch(`${h.size} bytes stored, ${file.size} written`)
    if (h.serverSideEncryption?.startsWith("aws:kms") === true || h.etag === undefined) {
      const [stored, written] = yield* b.send(key, async (signal) =>
        Promise.all([sha256Of(await streamRange(b, key, 0, h.size, signal)), sha256Of(createReadStream(file.path))])
      )
      if (stored !== written) return yield* mismatch("its sha256 differs from the file written")
      return
    }
    const expected = yield* b.send(key, () => expectedEtags(file.path, file.size, partSize))
    if (!expected.includes(h.etag)) return yield* mismatch(`its ETag ${h.etag} is not the written bytes' checksum`)
  })

const probeBucket = ({ client, bucket, send }: Bucket) =>
  send(undefined, (abortSignal) => client.send(new HeadBucketCommand({ Bucket: bucket }), { abortSignal })).pipe(
    Effect.asVoid,
    Effect.mapError((e) => {
      const reason = e.reason === "NoSuchKey" ? "NoSuchBucket" : e.reason
      return new S3SetupError({ reason, bucket, detail: e.detail })
    })
  )

/** The objects directly below a prefix, every page of the listing. */
const listChildren = ({ client, bucket, send }: Bucket, prefix: string) =>
  Effect.gen(function* () {
    const out: Array<S3ObjectInfo> = []
    let token: string | undefined
    do {
      const page = yield* send(undefined, (abortSignal) =>
        client.send(
          new ListObjectsV2Command({
            Bucket: bucket,
            Prefix: prefix === "" ? undefined : `${prefix}/`,
            Delimiter: "/",
            ContinuationToken: token
          }),
          { abortSignal }
        )
      )
      for (const o of page.Contents ?? []) {
        const name = o.Key === undefined ? undefined : childName(prefix, o.Key)
        if (name !== undefined) {
          out.push({ name, size: o.Size ?? 0, lastModified: o.LastModified?.getTime() ?? 0 })
        }
      }
      token = page.IsTruncated === true ? page.NextContinuationToken : undefined
    } while (token !== undefined)
    return out
  })

/** Uploads a complete file to a key that must not exist yet, then checks what was stored. */
const uploadNew = (
  b: Bucket,
  key: string,
  file: { readonly path: string; readonly size: number },
  lock: Parameters<S3Objects["uploadNew"]>[2]
) =>
  Effect.gen(function* () {
    const { client, bucket, send } = b
    const partSize = partSizeFor(file.size)
    const params: PutObjectCommandInput = {
      Bucket: bucket,
      Key: key,
      Body: createReadStream(file.path),
      ContentLength: file.size,
      ContentType: "application/zip",
      // Write once: S3 and most compatible stores refuse (412) a key that exists; others ignore it, which the
      // listing before the upload covers.
      IfNoneMatch: "*"
    }
    if (lock !== undefined) {
      params.ObjectLockMode = lock.mode
      params.ObjectLockRetainUntilDate = new Date(lock.retainUntil)
      // S3 requires a checksum (or Content-MD5) on every request with Object Lock parameters, parts included.
      params.ChecksumAlgorithm = "CRC32"
    }
    // leavePartsOnError false: a failed multipart upload is aborted, so no parts stay behind.
    const upload = new Upload({ client, params, partSize, queueSize: QUEUE_SIZE, leavePartsOnError: false })
    // Each part is a fresh Buffer of partSize, dead once sent; collected after each, they never pile up to the
    // ~64 MB at which V8 would collect them by itself (an S3 export's peak, docs/performance.md).
    if (file.size > partSize) upload.on("httpUploadProgress", collectGarbage)
    yield* send(key, () => upload.done()).pipe(
      // Interrupted (a signal, a stopped worker): abort it ourselves and wait for that, because the SDK's own
      // abort request leaves only after the parts in flight, which a stopping process does not wait for.
      Effect.onInterrupt(() =>
        Effect.promise(async () => {
          await upload.abort()
          const uploadId = (upload as unknown as { readonly uploadId?: string }).uploadId
          if (uploadId === undefined) return
          await client
            .send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }))
            .catch(() => undefined)
        })
      )
    )
    yield* checkUploaded(b, key, file, partSize)
  })

/** Deletes an object unless Object Lock retains it (then says until when, if the store told). */
const removeObject = (b: Bucket, key: string) =>
  Effect.gen(function* () {
    const now = yield* Clock.currentTimeMillis
    const h = yield* headObject(b, key)
    if (h.retainUntil !== undefined && h.retainUntil > now) {
      return { _tag: "Retained", until: h.retainUntil } satisfies RemoveOutcome as RemoveOutcome
    }
    return yield* b
      .send(key, (abortSignal) =>
        b.client.send(new DeleteObjectCommand({ Bucket: b.bucket, Key: key }), { abortSignal })
      )
      .pipe(
        Effect.as<RemoveOutcome>({ _tag: "Deleted" }),
        // A lock the head did not show (no permission to read retention) refuses the delete with 403.
        Effect.catchIf(
          (e) => e.reason === "AccessDenied" || e.reason === "Locked",
          () => Effect.succeed<RemoveOutcome>({ _tag: "Retained", until: undefined })
        )
      )
  })

/** Aborts the multipart uploads below a prefix begun before `before` (killed runs' leftovers), every page. */
const abortStaleUploads = ({ client, bucket, send }: Bucket, prefix: string, before: number) =>
  Effect.gen(function* () {
    const outcomes: Array<StaleUpload> = []
    let keyMarker: string | undefined
    let uploadIdMarker: string | undefined
    do {
      const page = yield* send(undefined, (abortSignal) =>
        client.send(
          new ListMultipartUploadsCommand({
            Bucket: bucket,
            Prefix: prefix === "" ? undefined : `${prefix}/`,
            KeyMarker: keyMarker,
            UploadIdMarker: uploadIdMarker
          }),
          { abortSignal }
        )
      )
      for (const u of page.Uploads ?? []) {
        const initiated = u.Initiated?.getTime()
        if (u.Key === undefined || u.UploadId === undefined || initiated === undefined || initiated >= before) {
          continue
        }
        const key = u.Key
        const uploadId = u.UploadId
        const problem = yield* send(key, (abortSignal) =>
          client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }), {
            abortSignal
          })
        ).pipe(
          Effect.as(undefined),
          Effect.catch((e) => Effect.succeed(e.message))
        )
        outcomes.push({ key, initiated, ...(problem === undefined ? {} : { problem }) })
      }
      const more = page.IsTruncated === true
      keyMarker = more ? page.NextKeyMarker : undefined
      uploadIdMarker = more ? page.NextUploadIdMarker : undefined
    } while (keyMarker !== undefined)
    return outcomes
  })

export const makeS3Objects = (client: S3Client, bucket: string): S3Objects => {
  const b = bucketOf(client, bucket)
  return {
    bucket,
    probe: probeBucket(b),
    list: (prefix) => listChildren(b, prefix),
    head: (key) => headObject(b, key),
    readRange: (key, start, end) =>
      b.send(key, async (signal) => readAll(await streamRange(b, key, start, end, signal))),
    streamRange: (key, start, end) => streamRange(b, key, start, end),
    uploadNew: (key, file, lock) => uploadNew(b, key, file, lock),
    remove: (key) => removeObject(b, key),
    abortStaleUploads: (prefix, before) => abortStaleUploads(b, prefix, before)
  }
}
