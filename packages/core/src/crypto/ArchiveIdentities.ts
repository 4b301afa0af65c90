// The identities readers open encrypted archives with. A reference with no identities by default: a command that
// was given `--identity` (or SPACES_VAULT_IDENTITY_FILE) provides them around its work, so the reader, and what
// calls it (inspect, diff, replay, restore, history), needs no extra parameter and no key ever travels in options.
import { Context } from "effect"
import type { Identity } from "./Identities.ts"

export const ArchiveIdentities = Context.Reference<ReadonlyArray<Identity>>(
  "@spaces-vault/core/crypto/ArchiveIdentities",
  { defaultValue: () => [] }
)
