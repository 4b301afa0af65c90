// The CLI in-process, as a user types it, against fakehub: outputs and every exit code.
import { mkdtemp, readdir, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { startFakeHub, type FakeHub } from "@spaces-vault/fixtures"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { VERSION } from "@spaces-vault/program/Version"
import { runCli } from "./harness.ts"

let hub: FakeHub
let env: Record<string, string>
beforeAll(async () => {
  hub = await startFakeHub({ seed: "demo" })
  // Replay journals and locks in a temporary state directory, never the user's.
  const stateDir = await mkdtemp(join(tmpdir(), "sv-cli-state-"))
  env = { GH_TOKEN: hub.token, GITHUB_API_URL: hub.url, SPACES_VAULT_STATE_DIR: stateDir }
})
afterAll(async () => {
  expect(hub.counters.contractViolations).toEqual([])
  await hub.close()
})

const tmp = () => mkdtemp(join(tmpdir(), "sv-cli-"))

describe("spaces-vault export", () => {
  it("exits 0 and prints exactly one JSON object with --json", async () => {
    const out = await tmp()
    const r = await runCli(["export", "--org", "octo-archive", "--user", "mona", "--out", out, "--json"], env)
    expect(r.code).toBe(0)
    expect(r.stdout).toHaveLength(1)
    const summary = r.json()
    expect(Object.keys(summary).sort()).toEqual(["archive", "owners", "partial", "requests"])
    expect(summary.partial).toBe(false)
    expect(summary.owners).toEqual([
      { owner: "octo-archive", kind: "org", spaces: 60, failed: 0 },
      { owner: "mona", kind: "user", spaces: 8, failed: 0 }
    ])
    expect(await readdir(out)).toEqual([summary.archive.split("/").pop()])
  })

  it("prints a human summary without --json", async () => {
    const r = await runCli(["export", "--org", "octo-archive", "--out", await tmp()], env)
    expect(r.code).toBe(0)
    expect(r.stdout[0]).toMatch(
      /^archive: .*spaces-vault-\d{8}T\d{6}Z\.zip\n {2}org octo-archive: 60 spaces\nrequests: /
    )
  })

  it("accepts comma-separated owners and GITHUB_TOKEN", async () => {
    const r = await runCli(["export", "--org", "octo-archive,octo-org", "--out", await tmp(), "--json"], {
      GITHUB_TOKEN: hub.token,
      GITHUB_API_URL: hub.url
    })
    expect(r.code).toBe(0)
    expect(r.json().owners.map((o: { owner: string }) => o.owner)).toEqual(["octo-archive", "octo-org"])
  })

  it("exits 1 with a partial archive when an owner fails", async () => {
    const r = await runCli(
      ["export", "--org", "octo-archive", "--org", "ghost-org", "--out", await tmp(), "--json"],
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
    const human = await runCli(["export", "--user", "mona", "--org", "ghost-org", "--out", await tmp()], env)
    expect(human.code).toBe(1)
    expect(human.stdout.join("\n")).toMatch(
      /org ghost-org: 0 spaces, 1 failed\n {4}list: GET \/orgs\/ghost-org\/copilot-spaces was not found, or the token cannot see it/
    )
  })

  it("exits 1 with one sentence and writes no archive when no owner could be read", async () => {
    const out = await tmp()
    for (const json of [[], ["--json"]]) {
      const r = await runCli(["export", "--org", "octo-orgg", "--out", out, ...json], env)
      expect(r.code).toBe(1)
      expect(r.stdout).toEqual([])
      expect(r.stderr).toEqual([
        expect.stringMatching(
          /^error: no owner could be read, so no archive was written: octo-orgg: list: GET \/orgs\/octo-orgg\/copilot-spaces was not found/
        )
      ])
    }
    expect(await readdir(out)).toEqual([])
  })

  it("says to use --user for a user given as --org, and --org the other way round", async () => {
    const out = await tmp()
    const r = await runCli(["export", "--org", "mona", "--user", "octo-org", "--out", out], env)
    expect(r.code).toBe(1)
    expect(r.stderr).toHaveLength(1)
    expect(r.stderr[0]).toMatch(/mona: list: .*\(mona is a user, not an organization\): use --user mona; /)
    expect(r.stderr[0]).toMatch(/octo-org: list: .*\(octo-org is an organization, not a user\): use --org octo-org$/)
    expect(await readdir(out)).toEqual([])
    // Beside an owner that was read: a partial archive, and the summary says which flag was meant.
    const partial = await runCli(["export", "--org", "octo-migrated", "--org", "mona", "--out", out], env)
    expect(partial.code).toBe(1)
    expect(partial.stdout[0]).toMatch(/ {2}org mona: 0 spaces, 1 failed \(use --user mona\)\n/)
    const json = await runCli(["export", "--org", "octo-migrated", "--org", "mona", "--out", out, "--json"], env)
    expect(json.json().owners[1]).toEqual({ owner: "mona", kind: "org", spaces: 0, failed: 1, actualKind: "user" })
  })

  it("exits 2 without a token, naming both variables, and writes nothing", async () => {
    const out = await tmp()
    const r = await runCli(["export", "--org", "octo-org", "--out", out], { GITHUB_API_URL: hub.url })
    expect(r.code).toBe(2)
    expect(r.stderr).toEqual(["error: no GitHub token: set GH_TOKEN or GITHUB_TOKEN"])
    expect(await readdir(out)).toEqual([])
  })

  it("exits 2 for usage errors: no owner, bad concurrency, unknown flag, bad API URL", async () => {
    const out = await tmp()
    expect((await runCli(["export", "--out", out], env)).code).toBe(2)
    const bad = await runCli(["export", "--org", "o", "--out", out, "--concurrency", "500"], env)
    expect(bad.code).toBe(2)
    expect(bad.stderr[0]).toMatch(/--concurrency must be an integer from 1 to 100/)
    expect((await runCli(["export", "--org", "o", "--out", out, "--bogus"], env)).code).toBe(2)
    expect((await runCli(["export", "--org", "o", "--out", out, "--concurrency", "many"], env)).code).toBe(2)
    const url = await runCli(["export", "--org", "o", "--out", out, "--api-url", "ftp://x"], env)
    expect(url.code).toBe(2)
    expect(url.stderr[0]).toMatch(/must start with https:\/\//)
  })

  it("exits 2 before any request for owners that are not logins, paths that cannot work and a clear-text API URL", async () => {
    const out = await tmp()
    const sent = hub.counters.requests
    const usage = async (args: ReadonlyArray<string>, message: RegExp) => {
      const r = await runCli(["export", ...args], env)
      expect(r.code).toBe(2)
      expect(r.stdout).toEqual([])
      expect(r.stderr[0]).toMatch(message)
    }
    await usage(["--org", "octo org", "--out", out], /"octo org" is not a GitHub login/)
    await usage(["--org", "mona", "--user", "mona", "--out", out], /mona is given as both an organization and a user/)
    await usage(
      ["--org", "octo-org", "--out", out, "--since", join(out, "nosuch.zip")],
      /--since .*nosuch\.zip: no such archive/
    )
    await writeFile(join(out, "a-file"), "x")
    await usage(["--org", "octo-org", "--out", join(out, "a-file")], /--out .*a-file is not a directory/)
    await usage(["--org", "octo-org", "--out", ""], /--out must name a directory/)
    await usage(
      ["--org", "octo-org", "--out", out, "--api-url", "http://192.0.2.2:8080"],
      /must use https:\/\/ .*clear text/
    )
    expect(hub.counters.requests).toBe(sent)
    expect(await readdir(out)).toEqual(["a-file"])
  })

  it("exports an owner given twice, in any case, once", async () => {
    const r = await runCli(
      ["export", "--org", "octo-archive", "--org", "OCTO-ARCHIVE,octo-archive", "--out", await tmp(), "--json"],
      env
    )
    expect(r.code).toBe(0)
    expect(r.json().owners).toEqual([{ owner: "octo-archive", kind: "org", spaces: 60, failed: 0 }])
  })

  it("exits 1 when GitHub rejects the token, without printing it", async () => {
    const r = await runCli(["export", "--org", "octo-org", "--out", await tmp()], {
      GH_TOKEN: "ghp_secret_revoked",
      GITHUB_API_URL: hub.url
    })
    expect(r.code).toBe(1)
    expect(r.stderr.join("\n")).toMatch(/GitHub rejected the token/)
    expect(r.stderr.join("\n")).not.toContain("ghp_secret_revoked")
  })
})

describe("spaces-vault verify, inspect, diff", () => {
  let first: string
  let second: string
  beforeAll(async () => {
    const out = await tmp()
    first = (await runCli(["export", "--org", "octo-archive", "--out", out, "--json"], env)).json().archive
    hub.state.updateSpace("octo-archive", 2, { base_role: "admin" })
    hub.state.deleteSpace("octo-archive", 3)
    second = (await runCli(["export", "--org", "octo-archive", "--out", out, "--json"], env)).json().archive
  })

  it("verify exits 0 on a good archive and 1 on a corrupt or missing one", async () => {
    const ok = await runCli(["verify", first, "--json"])
    expect(ok.code).toBe(0)
    expect(ok.json()).toMatchObject({ ok: true, counts: { owners: 1, spaces: 60 } })
    const bad = join(await tmp(), "bad.zip")
    await writeFile(bad, "not a zip")
    const r = await runCli(["verify", bad])
    expect(r.code).toBe(1)
    expect(r.stdout[0]).toMatch(/^FAILED: .*\n {2}- archive .* is not a readable zip file/)
    expect((await runCli(["verify", "/nonexistent.zip"])).code).toBe(1)
    expect((await runCli(["verify", bad, "--json"])).json()).toMatchObject({
      ok: false,
      intact: false,
      complete: false
    })
  })

  it("verify exits 1 on an intact archive of a partial export, naming the owners that failed", async () => {
    const partial = (
      await runCli(["export", "--user", "mona", "--org", "ghost-org", "--out", await tmp(), "--json"], env)
    ).json().archive
    const j = await runCli(["verify", partial, "--json"])
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
    const text = await runCli(["verify", partial])
    expect(text.code).toBe(1)
    expect(text.stdout[0]).toMatch(
      /^PARTIAL: .* is intact \(format 1, 2 owners, 8 spaces, .*\), but its export did not read everything:\n {2}- org ghost-org: 1 failed\n {6}list: GET /
    )
  })

  it("inspect lists owners and spaces", async () => {
    const r = await runCli(["inspect", first])
    expect(r.code).toBe(0)
    expect(r.stdout[0]).toMatch(/org octo-archive: 60 spaces, complete/)
    expect(r.stdout[0]).toMatch(/#1 +Incident response 1 +\[\d+ resources?, \d+ collaborators?\]/)
    // Counts agree with their nouns: "1 resource", "2 collaborators".
    expect(r.stdout[0]).toMatch(/\[1 resource, \d+ collaborators\]/)
    expect(r.stdout[0]).toMatch(/\[\d+ resources, 1 collaborator\]/)
    const j = await runCli(["inspect", first, "--json"])
    expect(j.json().owners[0].spaces).toHaveLength(60)
    expect((await runCli(["inspect", "/nonexistent.zip"])).code).toBe(1)
  })

  it("diff lists the deleted space and what changed", async () => {
    const r = await runCli(["diff", first, second, "--json"])
    expect(r.code).toBe(0)
    const d = r.json()
    expect(d.removed).toEqual([{ owner: "octo-archive", number: 3, name: expect.any(String) }])
    expect(d.changed).toEqual([
      expect.objectContaining({ number: 2, changes: [expect.stringMatching(/^base_role: \w+ -> admin$/)] })
    ])
    expect(d.added).toEqual([])
    const text = await runCli(["diff", first, second])
    expect(text.stdout[0]).toMatch(/removed \(1\):\n {2}octo-archive\/3 /)
  })

  it("diff never calls removed what the newer archive did not cover", async () => {
    const other = (await runCli(["export", "--org", "octo-migrated", "--out", await tmp(), "--json"], env)).json()
      .archive
    const r = await runCli(["diff", first, other, "--json"])
    expect(r.code).toBe(0)
    expect(r.json().removed).toEqual([])
    expect(r.json().unverified).toHaveLength(60)
    expect(r.json().unverified[0]).toMatchObject({
      owner: "octo-archive",
      number: 1,
      reason: "the newer archive does not include octo-archive"
    })
    // One line per owner, however many spaces it had.
    expect((await runCli(["diff", first, other])).stdout[0]).toMatch(
      /unverified: missing from NEW, which could not check them \(60\):\n {2}octo-archive: 60 spaces \(#1, #2, #3, #4, #5, #6, #7, #8, #9, #10 and 50 more\): the newer archive does not include octo-archive\nunchanged: 0$/
    )
  })
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
  const exportTo = async (out: string, owners: ReadonlyArray<string>) =>
    (await runCli(["export", ...owners, "--out", out, "--json"], ownEnv)).json().archive as string
  const base = (p: string) => p.split("/").pop()

  it("diff DIR compares the newest archive with each owner's newest earlier complete archive", async () => {
    const out = await tmp()
    const first = await exportTo(out, ["--org", "octo-migrated", "--user", "mona"])
    const gone = own.state.listSpaces("mona")[0]!.number
    own.state.deleteSpace("mona", gone)
    // An ad-hoc export of one owner, into the same directory, is the newest archive.
    const adHoc = await exportTo(out, ["--user", "mona"])
    const r = await runCli(["diff", out, "--json"])
    expect(r.code).toBe(0)
    expect(r.json()).toMatchObject({
      newest: adHoc,
      baselines: [{ owner: "mona", baseline: first }],
      removed: [{ owner: "mona", number: gone }],
      added: [],
      unverified: []
    })
    const text = await runCli(["diff", out])
    expect(text.stdout[0]).toMatch(
      new RegExp(`^newest: .*\\n {2}mona: compared with .*\\nremoved \\(1\\):\\n {2}mona/${gone} `)
    )
  })

  it("diff DIR reports an owner no earlier archive covers completely; one archive alone is a usage error", async () => {
    const out = await tmp()
    const only = await exportTo(out, ["--org", "octo-migrated"])
    const r = await runCli(["diff", out, "--json"])
    expect(r.code).toBe(0)
    expect(r.json()).toMatchObject({ baselines: [{ owner: "octo-migrated", baseline: null }], removed: [], added: [] })
    expect((await runCli(["diff", out])).stdout[0]).toMatch(
      /octo-migrated: no earlier archive covers it completely; not compared/
    )
    const single = await runCli(["diff", only])
    expect(single.code).toBe(2)
    expect(single.stderr).toEqual([
      expect.stringMatching(/is not a directory: give a directory of archives, or two archives/)
    ])
    const empty = await runCli(["diff", await tmp()])
    expect(empty.code).toBe(1)
    expect(empty.stderr).toEqual([expect.stringMatching(/holds no archives$/)])
  })

  it("prune keeps the day's only archive of the other owners when an ad-hoc export of one owner is newer", async () => {
    const out = await tmp()
    const older = await exportTo(out, ["--org", "octo-migrated", "--user", "mona"])
    const night = await exportTo(out, ["--org", "octo-migrated", "--user", "mona"])
    const adHoc = await exportTo(out, ["--user", "mona"])
    const r = await runCli(["prune", out, "--keep-daily", "1", "--json"])
    expect(r.code).toBe(0)
    expect(r.json().keep.map((k: { name: string; keptFor: Array<string> }) => [k.name, k.keptFor])).toEqual([
      [base(adHoc), ["mona"]],
      [base(night), ["octo-migrated"]]
    ])
    expect(r.json().keep[1].reasons).toEqual([expect.stringMatching(/^daily \d{4}-\d{2}-\d{2} \(octo-migrated\)$/)])
    expect(r.json().remove.map((a: { name: string }) => a.name)).toEqual([base(older)])
    expect((await readdir(out)).sort()).toEqual([base(night), base(adHoc)].sort())
  })
})

describe("spaces-vault", () => {
  const commands = [[], ["export"], ["verify"], ["inspect"], ["diff"], ["replay"], ["prune"]]

  it("ends every command's --help, on stdout, with the exit codes", async () => {
    for (const path of commands) {
      const r = await runCli([...path, "--help"])
      expect(r.code).toBe(0)
      expect(r.stderr).toEqual([])
      expect(r.stdout).toHaveLength(1)
      expect(r.stdout[0]).toMatch(
        /\nEXIT CODES\n {2}0 {2}all done\n {2}1 {2}something failed at run time \(partial export, .*\)\n {2}2 {2}usage or configuration error \(unknown flag, .*\)\n {2}130, 143 {2}stopped by SIGINT or SIGTERM .*$/
      )
    }
  })

  it("a parse error is one sentence on stderr, pointing at the command's help; stdout stays empty", async () => {
    const out = await tmp()
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
      const r = await runCli(args, env)
      expect(r.code).toBe(2)
      expect(r.stdout).toEqual([])
      expect(r.stderr).toHaveLength(1)
      expect(r.stderr[0]).toMatch(message)
    }
  })

  it("without a command, shows the help on stderr and exits 2", async () => {
    const r = await runCli([])
    expect(r.code).toBe(2)
    expect(r.stdout).toEqual([])
    expect(r.stderr.join("\n")).toMatch(/^DESCRIPTION\n[\s\S]*\nEXIT CODES\n/)
  })

  it("refuses --wizard, which would prompt, as an unknown flag, and never lists it", async () => {
    for (const args of [["--wizard"], ["export", "--wizard"]]) {
      const r = await runCli(args, env)
      expect(r.code).toBe(2)
      expect(r.stdout).toEqual([])
      expect(r.stderr).toEqual([
        expect.stringMatching(/^error: Unrecognized flag: --wizard\b.*; see spaces-vault( export)? --help$/)
      ])
    }
    expect((await runCli(["--help"])).stdout[0]).not.toContain("wizard")
  })

  it("prints the version on stdout", async () => {
    const r = await runCli(["--version"])
    expect(r.code).toBe(0)
    expect(r.stdout).toEqual([`spaces-vault v${VERSION}`])
  })
})

describe("spaces-vault prune", () => {
  it("keeps what the policy says, never the newest complete archive, and exits 2 on an empty policy", async () => {
    const out = await tmp()
    const made: Array<string> = []
    for (let i = 0; i < 3; i++)
      made.push((await runCli(["export", "--org", "octo-archive", "--out", out, "--json"], env)).json().archive)
    await writeFile(join(out, "spaces-vault-20200101T000000Z.zip"), "garbage")
    expect((await runCli(["prune", out])).code).toBe(2)
    expect((await runCli(["prune", out, "--keep-last", "-1"])).code).toBe(2)
    const badZone = await runCli(["prune", out, "--keep-last", "1", "--time-zone", "Mars/Olympus"])
    expect(badZone.code).toBe(2)
    expect(badZone.stderr.join("\n")).toMatch(/--time-zone: "Mars\/Olympus" is not an IANA time zone/)
    const dry = await runCli(["prune", out, "--keep-last", "1", "--dry-run", "--json"])
    expect(dry.code).toBe(1) // the garbage file is unreadable: reported and kept
    expect(dry.json().remove).toHaveLength(2)
    expect((await readdir(out)).filter((n) => n.endsWith(".zip"))).toHaveLength(4)
    const real = await runCli(["prune", out, "--keep-last", "1"])
    expect(real.stdout[0]).toMatch(/removed .*\n.*removed/)
    const left = (await readdir(out)).sort()
    expect(left).toEqual(["spaces-vault-20200101T000000Z.zip", made[2]!.split("/").pop()].sort())
  })
})

describe("spaces-vault replay", () => {
  let archive: string
  beforeAll(async () => {
    archive = (await runCli(["export", "--org", "octo-archive", "--out", await tmp(), "--json"], env)).json().archive
  })

  it("exits 2 for an unreadable or malformed map file, a bad --to and a bad --space", async () => {
    const dir = await tmp()
    const r = await runCli(["replay", archive, "--to", "octo-migrated", "--repo-map", join(dir, "missing.json")], env)
    expect(r.code).toBe(2)
    expect(r.stderr[0]).toMatch(/--repo-map .*missing\.json cannot be read/)
    await writeFile(join(dir, "bad.json"), "[1, 2]")
    expect((await runCli(["replay", archive, "--team-map", join(dir, "bad.json")], env)).stderr[0]).toMatch(
      /--team-map .* must be a JSON object/
    )
    expect((await runCli(["replay", archive, "--to", "not a login"], env)).code).toBe(2)
    expect((await runCli(["replay", archive, "--space", "octo-archive"], env)).code).toBe(2)
    const absent = await runCli(["replay", archive, "--space", "octo-archive/99999"], env)
    expect(absent.code).toBe(2)
    expect(absent.stderr[0]).toMatch(/--space octo-archive\/99999: not in the archive/)
    expect((await runCli(["replay", archive, "--on-conflict", "merge"], env)).code).toBe(2)
  })

  it("prints the plan as one JSON object on --dry-run and writes nothing", async () => {
    hub.state.deleteSpace("octo-archive", 30)
    const before = Object.entries(hub.counters.byRoute()).filter(([k]) => /^(POST|PUT|DELETE)/.test(k)).length
    const r = await runCli(["replay", archive, "--dry-run", "--json"], env)
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

  it("restores a deleted space, warning when --write-rate is faster than GitHub's advice", async () => {
    hub.state.deleteSpace("octo-archive", 31)
    const r = await runCli(["replay", archive, "--space", "octo-archive/31", "--write-rate", "600", "--json"], env)
    expect(r.code).toBe(0)
    expect(r.json().created).toHaveLength(1)
    expect(r.stderr).toEqual([
      expect.stringMatching(
        /^warning: --write-rate 600 is faster than GitHub's advice of at least one second between writes/
      )
    ])
  })

  it("exits 1 when the archive does not verify", async () => {
    const bad = join(await tmp(), "bad.zip")
    await writeFile(bad, "nope")
    const r = await runCli(["replay", bad], env)
    expect(r.code).toBe(1)
    expect(r.stderr[0]).toMatch(/not a readable zip file/)
  })
})
