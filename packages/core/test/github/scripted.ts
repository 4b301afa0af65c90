// A scripted Transport for client tests: answers come from a function of the request and the (test) clock,
// and every send is recorded with the time it left, so tests can prove nothing was sent too early.
import { Clock, Duration, Effect, Layer } from "effect"
import { GitHubClient } from "../../src/github/GitHubClient.ts"
import type { GitHubClientOptions } from "../../src/github/GitHubConfig.ts"
import { Transport, TransportFailure, type RawResponse, type TransportRequest } from "../../src/github/Transport.ts"
import { testClientOptions } from "./testClientOptions.ts"

export interface Sent {
  readonly at: number
  readonly request: TransportRequest
}

export type Script = (request: TransportRequest, n: number, now: number) => RawResponse | TransportFailure

export const ok = (data: unknown, headers: Record<string, string> = {}): RawResponse => ({
  status: 200,
  headers: {
    "x-ratelimit-limit": "5000",
    "x-ratelimit-remaining": "4000",
    "x-ratelimit-reset": "99999999",
    ...headers
  },
  data
})
export const status = (
  code: number,
  data: unknown = { message: "x" },
  headers: Record<string, string> = {}
): RawResponse => ({
  status: code,
  headers,
  data
})

export const options = testClientOptions

/** A client over a scripted transport; `latency` keeps each request in flight for that long (test clock). */
export const scripted = (script: Script, overrides: Partial<GitHubClientOptions> = {}, latency = Duration.zero) => {
  const sent: Array<Sent> = []
  let inFlight = 0
  const peak = { value: 0 }
  const transport = Layer.succeed(Transport, {
    send: (request) =>
      Effect.gen(function* () {
        const at = yield* Clock.currentTimeMillis
        sent.push({ at, request })
        inFlight++
        peak.value = Math.max(peak.value, inFlight)
        yield* Effect.sleep(latency)
        inFlight--
        const answer = script(request, sent.length, at)
        return answer instanceof TransportFailure ? yield* answer : answer
      })
  })
  const layer: Layer.Layer<GitHubClient> = GitHubClient.layerNoDeps(options(overrides)).pipe(Layer.provide(transport))
  return { layer, sent, peak }
}

export const space = (number: number) => ({
  id: number,
  number,
  name: `s${number}`,
  base_role: "reader",
  owner: { login: "o", id: 1 },
  creator: { login: "o", id: 1 },
  created_at: "2024-01-01T00:00:00Z",
  updated_at: "2024-01-01T00:00:00Z",
  html_url: "https://github.com/copilot/spaces/o/1",
  api_url: "https://api.github.com/organizations/1/copilot-spaces/1",
  resources_attributes: []
})
