// The fetch handed to Octokit: what Octokit reads of a response, redirects as fetch follows them (without leaking
// the token to another origin), request bodies, aborts, and connection failures.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import { afterEach, describe, expect, it } from "vitest"
import { Effect, Redacted } from "effect"
import { Transport } from "../../src/github/Transport.ts"
import type { Dispatcher } from "undici"
import { defaultDispatcher, makeUndiciFetch } from "../../src/github/UndiciFetch.ts"

interface Seen {
  readonly method: string | undefined
  readonly url: string | undefined
  readonly headers: IncomingMessage["headers"]
  readonly body: string
}

const servers: Array<Server> = []
const dispatchers: Array<Dispatcher> = []
afterEach(async () => {
  await Promise.all(dispatchers.splice(0).map((d) => d.destroy()))
  // Keep-alive connections would hold close() open.
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => (s.close(resolve), s.closeAllConnections()))))
})

/** A fetch on a new dispatcher (read from the environment now), destroyed after the test, as the layer does. */
const fetchNow = () => {
  const dispatcher = defaultDispatcher()
  dispatchers.push(dispatcher)
  return makeUndiciFetch(dispatcher)
}

/** A loopback server that records each request and answers with `handler`. */
const serve = async (handler: (req: IncomingMessage, res: ServerResponse, body: string) => void) => {
  const seen: Array<Seen> = []
  const server = createServer((req, res) => {
    let body = ""
    req.setEncoding("utf8")
    req.on("data", (c: string) => (body += c))
    req.on("end", () => {
      seen.push({ method: req.method, url: req.url, headers: req.headers, body })
      handler(req, res, body)
    })
  })
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, server }
}

