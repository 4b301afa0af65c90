// One error for everything encryption can refuse: a recipient or identity that does not parse, a key file that
// cannot be read or written, an entry no identity opens, an entry damaged after it was written. The message is one
// sentence derived from the reason, and never quotes key material (a secret key pasted in the wrong place included).
import { Schema } from "effect"

/** None of the identities given is among the entry's recipients: the wrong key, or a key from another set. */
export const NoMatchingIdentity = Schema.TaggedStruct("NoMatchingIdentity", {})
/** age's authentication failed: the entry was truncated or altered after it was written, or is not age at all. */
export const Damaged = Schema.TaggedStruct("Damaged", {
  part: Schema.Literals(["header", "payload", "not-age"])
})
/** A recipient (on its own, or a line of a recipients file) that is not an `age1…` X25519 recipient. */
export const BadRecipient = Schema.TaggedStruct("BadRecipient", { problem: Schema.String })
/** An identity file line that is not an `AGE-SECRET-KEY-1…` X25519 identity, or a file that holds none. */
export const BadIdentity = Schema.TaggedStruct("BadIdentity", { problem: Schema.String })
/** A key or recipients file that cannot be read, or a key file that cannot be (or must not be) written. */
export const KeyFile = Schema.TaggedStruct("KeyFile", { problem: Schema.String })

export const CryptoErrorReason = Schema.Union([NoMatchingIdentity, Damaged, BadRecipient, BadIdentity, KeyFile])
export type CryptoErrorReason = typeof CryptoErrorReason.Type

export class CryptoError extends Schema.TaggedError<CryptoError>()("CryptoError", {
  reason: CryptoErrorReason,
  /** The archive entry being read or written (e.g. `spaces/octo-org/7.json.gz.age`). */
  entry: Schema.optionalKey(Schema.String),
  /** The recipients, identity or key file concerned. */
  file: Schema.optionalKey(Schema.String),
  /** 1-based line of `file`, or 1-based position of a recipient given on its own. */
  line: Schema.optionalKey(Schema.Number)
}) {
  override get message(): string {
    const r = this.reason
    const entry = this.entry === undefined ? "the entry" : `entry ${this.entry}`
    switch (r._tag) {
      case "NoMatchingIdentity":
        return `${entry} cannot be decrypted: none of the given identities is one of its recipients (a wrong or missing key)`
      case "Damaged":
        return r.part === "not-age"
          ? `${entry} is not an age-encrypted file`
          : `${entry} is damaged: its ${r.part} fails age authentication, so it was truncated or altered after it was written`
      case "BadRecipient":
        return `${this.where("recipient")} ${r.problem}`
      case "BadIdentity":
        return `${this.where("identity")} ${r.problem}`
      case "KeyFile":
        return `${this.file ?? "the key file"} ${r.problem}`
    }
  }

  private where(what: string): string {
    if (this.file !== undefined) return this.line === undefined ? this.file : `${this.file} line ${this.line}`
    return this.line === undefined ? what : `${what} ${this.line}`
  }
}

/**
 * True for problems the person running the program must fix in its configuration (a key or recipient that does not
 * parse, a key file missing or in the way): exit 2. Decryption failures are run-time failures (exit 1).
 */
export const isConfigProblem = (e: CryptoError): boolean =>
  e.reason._tag === "BadRecipient" || e.reason._tag === "BadIdentity" || e.reason._tag === "KeyFile"
