// `spaces-vault replay` in-process against fakehub: the plan as a person reads it, the options that select and
// place state, the wording that names options, and what Ctrl-C leaves on stderr.
import { mkdtemp, readdir, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { NodeServices } from "@effect/platform-node"
import { type FakeHub, startFakeHub } from "@spaces-vault/fixtures"
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Layer } from "effect"
import { run } from "../../src/main.ts"
import { makeRecordingOutput, Output, type RecordedOutput } from "../../src/Output.ts"
import { runCli } from "../harness.ts"

const tmp = (prefix: string) => Effect.promise(() => mkdtemp(join(tmpdir(), prefix)))

interface Ctx {
  readonly hub: FakeHub
  readonly env: Record<string, string>
  readonly stateDir: string
  readonly archive: string
  readonly cli: (...args: ReadonlyArray<string>) => Effect.Effect<Awaited<ReturnType<typeof runCli>>>
}

/** A fresh fakehub with an export of octo-org and octo-archive, and a temporary state directory. */
const withArchive = <A>(body: (ctx: Ctx) => Effect.Effect<A>) =>
  Effect.gen(function* () {
    const hub = yield* Effect.acquireRelease(
      Effect.promise(() => startFakeHub({ seed: "demo" })),
      (h) => Effect.promise(() => h.close())
    )
    const stateDir = yield* tmp("sv-state-")
    const env = { GH_TOKEN: hub.token, GITHUB_API_URL: hub.url, SPACES_VAULT_STATE_DIR: stateDir }
    const cli = (...args: ReadonlyArray<string>) => Effect.promise(() => runCli(args, env))
    const out = yield* tmp("sv-out-")
    const exported = yield* cli("export", "--org", "octo-org,octo-archive", "--out", out, "--json")
    const result = yield* body({ hub, env, stateDir, archive: exported.json().archive, cli })
    assert.deepStrictEqual(hub.counters.contractViolations, [])
    return result
  }).pipe(Effect.scoped)

const writeJson = (value: unknown) =>
  Effect.promise(async () => {
    const path = join(await mkdtemp(join(tmpdir(), "sv-map-")), "map.json")
    await writeFile(path, JSON.stringify(value))
    return path
  })

describe("spaces-vault replay: the plan", () => {
  it.live(
    "lists what it will create and what each will hold, hides spaces already there unless --verbose, and estimates the time",
    () =>
      withArchive(({ hub, cli, archive }) =>
        Effect.gen(function* () {
          const deleted = hub.state.getSpace("octo-archive", 4)!
          hub.state.deleteSpace("octo-archive", 4)
          const plan = yield* cli("replay", archive, "--owner", "octo-archive", "--dry-run")
          assert.strictEqual(plan.code, 0)
          const text = plan.stdout.join("\n")
          assert.match(
            text,
            new RegExp(
              `\\n  create  octo-archive/4 "${deleted.name}" -> octo-archive: \\d+ resources?, \\d+ collaborators?, base role ${deleted.base_role}\\n`
            )
          )
          assert.notInclude(text, "  skip ")
          assert.include(text, "1 to create, 0 to update, 59 skipped, 0 failed")
          assert.include(
            text,
            "(59 skipped spaces already there or already equal are not listed; --verbose lists them)"
          )
          assert.match(text, /\n\d+ writes?: about \d+ s at --write-rate 60$/)

          const verbose = yield* cli("replay", archive, "--space", "octo-archive/*", "--dry-run", "--verbose")
          const skips = verbose.stdout
            .join("\n")
            .split("\n")
            .filter((l) => l.startsWith("  skip "))
          assert.strictEqual(skips.length, 59)
          assert.match(skips[0]!, /: the space still exists$/)

          const slower = yield* cli(
            "replay",
            archive,
            "--owner",
            "octo-archive",
            "--dry-run",
            "--write-rate",
            "2",
            "--json"
          )
          const json = slower.json()
          assert.deepStrictEqual(json.estimate, {
            seconds: Math.ceil(((json.writes.total - 1) * 60) / 2),
            writesPerMinute: 2
          })
          assert.strictEqual(json.created[0].contents.baseRole, deleted.base_role)
        })
      )
  )

  it.live("shows the names it maps, says what is not carried over, and makes a merge of two users a note", () =>
    withArchive(({ cli, archive }) =>
      Effect.gen(function* () {
        const teamMap = yield* writeJson({ security: "platform" })
        const userMap = yield* writeJson({ linus: "ada" })
        const repoMap = yield* writeJson({ "octo-org/sdk": "octo-migrated/web" })
        const args = ["replay", archive, "--owner", "octo-org", "--to", "octo-migrated", "--dry-run"]
        const maps = ["--team-map", teamMap, "--user-map", userMap, "--repo-map", repoMap]
        const plan = yield* cli(...args, ...maps)
        assert.strictEqual(plan.code, 0)
        const text = plan.stdout.join("\n")
        assert.include(text, "  names mapped into octo-migrated:\n")
        assert.include(text, "      repository octo-org/sdk -> octo-migrated/web\n")
        // Repositories that keep their name are one line; --verbose lists them.
        assert.match(text, /\n {6}\d+ repositories by name: octo-org\/NAME -> octo-migrated\/NAME\n/)
        assert.notInclude(text, "repository octo-org/api -> octo-migrated/api")
        assert.include(text, "      team security -> platform\n")
        assert.include(text, "      user linus -> ada\n")
        assert.match(
          text,
          /\n {2}note {5}octo-org\/\d+ ".*" -> octo-migrated: two archived collaborators map to user ada; it gets the higher role, \w+\n/
        )
        assert.match(text, /\n {2}not carried over from octo-org\/\d+ /)
        assert.match(text, /, \d+ items? not carried over\n/)
        assert.notInclude(text, "unmapped")

        const verbose = (yield* cli(...args, ...maps, "--verbose")).stdout.join("\n")
        assert.include(verbose, "      repository octo-org/api -> octo-migrated/api\n")

        const json = (yield* cli(...args, ...maps, "--json")).json()
        assert.isTrue(json.notes.length > 0)
        assert.deepStrictEqual(
          json.mappings.filter((m: { kind: string }) => m.kind === "team"),
          [{ kind: "team", from: "security", to: "platform", by: "map", target: "octo-migrated" }]
        )
        // A merge is no longer an item lost.
        const lost = json.unmapped.flatMap((u: { items: Array<{ detail: string }> }) => u.items.map((i) => i.detail))
        assert.isFalse(lost.some((d: string) => d.includes("two archived collaborators")))
      })
    )
  )

  it.live("names --strict and --on-conflict fail when they are why a space failed", () =>
    withArchive(({ hub, cli, archive }) =>
      Effect.gen(function* () {
        const strict = yield* cli(
          "replay",
          archive,
          "--space",
          "octo-org/3",
          "--to",
          "octo-migrated",
          "--strict",
          "--dry-run"
        )
        assert.strictEqual(strict.code, 1)
        assert.match(
          strict.stdout.join("\n"),
          /FAILED {3}octo-org\/3 .*: --strict: \d+ item\(s\) cannot be carried over/
        )
        hub.state.createSpace("octo-migrated", { name: hub.state.getSpace("octo-org", 2)!.name })
        const conflict = yield* cli(
          "replay",
          archive,
          "--space",
          "octo-org/2",
          "--to",
          "octo-migrated",
          "--on-conflict",
          "fail"
        )
        assert.strictEqual(conflict.code, 1)
        assert.match(
          conflict.stdout.join("\n"),
          /FAILED {3}octo-org\/2 .*: space octo-migrated\/\d+ already exists \(--on-conflict fail\)/
        )
      })
    )
  )
})

