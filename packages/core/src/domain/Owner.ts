// Who owns a space: an organization or a user. Both kinds share the same endpoints under a different prefix.
import { Result, Schema } from "effect"

export const OwnerKind = Schema.Literals(["org", "user"])
export type OwnerKind = typeof OwnerKind.Type

export const Owner = Schema.Struct({
  kind: OwnerKind,
  login: Schema.String
})
export type Owner = typeof Owner.Type

export const org = (login: string): Owner => ({ kind: "org", login })
export const user = (login: string): Owner => ({ kind: "user", login })

/** Logins are case-insensitive on GitHub; compare them folded. */
export const sameLogin = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase()

/**
 * A GitHub login: letters, digits and hyphens, starting with a letter or digit; Enterprise Managed Users add
 * `_shortcode`. Checked before any request, so a typo such as `octo org` or `octo-org/` is a usage error, not a
 * request to a wrong path and a partial archive.
 */
export const isLogin = (s: string): boolean => /^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$/.test(s)

/**
 * The owners to export, each once and in the order given: a login listed twice (in any case) is one owner; a
 * login given as both organization and user, or not a login, is an error (the message names it).
 */
export const ownerList = (
  orgs: ReadonlyArray<string>,
  users: ReadonlyArray<string>
): Result.Result<ReadonlyArray<Owner>, string> => {
  const seen = new Map<string, Owner>()
  for (const owner of [...orgs.map(org), ...users.map(user)]) {
    if (!isLogin(owner.login))
      return Result.fail(`"${owner.login}" is not a GitHub login (letters, digits and hyphens)`)
    const earlier = seen.get(owner.login.toLowerCase())
    if (earlier === undefined) seen.set(owner.login.toLowerCase(), owner)
    else if (earlier.kind !== owner.kind)
      return Result.fail(`${owner.login} is given as both an organization and a user; it is one or the other`)
  }
  return Result.succeed([...seen.values()])
}
