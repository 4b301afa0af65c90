// The morning after, in-process against fakehub: an export reports what was deleted (and tells a local webhook),
// `restore` brings it back from the archive that holds it, a second run creates nothing, `history` tells the
// story, and the next export says "restored as" instead of deleted again.
import { mkdtemp, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { type FakeHub, startFakeHub } from "@spaces-vault/fixtures"
import { webhookServer } from "@spaces-vault/fixtures/webhook"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { runCli } from "../harness.ts"

const tmp = (prefix: string) => Effect.promise(() => mkdtemp(join(tmpdir(), prefix)))

interface Ctx {
  readonly hub: FakeHub
  readonly out: string
  readonly cli: (...args: ReadonlyArray<string>) => Effect.Effect<Awaited<ReturnType<typeof runCli>>>
  readonly hook: { url: string; got: Array<any> }
}

/** Two nights of octo-archive; space 7 deleted between them. */
const twoNights = <A>(body: (ctx: Ctx) => Effect.Effect<A>) =>
  Effect.gen(function* () {
    const hub = yield* Effect.acquireRelease(
      Effect.promise(() => startFakeHub({ seed: "demo" })),
      (h) => Effect.promise(() => h.close())
    )
    const hook = yield* webhookServer()
    const stateDir = yield* tmp("sv-state-")
    const env = { GH_TOKEN: hub.token, GITHUB_API_URL: hub.url, SPACES_VAULT_STATE_DIR: stateDir }
    const cli = (...args: ReadonlyArray<string>) => Effect.promise(() => runCli(args, env))
    const out = yield* tmp("sv-out-")
    const first = yield* cli("export", "--org", "octo-archive", "--out", out, "--json")
    assert.strictEqual(first.code, 0)
    // Archive names carry the second: the next night must not share it.
    yield* Effect.promise(() => new Promise((r) => setTimeout(r, 1100)))
    hub.state.deleteSpace("octo-archive", 7)
    return yield* body({ hub, out, cli, hook })
  }).pipe(Effect.scoped)

describe("the morning after", () => {
  it.live(
    "export reports the deletion and notifies; restore brings it back once; history and the next report say so",
    () =>
      twoNights(({ out, cli, hook, hub }) =>
        Effect.gen(function* () {
          const hookFile = join(out, "..", `hook-${Date.now()}`)
          yield* Effect.promise(() => writeFile(hookFile, `${hook.url}\n`))
          const night = yield* cli(
            "export",
            "--org",
            "octo-archive",
            "--out",
            out,
            "--notify-webhook-file",
            hookFile,
            "--json"
          )
          assert.strictEqual(night.code, 0)
          const changes = night.json().changes["octo-archive"]
          assert.deepStrictEqual(
            changes.deleted.map((d: { number: number }) => d.number),
            [7]
          )
          assert.deepStrictEqual([changes.added, changes.changed, changes.restored], [[], [], []])
          const firstArchive = changes.deleted[0].archive
          // One document, with a Slack text and the command that restores the space; the URL is in no output.
          assert.strictEqual(hook.got.length, 1)
          assert.deepStrictEqual(
            hook.got[0].deleted.map((d: any) => [d.owner, d.number, d.archive, d.restore]),
            [["octo-archive", 7, firstArchive, `spaces-vault restore --from ${out} --space octo-archive/7`]]
          )
          assert.match(hook.got[0].text, /^spaces-vault: 1 space was deleted/)
          assert.notInclude([...night.stdout, ...night.stderr].join("\n"), "SECRET")

          const plan = yield* cli("restore", "--from", out, "--space", "octo-archive/7", "--dry-run")
          assert.strictEqual(plan.code, 0)
          assert.match(plan.stdout[0]!, new RegExp(`^from ${firstArchive}: octo-archive/7\\nPLAN \\(dry run`))

          const restored = yield* cli(
            "restore",
            "--from",
            out,
            "--deleted-since",
            "1h",
            "--write-rate",
            "6000",
            "--json"
          )
          assert.strictEqual(restored.code, 0, restored.stderr.join("\n"))
          const r = restored.json()
          assert.deepStrictEqual(r.sources, [{ space: "octo-archive/7", archive: firstArchive }])
          assert.strictEqual(r.created.length, 1)
          const newNumber = r.created[0].number as number

          // A second run finds the space through the journal, whichever archive it reads: nothing is created again.
          const again = yield* cli("restore", "--from", out, "--deleted-since", "1h", "--json")
          assert.strictEqual(again.code, 0)
          assert.deepStrictEqual(again.json().created, [])

          const history = yield* cli("history", "--from", out, "--space", "octo-archive/7", "--json")
          assert.strictEqual(history.code, 0)
          const h = history.json()
          assert.deepStrictEqual(
            h.events.map((e: { kind: string }) => e.kind),
            ["appeared", "disappeared"]
          )
          assert.strictEqual(h.restoredAs, `octo-archive/${newNumber}`)

          // diff still lists the space as removed between the two nights, marked as already restored.
          const diff = yield* cli("diff", out, "--json")
          assert.strictEqual(diff.code, 0)
          assert.deepStrictEqual(
            diff.json().removed.map((x: { number: number; restoredAs?: string }) => [x.number, x.restoredAs]),
            [[7, `octo-archive/${newNumber}`]]
          )
          const human = yield* cli("diff", out)
          assert.include(human.stdout.join("\n"), `(restored as octo-archive/${newNumber})`)

          // A night the owner could not be read: what is missing is unverified, never deleted.
          hub.faults.failOwner("octo-archive", 403)
          yield* Effect.promise(() => new Promise((r) => setTimeout(r, 1100)))
          const failed = yield* cli("export", "--org", "octo-archive", "--user", "mona", "--out", out, "--json")
          assert.strictEqual(failed.code, 1)
          assert.deepStrictEqual(failed.json().changes["octo-archive"].deleted, [])
        })
      )
  )

  it.live("usage errors: no selection, a bad TIME, a space no archive holds; an unreadable archive is skipped", () =>
    twoNights(({ out, cli }) =>
      Effect.gen(function* () {
        const none = yield* cli("restore", "--from", out)
        assert.deepStrictEqual(
          [none.code, none.stderr],
          [2, ["error: give --space OWNER/NUMBER (repeatable) or --deleted-since TIME"]]
        )
        const bad = yield* cli("restore", "--from", out, "--deleted-since", "yesterday")
        assert.strictEqual(bad.code, 2)
        assert.match(bad.stderr[0]!, /--deleted-since yesterday: expected an ISO 8601 date/)
        yield* Effect.promise(() => writeFile(join(out, "spaces-vault-20200101T000000Z.zip"), "not a zip"))
        const absent = yield* cli("restore", "--from", out, "--space", "octo-archive/99999")
        assert.strictEqual(absent.code, 2)
        assert.match(absent.stderr[0]!, /^warning: skipped spaces-vault-20200101T000000Z\.zip: /)
        assert.match(absent.stderr.at(-1)!, /--space octo-archive\/99999: in no readable archive of /)
        const early = yield* cli("restore", "--from", out, "--space", "octo-archive/7", "--as-of", "2020-01-01")
        assert.strictEqual(early.code, 2)
        assert.match(early.stderr.at(-1)!, /made before --as-of$/)
        const history = yield* cli("history", "--from", out, "--space", "octo-archive/99999")
        assert.strictEqual(history.code, 2)
        // A --from that cannot be used at all is a setting to fix (2), for both commands, in one sentence.
        const missing = join(out, "no-such-dir")
        for (const args of [
          ["restore", "--from", missing, "--deleted-since", "7d"],
          ["history", "--from", missing, "--space", "octo-archive/7"]
        ]) {
          const r = yield* cli(...args)
          assert.strictEqual(r.code, 2, args[0])
          assert.deepStrictEqual(r.stderr.length, 1)
          assert.match(r.stderr[0]!, /^error: --from /)
        }
      })
    )
  )
})
