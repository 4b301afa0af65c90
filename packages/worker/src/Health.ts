// Opt-in health and metrics on a loopback port: /healthz fails when the last run failed or a run is overdue;
// /metrics speaks the Prometheus text format.
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { Effect, Schema } from "effect"
import type { RunStatus } from "./StatusFile.ts"

export class WorkerMetrics {
  runs = 0
  failures = 0
  spacesExported = 0
  requests = 0
  rateLimitWaits = 0
  lastSuccessSeconds = 0
  last: RunStatus | undefined

  record(status: RunStatus, rateLimitWaits: number): void {
    this.runs++
    this.last = status
    this.requests += status.requests
    this.rateLimitWaits += rateLimitWaits
    if (status.result === "success") {
      this.spacesExported += status.owners.reduce((n, o) => n + o.spaces, 0)
      this.lastSuccessSeconds = Math.floor(Date.parse(status.lastRunFinishedAt) / 1000)
    } else this.failures++
  }
}

/** The first owner failure of a partial run, e.g. "ghost-org: list: GET … was not found", for the health reason. */
const firstFailure = (s: RunStatus): string | undefined => {
  const o = s.owners.find((o) => o.failures.length > 0)
  return o === undefined
    ? undefined
    : `${o.owner}: ${o.failures[0]}${s.owners.reduce((n, x) => n + x.failures.length, 0) > 1 ? " (and more in status.json)" : ""}`
}

/** Healthy unless the last run failed or the next run is more than `graceMs` late. */
export const health = (
  m: WorkerMetrics,
  nowMs: number,
  graceMs = 3_600_000
): { readonly ok: boolean; readonly reason: string } => {
  if (m.last === undefined) return { ok: true, reason: "no run yet" }
  if (m.last.result !== "success")
    return {
      ok: false,
      reason: `last run ${m.last.result}: ${m.last.error ?? firstFailure(m.last) ?? "see status.json"}`
    }
  if (m.last.nextRunAt !== null && nowMs > Date.parse(m.last.nextRunAt) + graceMs)
    return { ok: false, reason: `run overdue since ${m.last.nextRunAt}` }
  return { ok: true, reason: `last run succeeded at ${m.last.lastRunFinishedAt}` }
}

export const prometheus = (m: WorkerMetrics): string =>
  `${[
    ["spaces_vault_runs_total", "counter", "Export runs started", m.runs],
    ["spaces_vault_failures_total", "counter", "Export runs that failed or were partial", m.failures],
    ["spaces_vault_spaces_exported_total", "counter", "Spaces archived by successful runs", m.spacesExported],
    ["spaces_vault_requests_total", "counter", "HTTP requests sent to GitHub", m.requests],
    ["spaces_vault_rate_limit_waits_total", "counter", "Waits imposed by GitHub rate limits", m.rateLimitWaits],
    [
      "spaces_vault_last_success_timestamp_seconds",
      "gauge",
      "Unix time of the last successful run",
      m.lastSuccessSeconds
    ]
  ]
    .map(([name, type, help, value]) => `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n${name} ${value}`)
    .join("\n")}\n`

/** The health port cannot be bound (in use, or privileged): a setting to change, so the worker exits 2. */
export class HealthPortError extends Schema.TaggedError<HealthPortError>()("HealthPortError", {
  message: Schema.String
}) {}

const listenProblem = (e: NodeJS.ErrnoException): string =>
  e.code === "EADDRINUSE"
    ? "the port is already in use (EADDRINUSE)"
    : e.code === "EACCES"
      ? "permission denied (EACCES)"
      : e.message

/** Serves /healthz and /metrics on 127.0.0.1 for the scope's lifetime; returns the bound port. */
export const serveHealth = (m: WorkerMetrics, port: number) =>
  Effect.acquireRelease(
    Effect.tryPromise({
      try: () =>
        new Promise<{ server: ReturnType<typeof createServer>; port: number }>((resolve, reject) => {
          const server = createServer((req, res) => {
            if (req.url === "/healthz") {
              const h = health(m, Date.now())
              res
                .writeHead(h.ok ? 200 : 503, { "content-type": "text/plain" })
                .end(`${h.ok ? "ok" : "unhealthy"}: ${h.reason}\n`)
            } else if (req.url === "/metrics") {
              res.writeHead(200, { "content-type": "text/plain; version=0.0.4" }).end(prometheus(m))
            } else res.writeHead(404).end()
          })
          // Without a listener, a failed bind is an unhandled 'error' event: a stack trace and exit 1.
          server.once("error", reject)
          server.listen(port, "127.0.0.1", () => {
            server.off("error", reject)
            resolve({ server, port: (server.address() as AddressInfo).port })
          })
        }),
      catch: (e) =>
        new HealthPortError({
          message: `health.port: cannot listen on 127.0.0.1:${port}: ${listenProblem(e as NodeJS.ErrnoException)}`
        })
    }),
    ({ server }) => Effect.promise(() => new Promise<void>((r) => server.close(() => r())))
  ).pipe(Effect.map(({ port }) => port))
