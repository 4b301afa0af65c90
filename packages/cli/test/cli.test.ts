// The CLI in-process, as a user types it, against fakehub: outputs and every exit code. `it.live`: the commands
// run on the real clock (archive names carry the time, replay paces its writes).
import { readdir, writeFile } from "node:fs/promises"
import { join } from "node:path"
import { afterAll, assert, beforeAll, describe, expect, it } from "@effect/vitest"
import { startFakeHub, type FakeHub } from "@spaces-vault/fixtures"
import { VERSION } from "@spaces-vault/program/Version"
import { Effect } from "effect"
import { cli, tmp } from "./harness.ts"

let hub: FakeHub
let env: Record<string, string>
beforeAll(async () => {
  hub = await startFakeHub({ seed: "demo" })
  // Replay journals and locks in a temporary state directory, never the user's.
  const stateDir = await Effect.runPromise(tmp)
  env = { GH_TOKEN: hub.token, GITHUB_API_URL: hub.url, SPACES_VAULT_STATE_DIR: stateDir }
})
afterAll(async () => {
  expect(hub.counters.contractViolations).toEqual([])
  await hub.close()
})

const ls = (dir: string) => Effect.promise(() => readdir(dir))

/** An export of octo-archive into `out`, for the tests that need an archive: its path. */
const exportedArchive = (out: string) =>
  Effect.runPromise(cli(["export", "--org", "octo-archive", "--out", out, "--json"], env)).then((r) => r.json().archive)

