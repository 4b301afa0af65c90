// Every subcommand of spaces-vault, in the order --help lists them.
import { decryptCommand } from "./decrypt.ts"
import { diffCommand } from "./diff.ts"
import { exportCommand } from "./export.ts"
import { historyCommand } from "./history.ts"
import { inspectCommand } from "./inspect.ts"
import { keygenCommand } from "./keygen.ts"
import { pruneCommand } from "./prune.ts"
import { replayCommand } from "./replay.ts"
import { restoreCommand } from "./restore.ts"
import { verifyCommand } from "./verify.ts"

export const commands = [
  exportCommand,
  verifyCommand,
  inspectCommand,
  diffCommand,
  replayCommand,
  restoreCommand,
  historyCommand,
  pruneCommand,
  keygenCommand,
  decryptCommand
] as const