describe("makeUndiciFetch", () => {
  it("gives Octokit the status, lower-case headers to iterate and get, and the body", async () => {
    const hub = await serve((_req, res) => {
      res.writeHead(201, { "Content-Type": "application/json", ETag: 'W/"abc"', "X-RateLimit-Remaining": "4999" })
      res.end(JSON.stringify({ id: 7 }))
    })
    const res = await fetchNow()(`${hub.url}/orgs/o/copilot-spaces`, {
      method: "POST",
      headers: { authorization: "token t", "content-type": "application/json; charset=utf-8" },
      body: JSON.stringify({ name: "n" })
    })
    expect(res.status).toBe(201)
    expect(res.url).toBe(`${hub.url}/orgs/o/copilot-spaces`)
    expect(res.headers.get("ETag")).toBe('W/"abc"')
    expect(Object.fromEntries(res.headers)).toMatchObject({ etag: 'W/"abc"', "x-ratelimit-remaining": "4999" })
    expect(await res.json()).toEqual({ id: 7 })
    expect(hub.seen[0]).toMatchObject({ method: "POST", body: '{"name":"n"}' })
    expect(hub.seen[0]!.headers.authorization).toBe("token t")
  })

  it("returns error answers as responses, body readable as text", async () => {
    const hub = await serve((_req, res) => {
      res.writeHead(404, { "Content-Type": "application/json" })
      res.end('{"message":"Not Found"}')
    })
    const res = await fetchNow()(`${hub.url}/repositories/1`)
    expect(res.status).toBe(404)
    expect(await res.text()).toBe('{"message":"Not Found"}')
  })

  it("follows a same-origin redirect as fetch does, keeping the token", async () => {
    const hub = await serve((req, res) => {
      if (req.url === "/repos/old/name") {
        res.writeHead(301, { Location: "/repositories/42" })
        res.end()
      } else {
        res.writeHead(200, { "Content-Type": "application/json" })
        res.end('{"id":42,"full_name":"new/name"}')
      }
    })
    const res = await fetchNow()(`${hub.url}/repos/old/name`, { headers: { authorization: "token t" } })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ id: 42, full_name: "new/name" })
    expect(hub.seen.map((s) => s.url)).toEqual(["/repos/old/name", "/repositories/42"])
    expect(hub.seen[1]!.headers.authorization).toBe("token t")
  })

  it("drops the token when a redirect leaves the origin", async () => {
    const other = await serve((_req, res) => {
      res.writeHead(200, { "Content-Type": "text/plain" })
      res.end("elsewhere")
    })
    const hub = await serve((_req, res) => {
      res.writeHead(302, { Location: `${other.url}/file` })
      res.end()
    })
    const res = await fetchNow()(`${hub.url}/download`, { headers: { authorization: "token secret" } })
    expect(await res.text()).toBe("elsewhere")
    expect(other.seen[0]!.headers.authorization).toBeUndefined()
  })

  it("rejects when the signal aborts a request that gets no answer", async () => {
    const hub = await serve(() => {}) // never answers
    const controller = new AbortController()
    const pending = fetchNow()(`${hub.url}/slow`, { signal: controller.signal })
    controller.abort()
    await expect(pending).rejects.toMatchObject({ name: "AbortError" })
  })

  it("rejects with the cause when the connection is refused", async () => {
    const hub = await serve(() => {})
    const url = hub.url
    await new Promise((resolve) => hub.server.close(resolve))
    servers.splice(servers.indexOf(hub.server), 1)
    await expect(fetchNow()(`${url}/x`)).rejects.toMatchObject({ code: "ECONNREFUSED" })
  })

  it("goes through the proxy named by HTTP_PROXY / HTTPS_PROXY, and straight to hosts in NO_PROXY", async () => {
    const hub = await serve((_req, res) => {
      res.writeHead(200, { "Content-Type": "application/json" })
      res.end('{"via":"direct"}')
    })
    // A forward proxy that answers itself: enough to see that the request was sent to it, in absolute form.
    const proxy = await serve((_req, res) => {
      res.writeHead(200, { "Content-Type": "application/json" })
      res.end('{"via":"proxy"}')
    })
    const saved = { HTTP_PROXY: process.env.HTTP_PROXY, NO_PROXY: process.env.NO_PROXY }
    try {
      process.env.HTTP_PROXY = proxy.url
      delete process.env.NO_PROXY
      expect(await (await fetchNow()(`${hub.url}/rate_limit`)).json()).toEqual({ via: "proxy" })
      expect(proxy.seen.map((s) => s.url)).toEqual([`${hub.url}/rate_limit`])
      process.env.NO_PROXY = "127.0.0.1"
      expect(await (await fetchNow()(`${hub.url}/rate_limit`)).json()).toEqual({ via: "direct" })
      delete process.env.HTTP_PROXY
      delete process.env.NO_PROXY
      expect(await (await fetchNow()(`${hub.url}/rate_limit`)).json()).toEqual({ via: "direct" })
    } finally {
      for (const [k, v] of Object.entries(saved))
        if (v === undefined) delete process.env[k]
        else process.env[k] = v
    }
    expect(proxy.seen).toHaveLength(1)
    expect(hub.seen).toHaveLength(2)
  })
})

describe("Transport.layer", () => {
  it("sends through the undici fetch and closes its connections when the layer is released", async () => {
    const hub = await serve((_req, res) => {
      res.writeHead(200, { "Content-Type": "application/json", "X-RateLimit-Remaining": "4999" })
      res.end('{"resources":{}}')
    })
    // The server offers a two-minute keep-alive, so only the layer's release can close the connection within the
    // test's time limit.
    hub.server.keepAliveTimeout = 120_000
    const closed = new Promise<void>((resolve) =>
      hub.server.on("connection", (socket) => socket.on("close", () => resolve()))
    )
    const res = await Effect.runPromise(
      Effect.gen(function* () {
        const transport = yield* Transport
        return yield* transport.send({ route: "GET /rate_limit" })
      }).pipe(Effect.provide(Transport.layer({ apiUrl: hub.url, token: Redacted.make("ghp_t"), userAgent: "test" })))
    )
    expect(res).toMatchObject({ status: 200, data: { resources: {} }, headers: { "x-ratelimit-remaining": "4999" } })
    expect(hub.seen[0]!.headers).toMatchObject({ authorization: "token ghp_t", "x-github-api-version": "2026-03-10" })
    await closed
  })
})