describe("spaces-vault export", () => {
  it.live("exits 0 and prints exactly one JSON object with --json", () =>
    Effect.gen(function* () {
      const out = yield* tmp
      const r = yield* cli(["export", "--org", "octo-archive", "--user", "mona", "--out", out, "--json"], env)
      expect(r.code).toBe(0)
      expect(r.stdout).toHaveLength(1)
      const summary = r.json()
      expect(Object.keys(summary).sort()).toEqual(["archive", "changes", "owners", "partial", "requests", "runId"])
      expect(summary.partial).toBe(false)
      // The first archive of the directory: no owner has a baseline to compare with.
      expect(summary.changes).toEqual({})
      expect(summary.owners).toEqual([
        { owner: "octo-archive", kind: "org", spaces: 60, failed: 0 },
        { owner: "mona", kind: "user", spaces: 8, failed: 0 }
      ])
      expect(yield* ls(out)).toEqual([summary.archive.split("/").pop()])
    })
  )

  it.live("prints a human summary without --json", () =>
    Effect.gen(function* () {
      const r = yield* cli(["export", "--org", "octo-archive", "--out", yield* tmp], env)
      expect(r.code).toBe(0)
      expect(r.stdout[0]).toMatch(
        /^archive: .*spaces-vault-\d{8}T\d{6}Z\.zip\n {2}org octo-archive: 60 spaces\nrequests: /
      )
    })
  )

  it.live("accepts comma-separated owners and GITHUB_TOKEN", () =>
    Effect.gen(function* () {
      const r = yield* cli(["export", "--org", "octo-archive,octo-org", "--out", yield* tmp, "--json"], {
        GITHUB_TOKEN: hub.token,
        GITHUB_API_URL: hub.url
      })
      expect(r.code).toBe(0)
      expect(r.json().owners.map((o: { owner: string }) => o.owner)).toEqual(["octo-archive", "octo-org"])
    })
  )

  it.live("exits 1 with a partial archive when an owner fails", () =>
    Effect.gen(function* () {
      const r = yield* cli(
        ["export", "--org", "octo-archive", "--org", "ghost-org", "--out", yield* tmp, "--json"],
        env
      )
      expect(r.code).toBe(1)
      expect(r.json()).toMatchObject({
        partial: true,
        owners: [
          { owner: "octo-archive", failed: 0 },
          { owner: "ghost-org", spaces: 0, failed: 1 }
        ]
      })
      expect(Object.keys(r.json().owners[1]).sort()).toEqual(["failed", "kind", "owner", "spaces"])
      // On a terminal or in a log, the summary says why the owner failed.
      const human = yield* cli(["export", "--user", "mona", "--org", "ghost-org", "--out", yield* tmp], env)
      expect(human.code).toBe(1)
      expect(human.stdout.join("\n")).toMatch(
        /org ghost-org: 0 spaces, 1 failed\n {4}list: GET \/orgs\/ghost-org\/copilot-spaces was not found, or the token cannot see it/
      )
    })
  )

  it.live("exits 1 with one sentence and writes no archive when no owner could be read", () =>
    Effect.gen(function* () {
      const out = yield* tmp
      for (const json of [[], ["--json"]]) {
        const r = yield* cli(["export", "--org", "octo-orgg", "--out", out, ...json], env)
        expect(r.code).toBe(1)
        expect(r.stdout).toEqual([])
        expect(r.stderr).toEqual([
          expect.stringMatching(
            /^error: no owner could be read, so no archive was written: octo-orgg: list: GET \/orgs\/octo-orgg\/copilot-spaces was not found/
          )
        ])
      }
      expect(yield* ls(out)).toEqual([])
    })
  )

  it.live("says to use --user for a user given as --org, and --org the other way round", () =>
    Effect.gen(function* () {
      const out = yield* tmp
      const r = yield* cli(["export", "--org", "mona", "--user", "octo-org", "--out", out], env)
      expect(r.code).toBe(1)
      expect(r.stderr).toHaveLength(1)
      expect(r.stderr[0]).toMatch(/mona: list: .*\(mona is a user, not an organization\): use --user mona; /)
      expect(r.stderr[0]).toMatch(/octo-org: list: .*\(octo-org is an organization, not a user\): use --org octo-org$/)
      expect(yield* ls(out)).toEqual([])
      // Beside an owner that was read: a partial archive, and the summary says which flag was meant.
      const partial = yield* cli(["export", "--org", "octo-migrated", "--org", "mona", "--out", out], env)
      expect(partial.code).toBe(1)
      expect(partial.stdout[0]).toMatch(/ {2}org mona: 0 spaces, 1 failed \(use --user mona\)\n/)
      const json = yield* cli(["export", "--org", "octo-migrated", "--org", "mona", "--out", out, "--json"], env)
      expect(json.json().owners[1]).toEqual({ owner: "mona", kind: "org", spaces: 0, failed: 1, actualKind: "user" })
    })
  )

  it.live("exits 2 without a token, naming both variables, and writes nothing", () =>
    Effect.gen(function* () {
      const out = yield* tmp
      const r = yield* cli(["export", "--org", "octo-org", "--out", out], { GITHUB_API_URL: hub.url })
      expect(r.code).toBe(2)
      expect(r.stderr).toEqual(["error: no GitHub token: set GH_TOKEN or GITHUB_TOKEN"])
      expect(yield* ls(out)).toEqual([])
    })
  )

  it.live("exits 2 for usage errors: no owner, bad concurrency, unknown flag, bad API URL", () =>
    Effect.gen(function* () {
      const out = yield* tmp
      expect((yield* cli(["export", "--out", out], env)).code).toBe(2)
      const bad = yield* cli(["export", "--org", "o", "--out", out, "--concurrency", "500"], env)
      expect(bad.code).toBe(2)
      expect(bad.stderr[0]).toMatch(/--concurrency must be an integer from 1 to 100/)
      expect((yield* cli(["export", "--org", "o", "--out", out, "--bogus"], env)).code).toBe(2)
      expect((yield* cli(["export", "--org", "o", "--out", out, "--concurrency", "many"], env)).code).toBe(2)
      const url = yield* cli(["export", "--org", "o", "--out", out, "--api-url", "ftp://x"], env)
      expect(url.code).toBe(2)
      expect(url.stderr[0]).toMatch(/must start with https:\/\//)
    })
  )

  it.live(
    "exits 2 before any request for owners that are not logins, paths that cannot work and a clear-text API URL",
    () =>
      Effect.gen(function* () {
        const out = yield* tmp
        const sent = hub.counters.requests
        const usage = (args: ReadonlyArray<string>, message: RegExp) =>
          Effect.gen(function* () {
            const r = yield* cli(["export", ...args], env)
            expect(r.code).toBe(2)
            expect(r.stdout).toEqual([])
            expect(r.stderr[0]).toMatch(message)
          })
        yield* usage(["--org", "octo org", "--out", out], /"octo org" is not a GitHub login/)
        yield* usage(
          ["--org", "mona", "--user", "mona", "--out", out],
          /mona is given as both an organization and a user/
        )
        yield* usage(
          ["--org", "octo-org", "--out", out, "--since", join(out, "nosuch.zip")],
          /--since .*nosuch\.zip: no such archive/
        )
        yield* Effect.promise(() => writeFile(join(out, "a-file"), "x"))
        yield* usage(["--org", "octo-org", "--out", join(out, "a-file")], /--out .*a-file is not a directory/)
        yield* usage(["--org", "octo-org", "--out", ""], /--out must name a directory/)
        yield* usage(
          ["--org", "octo-org", "--out", out, "--api-url", "http://192.0.2.2:8080"],
          /must use https:\/\/ .*clear text/
        )
        expect(hub.counters.requests).toBe(sent)
        expect(yield* ls(out)).toEqual(["a-file"])
      })
  )

  it.live("exports an owner given twice, in any case, once", () =>
    Effect.gen(function* () {
      const r = yield* cli(
        ["export", "--org", "octo-archive", "--org", "OCTO-ARCHIVE,octo-archive", "--out", yield* tmp, "--json"],
        env
      )
      expect(r.code).toBe(0)
      expect(r.json().owners).toEqual([{ owner: "octo-archive", kind: "org", spaces: 60, failed: 0 }])
    })
  )

  it.live("exits 1 when GitHub rejects the token, without printing it", () =>
    Effect.gen(function* () {
      const r = yield* cli(["export", "--org", "octo-org", "--out", yield* tmp], {
        GH_TOKEN: "ghp_secret_revoked",
        GITHUB_API_URL: hub.url
      })
      expect(r.code).toBe(1)
      expect(r.stderr.join("\n")).toMatch(/GitHub rejected the token/)
      expect(r.stderr.join("\n")).not.toContain("ghp_secret_revoked")
    })
  )
})

describe("spaces-vault verify, inspect, diff", () => {
  let first: string
  let second: string
  beforeAll(async () => {
    const out = await Effect.runPromise(tmp)
    first = await exportedArchive(out)
    hub.state.updateSpace("octo-archive", 2, { base_role: "admin" })
    hub.state.deleteSpace("octo-archive", 3)
    second = await exportedArchive(out)
  })

  it.live("verify exits 0 on a good archive and 1 on a corrupt or missing one", () =>
    Effect.gen(function* () {
      const ok = yield* cli(["verify", first, "--json"])
      expect(ok.code).toBe(0)
      expect(ok.json()).toMatchObject({ ok: true, counts: { owners: 1, spaces: 60 } })
      // One owner is "1 owner".
      assert.match(
        (yield* cli(["verify", first])).stdout[0]!,
        /^ok: .* \(format 1, 1 owner, 60 spaces, \d+ entries verified\)$/
      )
      const bad = join(yield* tmp, "bad.zip")
      yield* Effect.promise(() => writeFile(bad, "not a zip"))
      const r = yield* cli(["verify", bad])
      expect(r.code).toBe(1)
      expect(r.stdout[0]).toMatch(/^FAILED: .*\n {2}- archive .* is not a readable zip file/)
      expect((yield* cli(["verify", "/nonexistent.zip"])).code).toBe(1)
      expect((yield* cli(["verify", bad, "--json"])).json()).toMatchObject({
        ok: false,
        intact: false,
        complete: false
      })
    })
  )

  it.live("verify exits 1 on an intact archive of a partial export, naming the owners that failed", () =>
    Effect.gen(function* () {
      const partial = (yield* cli(
        ["export", "--user", "mona", "--org", "ghost-org", "--out", yield* tmp, "--json"],
        env
      )).json().archive
      const j = yield* cli(["verify", partial, "--json"])
      expect(j.code).toBe(1)
      expect(j.json()).toMatchObject({
        ok: false,
        intact: true,
        complete: false,
        problems: [],
        failedOwners: [
          { login: "ghost-org", kind: "org", failures: [expect.stringMatching(/^list: GET \/orgs\/ghost-org/)] }
        ]
      })
      const text = yield* cli(["verify", partial])
      expect(text.code).toBe(1)
      expect(text.stdout[0]).toMatch(
        /^PARTIAL: .* is intact \(format 1, 2 owners, 8 spaces, .*\), but its export did not read everything:\n {2}- org ghost-org: 1 failed\n {6}list: GET /
      )
    })
  )

  it.live("inspect lists owners and spaces", () =>
    Effect.gen(function* () {
      const r = yield* cli(["inspect", first])
      expect(r.code).toBe(0)
      expect(r.stdout[0]).toMatch(/org octo-archive: 60 spaces, complete/)
      expect(r.stdout[0]).toMatch(/#1 +Incident response 1 +\[\d+ resources?, \d+ collaborators?\]/)
      // Counts agree with their nouns: "1 resource", "2 collaborators".
      expect(r.stdout[0]).toMatch(/\[1 resource, \d+ collaborators\]/)
      expect(r.stdout[0]).toMatch(/\[\d+ resources, 1 collaborator\]/)
      const j = yield* cli(["inspect", first, "--json"])
      expect(j.json().owners[0].spaces).toHaveLength(60)
      expect((yield* cli(["inspect", "/nonexistent.zip"])).code).toBe(1)
    })
  )

  it.live("diff lists the deleted space and what changed", () =>
    Effect.gen(function* () {
      const r = yield* cli(["diff", first, second, "--json"])
      expect(r.code).toBe(0)
      const d = r.json()
      expect(d.removed).toEqual([{ owner: "octo-archive", number: 3, name: expect.any(String) }])
      expect(d.changed).toEqual([
        expect.objectContaining({ number: 2, changes: [expect.stringMatching(/^base_role: \w+ -> admin$/)] })
      ])
      expect(d.added).toEqual([])
      const text = yield* cli(["diff", first, second])
      expect(text.stdout[0]).toMatch(/removed \(1\):\n {2}octo-archive\/3 /)
    })
  )

  it.live("diff never calls removed what the newer archive did not cover", () =>
    Effect.gen(function* () {
      const other = (yield* cli(["export", "--org", "octo-migrated", "--out", yield* tmp, "--json"], env)).json()
        .archive
      const r = yield* cli(["diff", first, other, "--json"])
      expect(r.code).toBe(0)
      expect(r.json().removed).toEqual([])
      expect(r.json().unverified).toHaveLength(60)
      expect(r.json().unverified[0]).toMatchObject({
        owner: "octo-archive",
        number: 1,
        reason: "the newer archive does not include octo-archive"
      })
      // One line per owner, however many spaces it had.
      expect((yield* cli(["diff", first, other])).stdout[0]).toMatch(
        /unverified: missing from NEW, which could not check them \(60\):\n {2}octo-archive: 60 spaces \(#1, #2, #3, #4, #5, #6, #7, #8, #9, #10 and 50 more\): the newer archive does not include octo-archive\nunchanged: 0$/
      )
    })
  )
})

describe("spaces-vault diff DIR and prune, per owner", () => {
  // A hub of their own: these exports would push the shared one over its per-minute points.
  let own: FakeHub
  let ownEnv: Record<string, string>
  beforeAll(async () => {
    own = await startFakeHub({ seed: "demo" })
    ownEnv = { GH_TOKEN: own.token, GITHUB_API_URL: own.url }
  })
  afterAll(async () => {
    expect(own.counters.contractViolations).toEqual([])
    await own.close()
  })
  const exportTo = (out: string, owners: ReadonlyArray<string>) =>
    cli(["export", ...owners, "--out", out, "--json"], ownEnv).pipe(Effect.map((r) => r.json().archive as string))
  const base = (p: string) => p.split("/").pop()

  it.live("diff DIR compares the newest archive with each owner's newest earlier complete archive", () =>
    Effect.gen(function* () {
      const out = yield* tmp
      const first = yield* exportTo(out, ["--org", "octo-migrated", "--user", "mona"])
      const gone = own.state.listSpaces("mona")[0]!.number
      own.state.deleteSpace("mona", gone)
      // An ad-hoc export of one owner, into the same directory, is the newest archive.
      const adHoc = yield* exportTo(out, ["--user", "mona"])
      const r = yield* cli(["diff", out, "--json"])
      expect(r.code).toBe(0)
      expect(r.json()).toMatchObject({
        newest: adHoc,
        baselines: [{ owner: "mona", baseline: first }],
        removed: [{ owner: "mona", number: gone }],
        added: [],
        unverified: []
      })
      const text = yield* cli(["diff", out])
      expect(text.stdout[0]).toMatch(
        new RegExp(`^newest: .*\\n {2}mona: compared with .*\\nremoved \\(1\\):\\n {2}mona/${gone} `)
      )
    })
  )

  it.live("diff DIR reports an owner no earlier archive covers completely; one archive alone is a usage error", () =>
    Effect.gen(function* () {
      const out = yield* tmp
      const only = yield* exportTo(out, ["--org", "octo-migrated"])
      const r = yield* cli(["diff", out, "--json"])
      expect(r.code).toBe(0)
      expect(r.json()).toMatchObject({
        baselines: [{ owner: "octo-migrated", baseline: null }],
        removed: [],
        added: []
      })
      expect((yield* cli(["diff", out])).stdout[0]).toMatch(
        /octo-migrated: no earlier archive covers it completely; not compared/
      )
      const single = yield* cli(["diff", only])
      expect(single.code).toBe(2)
      expect(single.stderr).toEqual([
        expect.stringMatching(/is not a directory: give a directory of archives, or two archives/)
      ])
      const empty = yield* cli(["diff", yield* tmp])
      expect(empty.code).toBe(1)
      expect(empty.stderr).toEqual([expect.stringMatching(/holds no archives$/)])
    })
  )

  it.live("prune keeps the day's only archive of the other owners when an ad-hoc export of one owner is newer", () =>
    Effect.gen(function* () {
      const out = yield* tmp
      const older = yield* exportTo(out, ["--org", "octo-migrated", "--user", "mona"])
      const night = yield* exportTo(out, ["--org", "octo-migrated", "--user", "mona"])
      const adHoc = yield* exportTo(out, ["--user", "mona"])
      const r = yield* cli(["prune", out, "--keep-daily", "1", "--json"])
      expect(r.code).toBe(0)
      expect(r.json().keep.map((k: { name: string; keptFor: Array<string> }) => [k.name, k.keptFor])).toEqual([
        [base(adHoc), ["mona"]],
        [base(night), ["octo-migrated"]]
      ])
      expect(r.json().keep[1].reasons).toEqual([expect.stringMatching(/^daily \d{4}-\d{2}-\d{2} \(octo-migrated\)$/)])
      expect(r.json().remove.map((a: { name: string }) => a.name)).toEqual([base(older)])
      expect((yield* ls(out)).sort()).toEqual([base(night), base(adHoc)].sort())
    })
  )
})

describe("spaces-vault", () => {
  const commands = [
    [],
    ["export"],
    ["verify"],
    ["inspect"],
    ["diff"],
    ["replay"],
    ["restore"],
    ["history"],
    ["prune"],
    ["help"]
  ]

  it.live("ends every command's --help, on stdout, with the exit codes", () =>
    Effect.gen(function* () {
      for (const path of commands) {
        const r = yield* cli([...path, "--help"])
        expect(r.code).toBe(0)
        expect(r.stderr).toEqual([])
        expect(r.stdout).toHaveLength(1)
        expect(r.stdout[0]).toMatch(
          /\nEXIT CODES\n {2}0 {2}all done\n {2}1 {2}something failed at run time \(partial export, .*\)\n {2}2 {2}usage or configuration error \(unknown flag, .*\)\n {2}130, 143 {2}stopped by SIGINT or SIGTERM .*$/
        )
      }
    })
  )

  it.live("a parse error is one sentence on stderr, pointing at the command's help; stdout stays empty", () =>
    Effect.gen(function* () {
      const out = yield* tmp
      const cases: Array<[ReadonlyArray<string>, RegExp]> = [
        [
          ["export", "--org", "o", "--out", out, "--bogus", "--json"],
          /^error: Unrecognized flag: --bogus in command spaces-vault export; see spaces-vault export --help$/
        ],
        [
          ["export", "--org", "o", "--out", out, "--concurrency", "abc", "--json"],
          /^error: Invalid value for flag --concurrency: "abc"\. .*; see spaces-vault export --help$/
        ],
        [["verify", "--json"], /^error: Missing required argument: archive; see spaces-vault verify --help$/],
        [
          ["exprot"],
          /^error: Unknown subcommand "exprot" for "spaces-vault" \(did you mean export\?\); see spaces-vault --help$/
        ]
      ]
      for (const [args, message] of cases) {
        const r = yield* cli(args, env)
        expect(r.code).toBe(2)
        expect(r.stdout).toEqual([])
        expect(r.stderr).toHaveLength(1)
        expect(r.stderr[0]).toMatch(message)
      }
    })
  )

  it.live("without a command, shows the help on stderr and exits 2", () =>
    Effect.gen(function* () {
      const r = yield* cli([])
      expect(r.code).toBe(2)
      expect(r.stdout).toEqual([])
      expect(r.stderr.join("\n")).toMatch(/^DESCRIPTION\n[\s\S]*\nEXIT CODES\n/)
    })
  )

  it.live("refuses --wizard, which would prompt, as an unknown flag, and never lists it", () =>
    Effect.gen(function* () {
      for (const args of [["--wizard"], ["export", "--wizard"]]) {
        const r = yield* cli(args, env)
        expect(r.code).toBe(2)
        expect(r.stdout).toEqual([])
        expect(r.stderr).toEqual([
          expect.stringMatching(/^error: Unrecognized flag: --wizard\b.*; see spaces-vault( export)? --help$/)
        ])
      }
      expect((yield* cli(["--help"])).stdout[0]).not.toContain("wizard")
    })
  )

  it.live("prints the version on stdout", () =>
    Effect.gen(function* () {
      const r = yield* cli(["--version"])
      expect(r.code).toBe(0)
      expect(r.stdout).toEqual([`spaces-vault v${VERSION}`])
    })
  )
})

describe("spaces-vault help", () => {
  const names = ["export", "verify", "inspect", "diff", "replay", "restore", "history", "prune", "help"]

  it.live("`help COMMAND` is the page of `COMMAND --help`, and `help` the list of commands", () =>
    Effect.gen(function* () {
      for (const name of names) {
        const viaHelp = yield* cli(["help", name])
        assert.strictEqual(viaHelp.code, 0)
        assert.deepStrictEqual(viaHelp.stdout, (yield* cli([name, "--help"])).stdout)
      }
      const list = yield* cli(["help"])
      assert.deepStrictEqual(list.stdout, (yield* cli(["--help"])).stdout)
      assert.match(list.stdout[0]!, /\nSUBCOMMANDS\n {2}export +Export every space[\s\S]* {2}help +Show the help/)
    })
  )

  it.live("`help` of an unknown command is a usage error in one line", () =>
    Effect.gen(function* () {
      const r = yield* cli(["help", "exprot"])
      assert.strictEqual(r.code, 2)
      assert.deepStrictEqual(r.stdout, [])
      assert.lengthOf(r.stderr, 1)
      assert.match(
        r.stderr[0]!,
        /^error: Invalid value for argument <command>: "exprot"\. Expected: "export" \| .*; see spaces-vault help --help$/
      )
    })
  )

  it.live("every command's help has examples, describes every argument and marks the flags it needs", () =>
    Effect.gen(function* () {
      for (const name of names) {
        const page = (yield* cli([name, "--help"])).stdout[0]!
        const examples = /\nEXAMPLES\n([\s\S]*?)\n\nEXIT CODES/.exec(page)?.[1] ?? ""
        assert.match(examples, new RegExp(`^ {2}# .+\\n {2}spaces-vault ${name}`, "m"), `${name}: examples`)
        const args = /\nARGUMENTS\n([\s\S]*?)\n\n/.exec(page)?.[1]
        for (const row of args?.split("\n") ?? []) assert.match(row, /^ {2}\S+ \S+ {2,}\S/, `${name}: ${row}`)
      }
      const exportPage = (yield* cli(["export", "--help"])).stdout[0]!
      assert.match(exportPage, /--out string +directory the archive is written to .*\(required\)\n/)
      // Repeatable flags of which one is needed, not each: the command says which when neither is given.
      assert.notMatch(exportPage, /--(org|user) string .*\(required\)/)
      assert.notInclude((yield* cli(["replay", "--help"])).stdout[0]!, "(required)")
      assert.match(
        (yield* cli(["diff", "--help"])).stdout[0]!,
        /ARGUMENTS\n {2}old string +the older archive.*\n {2}new string +the newer archive \(optional\)\n/
      )
    })
  )
})

describe("paths on the command line", () => {
  it.live("are relative to the directory the command was run in, and printed absolute", () =>
    Effect.gen(function* () {
      const home = yield* tmp
      // A small owner: the hub's per-minute budget is shared by the whole file.
      const r = yield* cli(["export", "--user", "mona", "--out", "backups", "--json"], env, { cwd: home })
      assert.strictEqual(r.code, 0)
      const archive: string = r.json().archive
      assert.isTrue(archive.startsWith(`${home}/backups/spaces-vault-`), archive)
      assert.deepStrictEqual(yield* ls(`${home}/backups`), [archive.split("/").pop()])
      const name = `backups/${archive.split("/").pop()}`
      const verified = yield* cli(["verify", name], {}, { cwd: home })
      assert.strictEqual(verified.code, 0)
      assert.match(verified.stdout[0]!, new RegExp(`^ok: ${home}/backups/spaces-vault-`))
      const missing = yield* cli(["inspect", "nosuch.zip"], {}, { cwd: home })
      assert.strictEqual(missing.code, 1)
      assert.include(missing.stderr[0]!, `${home}/nosuch.zip`)
      const since = yield* cli(["export", "--org", "octo-archive", "--out", "b", "--since", "old.zip"], env, {
        cwd: home
      })
      assert.deepStrictEqual(since.stderr, [`error: --since ${home}/old.zip: no such archive`])
    })
  )
})

describe("spaces-vault prune", () => {
  it.live("keeps what the policy says, never the newest complete archive, and exits 2 on an empty policy", () =>
    Effect.gen(function* () {
      const out = yield* tmp
      const made: Array<string> = []
      for (let i = 0; i < 3; i++)
        made.push((yield* cli(["export", "--org", "octo-archive", "--out", out, "--json"], env)).json().archive)
      yield* Effect.promise(() => writeFile(join(out, "spaces-vault-20200101T000000Z.zip"), "garbage"))
      expect((yield* cli(["prune", out])).code).toBe(2)
      expect((yield* cli(["prune", out, "--keep-last", "-1"])).code).toBe(2)
      const badZone = yield* cli(["prune", out, "--keep-last", "1", "--time-zone", "Mars/Olympus"])
      expect(badZone.code).toBe(2)
      expect(badZone.stderr.join("\n")).toMatch(/--time-zone: "Mars\/Olympus" is not an IANA time zone/)
      const dry = yield* cli(["prune", out, "--keep-last", "1", "--dry-run", "--json"])
      expect(dry.code).toBe(1) // the garbage file is unreadable: reported and kept
      expect(dry.json().remove).toHaveLength(2)
      expect((yield* ls(out)).filter((n) => n.endsWith(".zip"))).toHaveLength(4)
      const real = yield* cli(["prune", out, "--keep-last", "1"])
      expect(real.stdout[0]).toMatch(/removed .*\n.*removed/)
      const left = (yield* ls(out)).sort()
      expect(left).toEqual(["spaces-vault-20200101T000000Z.zip", made[2]!.split("/").pop()].sort())
    })
  )
})

describe("spaces-vault replay", () => {
  let archive: string
  beforeAll(async () => {
    archive = await exportedArchive(await Effect.runPromise(tmp))
  })

  it.live("exits 2 for an unreadable or malformed map file, a bad --to and a bad --space", () =>
    Effect.gen(function* () {
      const dir = yield* tmp
      const r = yield* cli(["replay", archive, "--to", "octo-migrated", "--repo-map", join(dir, "missing.json")], env)
      expect(r.code).toBe(2)
      expect(r.stderr[0]).toMatch(/--repo-map .*missing\.json cannot be read/)
      yield* Effect.promise(() => writeFile(join(dir, "bad.json"), "[1, 2]"))
      expect((yield* cli(["replay", archive, "--team-map", join(dir, "bad.json")], env)).stderr[0]).toMatch(
        /--team-map .* must be a JSON object/
      )
      expect((yield* cli(["replay", archive, "--to", "not a login"], env)).code).toBe(2)
      expect((yield* cli(["replay", archive, "--space", "octo-archive"], env)).code).toBe(2)
      const absent = yield* cli(["replay", archive, "--space", "octo-archive/99999"], env)
      expect(absent.code).toBe(2)
      expect(absent.stderr[0]).toMatch(/--space octo-archive\/99999: not in the archive/)
      expect((yield* cli(["replay", archive, "--on-conflict", "merge"], env)).code).toBe(2)
    })
  )

  it.live("prints the plan as one JSON object on --dry-run and writes nothing", () =>
    Effect.gen(function* () {
      hub.state.deleteSpace("octo-archive", 30)
      const before = Object.entries(hub.counters.byRoute()).filter(([k]) => /^(POST|PUT|DELETE)/.test(k)).length
      const r = yield* cli(["replay", archive, "--dry-run", "--json"], env)
      expect(r.code).toBe(0)
      const plan = r.json()
      expect(plan.dryRun).toBe(true)
      expect(plan.created.map((c: { source: { number: number } }) => c.source.number)).toContain(30)
      // The keys scripts read since the first version, and those added beside them.
      expect(Object.keys(plan).sort()).toEqual([
        "created",
        "dryRun",
        "estimate",
        "failed",
        "mappings",
        "notes",
        "skipped",
        "unmapped",
        "updated",
        "writes"
      ])
      expect(Object.entries(hub.counters.byRoute()).filter(([k]) => /^(POST|PUT|DELETE)/.test(k)).length).toBe(before)
    })
  )

  it.live("restores a deleted space, warning when --write-rate is faster than GitHub's advice", () =>
    Effect.gen(function* () {
      hub.state.deleteSpace("octo-archive", 31)
      const r = yield* cli(["replay", archive, "--space", "octo-archive/31", "--write-rate", "600", "--json"], env)
      expect(r.code).toBe(0)
      expect(r.json().created).toHaveLength(1)
      expect(r.stderr).toEqual([
        expect.stringMatching(
          /^warning: --write-rate 600 is faster than GitHub's advice of at least one second between writes/
        )
      ])
    })
  )

  it.live("exits 1 when the archive does not verify", () =>
    Effect.gen(function* () {
      const bad = join(yield* tmp, "bad.zip")
      yield* Effect.promise(() => writeFile(bad, "nope"))
      const r = yield* cli(["replay", bad], env)
      expect(r.code).toBe(1)
      expect(r.stderr[0]).toMatch(/not a readable zip file/)
    })
  )
})
