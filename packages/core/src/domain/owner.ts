// Who owns a space: an organization or a user. Both kinds share the same endpoints under a different prefix.
import { Schema } from "effect"

export const OwnerKind = Schema.Literals(["org", "user"])
export type OwnerKind = typeof OwnerKind.Type

export const OwnerLogin = Schema.String.pipe(Schema.brand("OwnerLogin"))
export type OwnerLogin = typeof OwnerLogin.Type

export const Owner = Schema.Struct({
  kind: OwnerKind,
  login: Schema.String
})
export type Owner = typeof Owner.Type

export const org = (login: string): Owner => ({ kind: "org", login })
export const user = (login: string): Owner => ({ kind: "user", login })

/** The REST path prefix of an owner's spaces, e.g. `/orgs/octo-org/copilot-spaces`. */
export const spacesPath = (owner: Owner): string =>
  `/${owner.kind === "org" ? "orgs" : "users"}/${encodeURIComponent(owner.login)}/copilot-spaces`

/** Logins are case-insensitive on GitHub; compare them folded. */
export const sameLogin = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase()

export const ownerLabel = (owner: Owner): string => `${owner.kind}:${owner.login}`
