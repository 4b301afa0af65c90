// A client-level double for what no local S3 server implements (conditional writes, Object Lock, stores that reject
// checksum headers): a request handler in front of the SDK's real one that records every request and may answer
// one itself as S3 would; everything else goes on to the local server over HTTP.
import { Readable } from "node:stream"
import type { S3Client } from "@aws-sdk/client-s3"
import type { FakeS3 } from "@spaces-vault/fixtures/s3/FakeS3"
import { makeS3Client } from "../../../src/archive/s3/S3Client.ts"

export interface SeenRequest {
  readonly method: string
  readonly path: string
  readonly query: Readonly<Record<string, unknown>>
  /** Lower-case names. */
  readonly headers: Readonly<Record<string, string>>
}

export interface CannedResponse {
  readonly status: number
  readonly headers?: Record<string, string>
  /** S3's error code, sent as an XML error body. */
  readonly code?: string
  /** A body of its own (an XML listing), instead of an error. */
  readonly body?: string
}

export type Rule = (request: SeenRequest) => CannedResponse | undefined

interface SmithyRequest {
  method: string
  path: string
  query?: Record<string, unknown>
  headers: Record<string, string>
}
interface SmithyHandler {
  handle(request: SmithyRequest, options?: unknown): Promise<{ response: unknown }>
}

const errorXml = (code: string) =>
  Buffer.from(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${code}</Message></Error>`)

/** A client whose requests pass through `rules` (first answer wins) before reaching the local server. */
export const doubledClient = (s3: FakeS3, rules: ReadonlyArray<Rule>) => {
  const seen: Array<SeenRequest> = []
  const base = makeS3Client({ endpoint: s3.endpoint }, {}, { credentials: s3.credentials })
  const inner = base.config.requestHandler as unknown as SmithyHandler
  const handler = {
    metadata: { handlerProtocol: "http/1.1" },
    handle: async (request: SmithyRequest, options?: unknown) => {
      const headers = Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k.toLowerCase(), v]))
      const view: SeenRequest = { method: request.method, path: request.path, query: request.query ?? {}, headers }
      seen.push(view)
      for (const rule of rules) {
        const answer = rule(view)
        if (answer === undefined) continue
        const body =
          answer.body !== undefined
            ? Buffer.from(answer.body)
            : answer.code === undefined
              ? Buffer.alloc(0)
              : errorXml(answer.code)
        return {
          response: {
            statusCode: answer.status,
            reason: "",
            headers: { "content-type": "application/xml", ...answer.headers },
            body: Readable.from([body])
          }
        }
      }
      return inner.handle(request, options)
    },
    updateHttpClientConfig: () => {},
    httpHandlerConfigs: () => ({}),
    destroy: () => base.destroy()
  }
  const client: S3Client = makeS3Client(
    { endpoint: s3.endpoint },
    {},
    { credentials: s3.credentials, requestHandler: handler as never }
  )
  return { client, seen }
}

/** The object key a request is about (path-style: /bucket/key). */
export const keyOfRequest = (r: SeenRequest): string => decodeURIComponent(r.path.split("/").slice(2).join("/"))

/** A request that creates an object: a single PUT, or the completion of a multipart upload. */
export const isObjectCreation = (r: SeenRequest): boolean =>
  (r.method === "PUT" && !("partNumber" in r.query) && !("retention" in r.query)) ||
  (r.method === "POST" && "uploadId" in r.query)

/** Whether a request carries a checksum S3 accepts for Object Lock: Content-MD5 or x-amz-checksum-* (header or trailer). */
export const carriesChecksum = (r: SeenRequest): boolean =>
  "content-md5" in r.headers ||
  Object.keys(r.headers).some((h) => h.startsWith("x-amz-checksum-")) ||
  (r.headers["x-amz-trailer"] ?? "").startsWith("x-amz-checksum-")
