// One HTTP exchange with GitHub, nothing more: no retries, no waiting. The live layer uses @octokit/rest's
// typed `request` and turns its RequestError for non-2xx answers back into a plain response.
import { Octokit } from "@octokit/rest"
import { Context, Effect, Layer, Redacted, Schema } from "effect"
import { defaultDispatcher, makeUndiciFetch } from "./UndiciFetch.ts"

export const API_VERSION = "2026-03-10"

export interface TransportRequest {
  /** An octokit route such as "GET /orgs/{org}/copilot-spaces", or a method and absolute URL from a Link header. */
  readonly route: string
  readonly params?: Record<string, unknown>
  readonly headers?: Record<string, string>
  /** Sent as the Authorization header (a personal or installation token, or the App's JWT); kept out of `headers`. */
  readonly credential?: { readonly scheme: "token" | "bearer"; readonly token: Redacted.Redacted<string> } | undefined
}

export interface RawResponse {
  readonly status: number
  readonly headers: Readonly<Record<string, string | undefined>>
  readonly data: unknown
}

/**
 * The request never got an HTTP answer: connection refused or reset, DNS, TLS. `code` is the system error's
 * (ECONNREFUSED, ENOTFOUND, ...) when there was one.
 */
export class TransportFailure extends Schema.TaggedError<TransportFailure>()("TransportFailure", {
  detail: Schema.String,
  code: Schema.optionalKey(Schema.String)
}) {}

export interface TransportShape {
  readonly send: (request: TransportRequest) => Effect.Effect<RawResponse, TransportFailure>
}

export class Transport extends Context.Service<Transport, TransportShape>()("@spaces-vault/core/github/Transport") {
  /**
   * Live HTTP through Octokit. The token is handed to Octokit only, which redacts it in its own errors. The
   * connection pool lives as long as the layer: the worker builds one per nightly run and destroys it after (by
   * then every request has finished or been interrupted, so nothing waits on the network).
   */
  static readonly layer = (options: {
    readonly apiUrl: string
    readonly token?: Redacted.Redacted<string> | undefined
    readonly userAgent: string
  }) =>
    Layer.effect(
      Transport,
      Effect.acquireRelease(Effect.sync(defaultDispatcher), (d) => Effect.promise(() => d.destroy())).pipe(
        Effect.map((dispatcher) => makeOctokitTransport(options, makeUndiciFetch(dispatcher)))
      )
    )
}

const headersOf = (h: unknown): Record<string, string | undefined> => {
  const out: Record<string, string | undefined> = {}
  for (const [k, v] of Object.entries((h ?? {}) as Record<string, unknown>)) {
    out[k.toLowerCase()] = v === undefined || v === null ? undefined : String(v)
  }
  return out
}

const makeOctokitTransport = (
  options: {
    readonly apiUrl: string
    readonly token?: Redacted.Redacted<string> | undefined
    readonly userAgent: string
  },
  fetch: ReturnType<typeof makeUndiciFetch>
): TransportShape => {
  // No `auth` for Octokit: each request carries its own credential (one token per App installation).
  const octokit = new Octokit({
    baseUrl: options.apiUrl,
    userAgent: options.userAgent,
    // Success bodies come back unparsed and go through the native JSON.parse: Octokit's own parser
    // (json-with-bigint) costs several times more CPU, and GitHub's ids fit in a double.
    request: { fetch, parseSuccessResponseBody: false },
    // Octokit logs warnings (e.g. deprecations) through console; our logs go through Effect.
    log: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} }
  })
  // Defaults merged once here rather than into every request's options.
  const send = octokit.request.defaults({ headers: { "x-github-api-version": API_VERSION } })
  return {
    send: (request) =>
      Effect.tryPromise({
        try: async (signal) => {
          try {
            const credential =
              request.credential ??
              (options.token === undefined ? undefined : { scheme: "token" as const, token: options.token })
            const headers =
              credential === undefined
                ? request.headers
                : { ...request.headers, authorization: `${credential.scheme} ${Redacted.value(credential.token)}` }
            const res = await send(request.route, {
              ...request.params,
              ...(headers !== undefined ? { headers } : {}),
              request: { signal }
            })
            return {
              status: res.status,
              headers: headersOf(res.headers),
              data: await parseBody(res.data)
            } satisfies RawResponse
          } catch (e) {
            const err = e as { status?: number; response?: { status: number; headers: unknown; data: unknown } }
            // Octokit throws for every status >= 300 (304 included); with a response it is an answer, not a failure.
            if (err.response !== undefined) {
              return {
                status: err.response.status,
                headers: headersOf(err.response.headers),
                data: err.response.data
              } satisfies RawResponse
            }
            throw e
          }
        },
        catch: (e) => {
          const code = codeOf(e)
          return new TransportFailure({ detail: describe(e), ...(code !== undefined ? { code } : {}) })
        }
      })
  }
}

/** A success body (undici's, from our fetch): JSON when it parses, else its text (as Octokit does); none for 204/205. */
const parseBody = async (body: unknown): Promise<unknown> => {
  if (body === null || body === undefined || typeof body === "string") return body ?? ""
  const text = await (body as { text: () => Promise<string> }).text()
  if (text === "") return ""
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}

/** The system error code of a failed exchange: Octokit keeps the fetch's error as its `cause`. */
const codeOf = (e: unknown): string | undefined => {
  const code =
    (e as { cause?: { code?: unknown } })?.cause?.code ?? (e as { code?: unknown } | undefined)?.code ?? undefined
  return typeof code === "string" ? code : undefined
}

/** A short cause for a failed exchange, without request details (which could carry credentials). */
const describe = (e: unknown): string => {
  const cause = (e as { cause?: { code?: string; message?: string } })?.cause
  const detail = cause?.message || cause?.code || (e instanceof Error ? e.message : String(e))
  return `connection failed (${detail.split("\n")[0]!.slice(0, 200)})`
}
