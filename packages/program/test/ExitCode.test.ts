// Failures to exit codes, the same for both programs: 1 at run time, 2 for usage or configuration, never a trace.
import { assert, describe, it } from "@effect/vitest"
import { Cause, Effect, Exit, Schema } from "effect"
import { CliError } from "effect/cli"
import { classify, ExitCode, interruptedTeardown, RunFailed, stdoutWriteFailure, UsageError } from "../src/ExitCode.ts"

class GitHubConfigError extends Schema.TaggedError<GitHubConfigError>()("GitHubConfigError", {
  message: Schema.String
}) {}
class ConfigFileError extends Schema.TaggedError<ConfigFileError>()("ConfigFileError", { message: Schema.String }) {}

const errno = (code: string, errnoNumber: number, message = `${code}: failed`) =>
  Object.assign(new Error(message), { code, errno: errnoNumber }) as NodeJS.ErrnoException

describe("classify", () => {
  it("a usage error, a missing token and a program's own config error exit 2 with their message", () => {
    assert.deepStrictEqual(classify(Cause.fail(new UsageError({ message: "--out must name a directory" }))), {
      code: ExitCode.Usage,
      message: "--out must name a directory"
    })
    assert.deepStrictEqual(classify(Cause.fail(new GitHubConfigError({ message: "no GitHub token" }))), {
      code: 2,
      message: "no GitHub token"
    })
    const config = Cause.fail(new ConfigFileError({ message: "config w.yaml: owners: list at least one" }))
    assert.deepStrictEqual(classify(config, ["ConfigFileError"]), {
      code: 2,
      message: "config w.yaml: owners: list at least one"
    })
    // Not declared by this program: a run-time failure.
    assert.strictEqual(classify(config).code, ExitCode.Failed)
  })

  it("an archive location unreachable at the start exits 2; a store failure during the run exits 1", () => {
    const store = (reason: unknown) =>
      Object.assign(new Error("cannot open s3://vault: S3 bucket vault does not exist (NoSuchBucket)"), {
        _tag: "ArchiveStoreError",
        reason
      })
    assert.deepStrictEqual(classify(Cause.fail(store({ _tag: "Unavailable", detail: "x" }))), {
      code: ExitCode.Usage,
      message: "cannot open s3://vault: S3 bucket vault does not exist (NoSuchBucket)"
    })
    assert.strictEqual(classify(Cause.fail(store({ _tag: "Failed", detail: "x" }))).code, ExitCode.Failed)
  })

  it("a parse error exits 2 and says nothing more: the presenter already did", () => {
    const parse = new CliError.UnrecognizedOption({ option: "--bogus", command: ["spaces-vault"], suggestions: [] })
    assert.deepStrictEqual(classify(Cause.fail(parse)), { code: 2, message: undefined })
  })

  it("a failed run exits 1, silent when its outcome was already printed", () => {
    assert.deepStrictEqual(classify(Cause.fail(new RunFailed({ message: "some spaces failed", reported: true }))), {
      code: 1,
      message: undefined
    })
    assert.deepStrictEqual(classify(Cause.fail(new RunFailed({ message: "cannot read", reported: false }))), {
      code: 1,
      message: "cannot read"
    })
  })

  it("anything else exits 1 with the first line of its message, never a stack trace", () => {
    const defect = classify(Cause.die(new Error("boom\n    at somewhere (file.ts:1:1)")))
    assert.deepStrictEqual(defect, { code: 1, message: "boom" })
    assert.deepStrictEqual(classify(Cause.fail("plain words")), { code: 1, message: "plain words" })
    assert.deepStrictEqual(classify(Cause.interrupt()), { code: 1, message: "interrupted" })
  })
})

describe("stdoutWriteFailure", () => {
  it("names a full disk in one sentence, and stays quiet for a reader that went away", () => {
    assert.strictEqual(
      stdoutWriteFailure(errno("ENOSPC", -28)),
      "cannot write to standard output: no space left on device (ENOSPC)"
    )
    assert.strictEqual(stdoutWriteFailure(errno("EPIPE", -32)), undefined)
    assert.strictEqual(stdoutWriteFailure(new Error("odd\nmore")), "cannot write to standard output: odd")
  })
})

describe("interruptedTeardown", () => {
  const teardown = (signal: "SIGINT" | "SIGTERM" | undefined, exit: Exit.Exit<unknown, unknown>) => {
    const written: Array<string> = []
    let code = -1
    interruptedTeardown(
      () => signal,
      (line) => written.push(line)
    )(exit, (c) => {
      code = c
    })
    return { code, written }
  }

  it("exits 128 + the signal's number and says which signal stopped the run", () => {
    assert.deepStrictEqual(teardown("SIGTERM", Exit.failCause(Cause.interrupt())), {
      code: 143,
      written: ["error: interrupted by SIGTERM\n"]
    })
    assert.deepStrictEqual(teardown("SIGINT", Exit.failCause(Cause.interrupt())), {
      code: 130,
      written: ["error: interrupted by SIGINT\n"]
    })
    assert.deepStrictEqual(teardown(undefined, Exit.failCause(Cause.interrupt())), {
      code: 130,
      written: ["error: interrupted\n"]
    })
  })

  it.effect("leaves a finished run's exit code alone", () =>
    Effect.sync(() => {
      assert.deepStrictEqual(teardown(undefined, Exit.succeed(undefined)), { code: 0, written: [] })
    })
  )
})