describe("spaces-vault replay: selection and state", () => {
  it.live("exits 2 for an owner or space the archive does not hold, naming the option used", () =>
    withArchive(({ cli, archive }) =>
      Effect.gen(function* () {
        const owner = yield* cli("replay", archive, "--owner", "ghost-org")
        assert.strictEqual(owner.code, 2)
        assert.deepStrictEqual(owner.stderr, ["error: --owner ghost-org: the archive holds no space of this owner"])
        const wildcard = yield* cli("replay", archive, "--space", "ghost-org/*")
        assert.deepStrictEqual(wildcard.stderr, [
          "error: --space ghost-org/*: the archive holds no space of this owner"
        ])
        assert.strictEqual((yield* cli("replay", archive, "--owner", "not a login")).code, 2)
      })
    )
  )

  it.live("keeps its journal in --state-dir, else SPACES_VAULT_STATE_DIR, and nothing beside the archive", () =>
    withArchive(({ hub, cli, archive, env, stateDir }) =>
      Effect.gen(function* () {
        hub.state.deleteSpace("octo-archive", 5)
        const flagged = yield* tmp("sv-flag-state-")
        const restored = yield* cli("replay", archive, "--space", "octo-archive/5", "--state-dir", flagged, "--json")
        assert.strictEqual(restored.code, 0)
        assert.strictEqual(restored.json().created.length, 1)
        const journals = yield* Effect.promise(() => readdir(join(flagged, "replay")))
        assert.deepStrictEqual(journals.filter((f) => f.endsWith(".json")).length, 1)
        assert.deepStrictEqual(yield* Effect.promise(() => readdir(stateDir)), [])
        const beside = yield* Effect.promise(() => readdir(join(archive, "..")))
        assert.deepStrictEqual(beside, [archive.split("/").pop()])
        // A state directory that cannot be made is a configuration error.
        const file = join(flagged, "replay", journals[0]!)
        const bad = yield* Effect.promise(() =>
          runCli(["replay", archive, "--space", "octo-archive/5"], { ...env, SPACES_VAULT_STATE_DIR: file })
        )
        assert.strictEqual(bad.code, 2)
        assert.match(bad.stderr[0]!, /^error: cannot use the state directory .*\.json: /)
      })
    )
  )

  it.live("Ctrl-C prints what was already created before it says interrupted", () =>
    withArchive(({ hub, env, archive }) =>
      Effect.gen(function* () {
        for (const n of [6, 7, 8]) hub.state.deleteSpace("octo-archive", n)
        const recorded: RecordedOutput = { stdout: [], stderr: [] }
        // Stopped once two spaces are done, as a person pressing Ctrl-C would stop it.
        const output = (json: boolean) => ({
          ...makeRecordingOutput(json, recorded),
          progress: (line: string) => (/: 7\/\d+ spaces$/.test(line) ? Effect.interrupt : Effect.void)
        })
        const layer = Layer.mergeAll(
          NodeServices.layer,
          ConfigProvider.layer(ConfigProvider.fromEnvRecord(env)),
          Layer.succeed(Output, output)
        )
        const code = yield* run(["replay", archive, "--owner", "octo-archive"]).pipe(Effect.provide(layer))
        assert.strictEqual(code, 1)
        assert.deepStrictEqual(recorded.stdout, [])
        assert.strictEqual(recorded.stderr.length, 2)
        assert.match(
          recorded.stderr[0]!,
          /^warning: the replay was interrupted after these \(a re-run finds them\):\n {2}created {2}octo-archive\/6 ".*" -> octo-archive\/\d+\n {2}created {2}octo-archive\/7 ".*" -> octo-archive\/\d+$/
        )
        assert.strictEqual(recorded.stderr[1], "error: interrupted")
      })
    )
  )
})
