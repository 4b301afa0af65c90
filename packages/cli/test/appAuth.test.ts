// The CLI with GitHub App credentials: what is wrong with them is one sentence and exit 2, before any request,
// and never quotes the key; against fakehub's App side, every installation exported and replay on the target's.
import { writeFile } from "node:fs/promises"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { startFakeHub, type FakeHub } from "@spaces-vault/fixtures"
import { Effect } from "effect"
import { cli, tmp } from "./harness.ts"

const secret = "MIIEsecretsecretsecret"

describe("spaces-vault export with a GitHub App", () => {
  it.live("a key file that is not a PEM private key: one sentence naming the file, exit 2, never the key", () =>
    Effect.gen(function* () {
      const dir = yield* tmp
      const key = join(dir, "app.pem")
      yield* Effect.promise(() =>
        writeFile(key, `-----BEGIN RSA PRIVATE KEY-----\n${secret}\n-----END RSA PRIVATE KEY-----\n`)
      )
      const out = join(dir, "out")
      const r = yield* cli(["export", "--org", "octo-org", "--out", out, "--app-id", "123", "--app-key", key], {
        GITHUB_API_URL: "http://127.0.0.1:9"
      })
      expect(r.code).toBe(2)
      expect(r.stderr).toEqual([
        `error: the private key file ${key} is not a readable PEM private key (PKCS#1 or PKCS#8, unencrypted)`
      ])
      expect(r.stderr.join("") + r.stdout.join("")).not.toContain(secret)
    })
  )

  it.live("a key file that does not exist, or an App id without a key, is exit 2", () =>
    Effect.gen(function* () {
      const dir = yield* tmp
      const missing = join(dir, "nope.pem")
      const r = yield* cli(["export", "--org", "o", "--out", dir, "--app-id", "123", "--app-key", missing])
      expect(r.code).toBe(2)
      expect(r.stderr).toEqual([`error: the private key file ${missing} cannot be read: no such file`])
      const noKey = yield* cli(["export", "--org", "o", "--out", dir], { GH_APP_ID: "123" })
      expect(noKey.code).toBe(2)
      expect(noKey.stderr).toEqual([
        "error: the GitHub App has an id but no private key: set GH_APP_PRIVATE_KEY_FILE or GH_APP_PRIVATE_KEY"
      ])
      const pemInVariable = yield* cli(["export", "--org", "o", "--out", dir], {
        GH_APP_ID: "123",
        GH_APP_PRIVATE_KEY: `-----BEGIN PRIVATE KEY-----\\n${secret}\\n-----END PRIVATE KEY-----`
      })
      expect(pemInVariable.code).toBe(2)
      expect(pemInVariable.stderr).toEqual([
        "error: GH_APP_PRIVATE_KEY is not a readable PEM private key (PKCS#1 or PKCS#8, unencrypted)"
      ])
    })
  )

  it.live("--all-installations needs App credentials", () =>
    Effect.gen(function* () {
      const dir = yield* tmp
      const r = yield* cli(["export", "--all-installations", "--out", dir], {
        GH_TOKEN: "ghp_x",
        GITHUB_API_URL: "http://127.0.0.1:9"
      })
      expect(r.code).toBe(2)
      expect(r.stderr).toEqual(["error: --all-installations needs a GitHub App: give --app-id and --app-key"])
    })
  )
})

describe("spaces-vault as a GitHub App against fakehub", () => {
  let hub: FakeHub
  let env: Record<string, string>
  beforeAll(async () => {
    hub = await startFakeHub({ seed: "demo" })
    const dir = await Effect.runPromise(tmp)
    const key = join(dir, "app.pem")
    await writeFile(key, hub.app!.privateKeyPem, { mode: 0o600 })
    env = {
      GITHUB_API_URL: hub.url,
      GH_APP_ID: String(hub.app!.id),
      GH_APP_PRIVATE_KEY_FILE: key,
      // In Actions a repository's token: never used for users' own spaces.
      GITHUB_TOKEN: hub.tokens.mona,
      SPACES_VAULT_STATE_DIR: join(dir, "state")
    }
  })
  afterAll(async () => {
    expect(hub.counters.contractViolations).toEqual([])
    await hub.close()
  })

  it.live("--all-installations exports every organization the App is installed on, each with its budget", () =>
    Effect.gen(function* () {
      const out = yield* tmp
      const r = yield* cli(["export", "--all-installations", "--out", out, "--json"], env)
      expect(r.code).toBe(0)
      const owners = r.json().owners as Array<{ owner: string; budget: { limit: number; resetAt: string } }>
      expect(owners.map((o) => o.owner)).toEqual(["octo-org", "octo-archive", "octo-migrated"])
      for (const o of owners) {
        expect(o.budget.limit).toBe(5000)
        expect(o.budget.resetAt).toMatch(/^\d{4}-\d\d-\d\dT/)
      }
      // A user's own spaces: GITHUB_TOKEN is not used with an App, and the owner says why it failed.
      const mona = yield* cli(["export", "--org", "octo-org", "--user", "mona", "--out", out, "--json"], env)
      expect(mona.code).toBe(1)
      expect(mona.json().owners[1]).toMatchObject({ owner: "mona", failed: 1 })
    })
  )

  it.live("replay plans into the target organization with its installation's token", () =>
    Effect.gen(function* () {
      const out = yield* tmp
      const exported = yield* cli(["export", "--org", "octo-org", "--out", out, "--json"], env)
      const archive = exported.json().archive as string
      const r = yield* cli(["replay", archive, "--to", "octo-archive", "--dry-run", "--json"], env)
      expect(r.stderr).toEqual([])
      expect(r.code).toBe(0)
      expect(r.json().dryRun).toBe(true)
      expect(r.json().created.length).toBeGreaterThan(0)
    })
  )

  it.live("restore plans a deleted space back with the owner's installation, the App given as flags", () =>
    Effect.gen(function* () {
      const out = yield* tmp
      const exported = yield* cli(["export", "--org", "octo-archive", "--out", out, "--json"], env)
      expect(exported.code).toBe(0)
      hub.state.deleteSpace("octo-archive", 3)
      // The App given as flags, as a person would at a shell, not through GH_APP_*.
      const { GH_APP_ID: _id, GH_APP_PRIVATE_KEY_FILE: key, ...withoutApp } = env
      const appFlags = ["--app-id", String(hub.app!.id), "--app-key", key!]
      const args = ["restore", "--from", out, "--space", "octo-archive/3", ...appFlags, "--dry-run", "--json"]
      const r = yield* cli(args, withoutApp)
      expect(r.stderr).toEqual([])
      expect(r.code).toBe(0)
      expect(r.json().created.map((c: { source: { number: number } }) => c.source.number)).toEqual([3])
    })
  )
})
