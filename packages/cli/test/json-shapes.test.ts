// Every command's --json output against docs/json.md: run in-process against fakehub, in the cases that fill every
// documented field (failures, empty and non-empty lists, dry runs), each field present with its documented type.
// Fields the document does not name are allowed, so fields added later keep these tests green. `it.live`: the
// commands run on the real clock (archive names carry the time, replay paces its writes).
import { copyFile, mkdtemp, readFile, writeFile } from "node:fs/promises"
import { writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { startFakeHub, type FakeHub } from "@spaces-vault/fixtures"
import { checkShape, readShapes } from "@spaces-vault/fixtures/jsonShapes"
import { Effect } from "effect"
import { cli, type CliResult } from "./harness.ts"

const shapes = Effect.promise(() => readFile(new URL("../../../docs/json.md", import.meta.url), "utf8")).pipe(
  Effect.map(readShapes)
)
const tmp = () => Effect.promise(() => mkdtemp(join(tmpdir(), "sv-json-")))

/** A demo hub for one test; its exchanges must follow GitHub's OpenAPI description. */
const withHub = <A>(f: (hub: FakeHub, env: Record<string, string>) => Effect.Effect<A>) =>
  Effect.acquireUseRelease(
    Effect.promise(() => startFakeHub({ seed: "demo" })),
    (hub) =>
      f(hub, { GH_TOKEN: hub.token, GITHUB_API_URL: hub.url }).pipe(
        Effect.tap(() => Effect.sync(() => assert.deepStrictEqual(hub.counters.contractViolations, [])))
      ),
    (hub) => Effect.promise(() => hub.close())
  )

/**
 * Runs each case of `command`, checks that it printed one JSON object of the documented shape with the expected exit
 * code, and that the cases together reached every documented field.
 */
const checkCommand = (
  command: string,
  cases: ReadonlyArray<{
    readonly args: ReadonlyArray<string>
    readonly code: number
    /** Sets the scene for this case (a fault, a change on the hub). */
    readonly before?: () => void
    /** Variables this case adds to the command's environment (e.g. a GitHub App's). */
    readonly env?: Record<string, string>
  }>,
  env: Record<string, string>,
  /** Optional fields no case can reach today, each with the reason. */
  unreachable: Record<string, string> = {}
) =>
  Effect.gen(function* () {
    const rules = (yield* shapes).get(command)
    assert.isDefined(rules, `docs/json.md has no "## ${command}" section`)
    assert.isAbove(rules!.length, 0)
    const seen = new Set<string>()
    const outputs: Array<CliResult> = []
    for (const c of cases) {
      c.before?.()
      const r = yield* cli([command, ...c.args, "--json"], { ...env, ...c.env })
      assert.strictEqual(r.code, c.code, `${command} ${c.args.join(" ")}: ${r.stderr.join("\n")}`)
      assert.strictEqual(r.stdout.length, 1, `${command} ${c.args.join(" ")} prints one JSON object`)
      assert.deepStrictEqual(checkShape(rules!, r.json(), seen), [], `${command} ${c.args.join(" ")}`)
      outputs.push(r)
    }
    const unreached = rules!.map((r) => r.field).filter((f) => !seen.has(f) && unreachable[f] === undefined)
    assert.deepStrictEqual(unreached, [], `${command}: documented fields no case reached`)
    return outputs
  })

/** A recipient (its identity is not needed: nothing here decrypts what is encrypted to it). */
const RECIPIENT = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"

const exportTo = (env: Record<string, string>, out: string, ...owners: Array<string>) =>
  cli(["export", ...owners, "--out", out, "--json"], env).pipe(Effect.map((r) => r.json().archive as string))

describe("docs/json.md", () => {
  it.live("documents every command and the worker's status file", () =>
    Effect.gen(function* () {
      const documented = [...(yield* shapes).keys()]
      for (const section of [
        "export",
        "verify",
        "inspect",
        "diff",
        "replay",
        "restore",
        "history",
        "prune",
        "decrypt",
        "status.json"
      ])
        assert.include(documented, section)
    })
  )
})

describe("--json shapes", () => {
  it.live("export: a complete and a partial run, and the changes of the next night", () =>
    withHub((hub, env) =>
      Effect.gen(function* () {
        const out = yield* tmp()
        yield* checkCommand(
          "export",
          [
            { args: ["--org", "octo-archive", "--user", "mona", "--out", out], code: 0 },
            // mona is a user given as an organization: the partial owner says what she is.
            { args: ["--org", "octo-migrated", "--org", "mona", "--out", out], code: 1 },
            // As a GitHub App: each owner's budget is its installation's.
            {
              args: ["--org", "octo-org", "--out", out],
              code: 0,
              env: { GH_APP_ID: String(hub.app!.id), GH_APP_PRIVATE_KEY: hub.app!.privateKeyPem }
            },
            // The next night against the first: one space deleted, one added, one changed.
            {
              args: ["--org", "octo-archive", "--out", out],
              code: 0,
              before: () => {
                hub.state.deleteSpace("octo-archive", 1)
                hub.state.createSpace("octo-archive", { name: "Added later" })
                hub.state.updateSpace("octo-archive", 2, { name: "Renamed" })
              }
            },
            // One shard of one: every owner, the shard and the run id in the summary.
            { args: ["--org", "octo-archive", "--out", out, "--shard", "0/1", "--run-id", "night-1"], code: 0 },
            // Encrypted (into its own directory: its recipients differ from the plaintext archives').
            { args: ["--org", "octo-archive", "--out", join(out, "encrypted"), "--encrypt-to", RECIPIENT], code: 0 }
          ],
          env,
          Object.fromEntries(
            // A name is optional: encrypted archives read without an identity have none.
            ["number", "name?", "as"].map((f) => [
              `changes.*.restored[].${f}`,
              "needs a replay journal; cli/test/commands/restore.test.ts and core/test/report/ChangeReport.test.ts check it"
            ])
          )
        )
      })
    )
  )

  it.live("verify: a sound archive and a damaged one", () =>
    withHub((_hub, env) =>
      Effect.gen(function* () {
        const out = yield* tmp()
        const archive = yield* exportTo(env, out, "--user", "mona")
        const partial = yield* exportTo(env, yield* tmp(), "--user", "mona", "--org", "ghost-org")
        const damaged = join(out, "damaged.zip")
        yield* Effect.promise(() => writeFile(damaged, "not a zip"))
        yield* checkCommand(
          "verify",
          [
            { args: [archive], code: 0 },
            { args: [partial], code: 1 },
            { args: [damaged], code: 1 }
          ],
          env
        )
      })
    )
  )

  it.live("inspect: an archive with a failed owner and a space deleted during the export", () =>
    withHub((hub, env) =>
      Effect.gen(function* () {
        const out = yield* tmp()
        hub.faults.vanishAfterList("octo-archive", 2)
        const archive = yield* exportTo(env, out, "--org", "octo-archive", "--org", "ghost-org")
        const shard = yield* exportTo(env, yield* tmp(), "--org", "octo-archive", "--shard", "0/1")
        const [r] = yield* checkCommand(
          "inspect",
          [
            { args: [archive], code: 0 },
            { args: [shard], code: 0 }
          ],
          env
        )
        assert.deepStrictEqual(r!.json().owners[0].vanished, [2])
      })
    )
  )

  it.live("diff: added, removed, changed and unverified spaces", () =>
    withHub((hub, env) =>
      Effect.gen(function* () {
        const out = yield* tmp()
        const old = yield* exportTo(env, out, "--org", "octo-archive", "--user", "mona")
        hub.state.createSpace("octo-archive", { name: "Added later" })
        hub.state.deleteSpace("octo-archive", 1)
        hub.state.updateSpace("octo-archive", 2, {
          name: "Renamed",
          description: "New description",
          general_instructions: "New instructions."
        })
        // NEW leaves mona out: her spaces are missing from it without having been checked.
        const newerDir = yield* tmp()
        const newer = yield* exportTo(env, newerDir, "--org", "octo-archive")
        // A directory: the newest archive, a new owner with no baseline, and an unreadable archive.
        yield* Effect.promise(() => copyFile(old, join(newerDir, "spaces-vault-20200101T000000Z.zip")))
        yield* Effect.promise(() => writeFile(join(newerDir, "spaces-vault-20200102T000000Z.zip"), "not a zip"))
        yield* exportTo(env, newerDir, "--org", "octo-archive", "--org", "octo-migrated")
        const [, dir] = yield* checkCommand(
          "diff",
          [
            { args: [old, newer], code: 0 },
            { args: [newerDir], code: 0 }
          ],
          env,
          {
            "removed[].restoredAs?":
              "needs a replay journal; cli/test/commands/restore.test.ts restores a space and checks diff marks it"
          }
        )
        assert.deepStrictEqual(
          dir!.json().baselines.map((b: { owner: string; baseline: string | null }) => [b.owner, b.baseline === null]),
          [
            ["octo-archive", false],
            ["octo-migrated", true]
          ]
        )
      })
    )
  )

  it.live("replay: created, updated, skipped, failed and unmapped spaces, and a dry run", () =>
    withHub((hub, env) =>
      Effect.gen(function* () {
        const out = yield* tmp()
        const archive = yield* exportTo(env, out, "--org", "octo-archive")
        hub.state.deleteSpace("octo-archive", 5) // its one resource is an upload: unmapped
        hub.state.deleteSpace("octo-archive", 2)
        hub.state.deleteSpace("octo-archive", 6)
        hub.state.updateSpace("octo-archive", 3, { general_instructions: "Changed since the backup." })
        const fast = ["--write-rate", "6000"]
        // Space 5's two user collaborators (linus, hubot) merged into one account: a note and two mappings.
        const userMap = join(out, "users.json")
        yield* Effect.promise(() => writeFile(userMap, JSON.stringify({ linus: "ada", hubot: "ada" })))
        const [dry] = yield* checkCommand(
          "replay",
          [
            { args: [archive, "--space", "octo-archive/5", "--dry-run", ...fast], code: 0 },
            {
              args: [archive, "--space", "octo-archive/5", "--to", "octo-migrated", "--user-map", userMap, "--dry-run"],
              code: 0
            },
            { args: [archive, "--space", "octo-archive/5", ...fast], code: 0 },
            { args: [archive, "--space", "octo-archive/3", "--on-conflict", "update", ...fast], code: 0 },
            { args: [archive, "--space", "octo-archive/4", ...fast], code: 0 },
            {
              // A create GitHub answers with a 5xx is never resent (it may have been applied): the space fails.
              args: [archive, "--space", "octo-archive/2", ...fast],
              code: 1,
              before: () => hub.faults.serverErrors(1, { route: "POST /orgs/{org}/copilot-spaces", status: 502 })
            },
            {
              // The space is created, then adding a collaborator fails: the failure names the new space.
              args: [archive, "--space", "octo-archive/6", ...fast],
              code: 1,
              before: () =>
                hub.faults.serverErrors(1, {
                  route: "POST /orgs/{org}/copilot-spaces/{space_number}/collaborators",
                  status: 502
                })
            }
          ],
          env,
          {
            "interrupted?":
              "only a signal reaches it; cli/test/commands/replay.test.ts stops a replay with SIGINT and checks it"
          }
        )
        assert.strictEqual(dry!.json().dryRun, true)
      })
    )
  )

  it.live("restore and history: a deleted space brought back, and its versions", () =>
    withHub((hub, env) =>
      Effect.gen(function* () {
        const out = yield* tmp()
        yield* exportTo(env, out, "--org", "octo-archive")
        hub.state.updateSpace("octo-archive", 3, { name: "Renamed" })
        hub.state.deleteSpace("octo-archive", 4)
        yield* exportTo(env, out, "--org", "octo-archive")
        // An unreadable archive is skipped, said on stderr and in history's `unreadable`.
        yield* Effect.promise(() => writeFile(join(out, "spaces-vault-20200101T000000Z.zip"), "not a zip"))
        const state = { ...env, SPACES_VAULT_STATE_DIR: yield* tmp() }
        yield* checkCommand(
          "restore",
          [
            { args: ["--from", out, "--space", "octo-archive/4", "--dry-run"], code: 0 },
            { args: ["--from", out, "--deleted-since", "1d", "--write-rate", "6000"], code: 0 }
          ],
          state
        )
        yield* checkCommand(
          "history",
          [
            { args: ["--from", out, "--space", "octo-archive/3"], code: 0 },
            { args: ["--from", out, "--space", "octo-archive/4"], code: 0 }
          ],
          state
        )
      })
    )
  )

  it.live("prune: kept, removed and unreadable archives", () =>
    withHub((_hub, env) =>
      Effect.gen(function* () {
        const out = yield* tmp()
        const archive = yield* exportTo(env, out, "--user", "mona")
        yield* Effect.promise(() => copyFile(archive, join(out, "spaces-vault-20300101T000000Z.zip")))
        const unreadable = () => writeFileSync(join(out, "spaces-vault-20200101T000000Z.zip"), "not a zip")
        yield* checkCommand(
          "prune",
          [
            { args: [out, "--keep-last", "1", "--dry-run"], code: 0 },
            // An archive it cannot read is kept and reported, with exit code 1.
            { args: [out, "--keep-last", "1"], code: 1, before: unreadable }
          ],
          env,
          {
            // Only S3 with Object Lock retains an archive; the local S3 server has no Object Lock (the S3 layer's
            // double tests it: core/test/archive/s3/S3Archives.double.test.ts).
            "retained[].name": "needs Object Lock",
            "retained[].detail": "needs Object Lock"
          }
        )
      })
    )
  )

  it.live("decrypt: an encrypted archive written back as plaintext", () =>
    withHub((_hub, env) =>
      Effect.gen(function* () {
        const out = yield* tmp()
        const keygen = yield* cli(["keygen", "--out", join(out, "key.txt"), "--json"], env)
        const archive = yield* cli(
          ["export", "--user", "mona", "--out", out, "--encrypt-to", keygen.json().recipient, "--json"],
          env
        ).pipe(Effect.map((r) => r.json().archive as string))
        yield* checkCommand(
          "decrypt",
          [{ args: [archive, "--identity", join(out, "key.txt"), "--out", join(out, "plain.zip")], code: 0 }],
          env
        )
      })
    )
  )
})
