import { Effect, Redacted, Duration } from "effect"
import { layer } from "./src/github/GitHubClientLive.ts"
import { defaultRetryOptions } from "./src/github/RetryPolicy.ts"
import { exportSpaces } from "./src/export/ExportSpaces.ts"
const opts = { ...defaultRetryOptions, backoffBase: Duration.millis(50), apiUrl: "http://127.0.0.1:18181", token: Redacted.make("ghp_fakehubDemoTokenForOctocat000000000"), concurrency: 8, writesPerMinute: 60, userAgent: "t" }
const prog = exportSpaces({ owners: [{ kind: "org", login: "octo-archive" }], outDir: "/tmp/arch2", onProgress: (e) => Effect.sync(() => console.log(JSON.stringify(e))) })
console.log(await Effect.runPromise(prog.pipe(Effect.provide(layer(opts)))))
