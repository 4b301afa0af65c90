// Opt-in health and metrics on a loopback port: /healthz fails when the last run did not succeed or a run is
// overdue (read on effect's Clock, so tests drive it with TestClock); /metrics is RunHistory's Prometheus text.
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { Clock, Effect, Schema } from "effect"
import { RunHistory } from "./RunHistory.ts"
import type { RunStatus } from "./StatusFile.ts"

/** The first owner failure of a partial run, e.g. "ghost-org: list: GET … was not found", for the health reason. */
const firstFailure = (s: RunStatus): string | undefined => {
  const o = s.owners.find((o) => o.failures.length > 0)
  if (o === undefined) return undefined
  const more = s.owners.reduce((n, x) => n + x.failures.length, 0) > 1 ? " (and more in status.json)" : ""
  return `${o.owner}: ${o.failures[0]}${more}`
}

export interface Health {
  readonly ok: boolean
  readonly reason: string
}

/** Healthy unless the last run did not succeed or the next run is more than `graceMs` late. */
export const health = (last: RunStatus | undefined, nowMs: number, graceMs = 3_600_000): Health => {
  if (last === undefined) return { ok: true, reason: "no run yet" }
  if (last.result !== "success")
    return { ok: false, reason: `last run ${last.result}: ${last.error ?? firstFailure(last) ?? "see status.json"}` }
  if (last.nextRunAt !== null && nowMs > Date.parse(last.nextRunAt) + graceMs)
    return { ok: false, reason: `run overdue since ${last.nextRunAt}` }
  return { ok: true, reason: `last run succeeded at ${last.lastRunFinishedAt}` }
}

/** The worker's health now, by the Clock. */
export const currentHealth = Effect.gen(function* () {
  const history = yield* RunHistory
  return health(yield* history.last, yield* Clock.currentTimeMillis)
})

/** The health port cannot be bound (in use, or privileged): a setting to change, so the worker exits 2. */
export class HealthPortError extends Schema.TaggedError<HealthPortError>()("HealthPortError", {
  port: Schema.Number,
  problem: Schema.String
}) {
  override get message(): string {
    return `health.port: cannot listen on 127.0.0.1:${this.port}: ${this.problem}`
  }
}

const listenProblem = (e: NodeJS.ErrnoException): string =>
  e.code === "EADDRINUSE"
    ? "the port is already in use (EADDRINUSE)"
    : e.code === "EACCES"
      ? "permission denied (EACCES)"
      : e.message

/** One response: status, content type and body. */
const respond = (url: string | undefined) =>
  Effect.gen(function* () {
    if (url === "/healthz") {
      const h = yield* currentHealth
      return { status: h.ok ? 200 : 503, type: "text/plain", body: `${h.ok ? "ok" : "unhealthy"}: ${h.reason}\n` }
    }
    if (url === "/metrics") {
      const body = yield* (yield* RunHistory).prometheus
      return { status: 200, type: "text/plain; version=0.0.4", body }
    }
    return { status: 404, type: "text/plain", body: "" }
  })

/** Serves /healthz and /metrics on 127.0.0.1 for the scope's lifetime; returns the bound port. */
export const serveHealth = (port: number) =>
  Effect.gen(function* () {
    // Requests are answered with the services (RunHistory, Clock) of the effect that started the server.
    const answer = Effect.runPromiseWith(yield* Effect.context<RunHistory>())
    const { port: bound } = yield* Effect.acquireRelease(
      Effect.tryPromise({
        try: () =>
          new Promise<{ server: ReturnType<typeof createServer>; port: number }>((resolve, reject) => {
            const server = createServer((req, res) => {
              answer(respond(req.url)).then(
                (r) => res.writeHead(r.status, { "content-type": r.type }).end(r.body),
                () => res.writeHead(500).end()
              )
            })
            // Without a listener, a failed bind is an unhandled 'error' event: a stack trace and exit 1.
            server.once("error", reject)
            server.listen(port, "127.0.0.1", () => {
              server.off("error", reject)
              resolve({ server, port: (server.address() as AddressInfo).port })
            })
          }),
        catch: (e) => new HealthPortError({ port, problem: listenProblem(e as NodeJS.ErrnoException) })
      }),
      ({ server }) => Effect.promise(() => new Promise<void>((r) => server.close(() => r())))
    )
    return bound
  })
