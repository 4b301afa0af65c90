// The `fetch` Octokit is given (its documented `request.fetch` option), built on undici's `request`: the HTTP
// client Node's own fetch runs on, without the WHATWG layers (Request, Response, Headers, web streams) that made
// up ~15% of a large export's CPU. Only what Octokit's fetch wrapper reads is provided.
import { Agent, EnvHttpProxyAgent, interceptors, request, type Dispatcher } from "undici"

type RawHeaders = Record<string, string | Array<string> | undefined>

const joined = (v: string | Array<string>) => (typeof v === "string" ? v : v.join(", "))

/** Read-only response headers: what Octokit iterates (lower-case names) and `get`s. */
class ResponseHeaders {
  readonly #raw: RawHeaders
  constructor(raw: RawHeaders) {
    this.#raw = raw
  }
  get(name: string): string | null {
    const v = this.#raw[name.toLowerCase()]
    return v === undefined ? null : joined(v)
  }
  *[Symbol.iterator](): IterableIterator<[string, string]> {
    for (const [k, v] of Object.entries(this.#raw)) if (v !== undefined) yield [k, joined(v)]
  }
}

export interface FetchInit {
  readonly method?: string | undefined
  readonly headers?: Record<string, string> | undefined
  readonly body?: string | undefined
  readonly signal?: AbortSignal | undefined
}

const PROXY_VARIABLES = ["https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY"]

/**
 * Connections kept alive; behind a corporate proxy (HTTPS_PROXY / HTTP_PROXY, with NO_PROXY) through it, as curl
 * and the gh CLI do. Redirects are followed as fetch does (GitHub answers 301/307 for renamed and transferred
 * repositories); undici drops the Authorization header on a cross-origin redirect.
 */
export const defaultDispatcher = (): Dispatcher =>
  // EnvHttpProxyAgent reads the variables itself; the plain Agent skips its per-request NO_PROXY matching.
  (PROXY_VARIABLES.some((k) => process.env[k]) ? new EnvHttpProxyAgent() : new Agent()).compose(
    interceptors.redirect({ maxRedirections: 5 })
  )

/** A fetch for one Octokit, on `dispatcher` (whoever made it destroys it: the live layer, when released). */
export const makeUndiciFetch =
  (dispatcher: Dispatcher) =>
  async (url: string, init: FetchInit = {}) => {
    const res = await request(url, {
      method: (init.method ?? "GET") as Dispatcher.HttpMethod,
      body: init.body ?? null,
      dispatcher,
      ...(init.headers !== undefined ? { headers: init.headers } : {}),
      ...(init.signal !== undefined ? { signal: init.signal } : {})
    })
    const body = res.body
    return {
      status: res.statusCode,
      statusText: "",
      url,
      headers: new ResponseHeaders(res.headers as RawHeaders),
      body,
      text: () => body.text(),
      json: () => body.json(),
      arrayBuffer: () => body.arrayBuffer()
    }
  }
