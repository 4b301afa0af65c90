// Where a command's words go. Results go to stdout (human text, or one JSON object with --json); progress
// and warnings go to stderr, and progress only when stderr is a terminal and --json is off.
import { Context, Effect } from "effect"

export interface OutputShape {
  readonly json: boolean
  /** True when a person is watching: live progress lines are worth drawing. */
  readonly interactive: boolean
  /** The command's result: `text` for people, `value` for --json. */
  readonly result: (text: string, value: unknown) => Effect.Effect<void>
  /** A transient status line (overwritten in place on a terminal). */
  readonly progress: (line: string) => Effect.Effect<void>
  /** Something the user should know even in scripts (stderr, also with --json). */
  readonly warn: (line: string) => Effect.Effect<void>
  readonly error: (line: string) => Effect.Effect<void>
  /** Text for stderr as it is, such as the help shown when no command was given (a usage error). */
  readonly usage: (text: string) => Effect.Effect<void>
}

/**
 * A progress line cut to fit one terminal row (so overwriting it in place works). A terminal that reports no width
 * (0 columns, as under `script` or `docker exec -t` without a size) counts as 100 columns.
 */
export const fitProgressLine = (line: string, columns: number | undefined): string =>
  line.slice(0, (columns || 100) - 1)

/** Real stdio. `json` comes from the command's flag. */
export const liveOutput = (json: boolean): OutputShape => {
  const interactive = !json && process.stderr.isTTY === true
  let drawn = false
  const clear = () => {
    if (drawn) {
      process.stderr.write("\r\x1b[2K")
      drawn = false
    }
  }
  const stderrLine = (text: string) =>
    Effect.sync(() => {
      clear()
      process.stderr.write(text)
    })
  return {
    json,
    interactive,
    result: (text, value) =>
      Effect.sync(() => {
        clear()
        process.stdout.write(json ? `${JSON.stringify(value)}\n` : text.endsWith("\n") ? text : `${text}\n`)
      }),
    progress: (line) =>
      interactive
        ? Effect.sync(() => {
            process.stderr.write(`\r\x1b[2K${fitProgressLine(line, process.stderr.columns)}`)
            drawn = true
          })
        : Effect.void,
    warn: (line) => stderrLine(`warning: ${line}\n`),
    error: (line) => stderrLine(`error: ${line}\n`),
    usage: (text) => stderrLine(text.endsWith("\n") ? text : `${text}\n`)
  }
}

/**
 * Makes a command's Output from its --json flag. Live stdio by default; tests provide a recording one.
 * Usage in a handler: `const out = (yield* Output)(flags.json)`.
 */
export const Output = Context.Reference<(json: boolean) => OutputShape>("@spaces-vault/cli/Output", {
  defaultValue: () => liveOutput
})

/** A recording Output for in-process CLI tests. */
export interface RecordedOutput {
  readonly stdout: Array<string>
  readonly stderr: Array<string>
}

export const makeRecordingOutput = (json: boolean, recorded: RecordedOutput): OutputShape => ({
  json,
  interactive: false,
  result: (text, value) => Effect.sync(() => void recorded.stdout.push(json ? JSON.stringify(value) : text)),
  progress: () => Effect.void,
  warn: (line) => Effect.sync(() => void recorded.stderr.push(`warning: ${line}`)),
  error: (line) => Effect.sync(() => void recorded.stderr.push(`error: ${line}`)),
  usage: (text) => Effect.sync(() => void recorded.stderr.push(text))
})
