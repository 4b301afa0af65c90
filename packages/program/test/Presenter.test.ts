// effect/cli's words through the shared presenter: help and --version on stdout, ending with the program's exit
// codes and marking required flags; a parse error as one line on stderr, stdout untouched; no --wizard.
import { NodeServices } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { type ExitCodeTable, makePresenter, type PresenterSink } from "../src/Presenter.ts"
import { runCommand } from "../src/Program.ts"
import { VERSION } from "../src/Version.ts"

const exitCodes: ExitCodeTable = [
  ["0", "fine"],
  ["2", "usage"]
]

const fetchCommand = Command.make(
  "fetch",
  {
    out: Flag.String("out").pipe(Flag.withDescription("where to write")),
    tag: Flag.String("tag").pipe(Flag.withDescription("a label"), Flag.optional),
    what: Argument.String("what").pipe(Argument.withDescription("the thing to fetch"))
  },
  () => Effect.void
).pipe(Command.withExamples([{ command: "tool fetch x --out y", description: "fetch x into y" }]))
const tool = Command.make("tool").pipe(Command.withSubcommands([fetchCommand]))

/** Runs `tool args` with a sink that records what went where. */
const present = (args: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    const written = { stdout: [] as Array<string>, stderr: [] as Array<string> }
    const sink: PresenterSink = {
      result: (text) => Effect.sync(() => void written.stdout.push(text)),
      usage: (text) => Effect.sync(() => void written.stderr.push(text)),
      error: (line) => Effect.sync(() => void written.stderr.push(`error: ${line}`))
    }
    const exit = yield* runCommand(tool, makePresenter(exitCodes, Effect.succeed(sink)))(args).pipe(Effect.exit)
    return { ...written, ok: exit._tag === "Success" }
  }).pipe(Effect.provide(NodeServices.layer))

describe("the shared presenter", () => {
  it.effect("a help page goes to stdout, with examples, the required flag marked, and the exit codes last", () =>
    Effect.gen(function* () {
      const r = yield* present(["fetch", "--help"])
      assert.isTrue(r.ok)
      assert.deepStrictEqual(r.stderr, [])
      assert.lengthOf(r.stdout, 1)
      const page = r.stdout[0]!
      assert.match(page, /--out string +where to write \(required\)\n/)
      assert.match(page, /--tag string +a label\n/)
      assert.match(page, /what string +the thing to fetch\n/)
      assert.match(page, /\nEXAMPLES\n {2}# fetch x into y\n {2}tool fetch x --out y\n/)
      assert.match(page, /\n\nEXIT CODES\n {2}0 {2}fine\n {2}2 {2}usage$/)
      assert.notInclude(page, "wizard")
    })
  )

  it.effect("a parse error is one line on stderr naming the help to read; stdout stays empty", () =>
    Effect.gen(function* () {
      const unknown = yield* present(["fetch", "x", "--out", "y", "--bogus"])
      assert.deepStrictEqual(unknown, {
        ok: false,
        stdout: [],
        stderr: ["error: Unrecognized flag: --bogus in command tool fetch; see tool fetch --help"]
      })
      const typo = yield* present(["fecth"])
      assert.deepStrictEqual(typo.stderr, [
        'error: Unknown subcommand "fecth" for "tool" (did you mean fetch?); see tool --help'
      ])
      const wizard = yield* present(["--wizard"])
      assert.deepStrictEqual(wizard.stdout, [])
      assert.match(wizard.stderr[0]!, /^error: Unrecognized flag: --wizard\b.*; see tool --help$/)
    })
  )

  it.effect("a command that needs a subcommand and got none shows its help on stderr, with the exit codes", () =>
    Effect.gen(function* () {
      const r = yield* present([])
      assert.deepStrictEqual(r.stdout, [])
      assert.lengthOf(r.stderr, 1)
      assert.match(r.stderr[0]!, /SUBCOMMANDS\n {2}fetch[\s\S]*\nEXIT CODES\n/)
    })
  )

  it.effect("--version prints the project's version on stdout", () =>
    Effect.gen(function* () {
      const r = yield* present(["--version"])
      assert.deepStrictEqual(r, { ok: true, stdout: [`tool v${VERSION}`], stderr: [] })
      assert.match(VERSION, /^\d+\.\d+\.\d+/)
    })
  )
})
