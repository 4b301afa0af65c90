// Routes of the REST API as octokit templates ("GET /orgs/{org}/copilot-spaces"), and the paths they name: the
// owner's half of a Copilot Spaces route, and the path an error reports (never a host, a query or a token).
import type { Owner } from "../domain/Owner.ts"

/** "GET" of "GET /orgs/{org}". */
export const methodOf = (route: string): string => route.slice(0, route.indexOf(" "))

/** The path a route names: its template filled in from `params`, or the path of an absolute URL (a Link). */
export const pathOf = (route: string, params: Readonly<Record<string, unknown>> = {}): string => {
  const target = route.slice(route.indexOf(" ") + 1)
  if (/^https?:\/\//.test(target)) return new URL(target).pathname
  return target.replace(/\{([^}]+)\}/g, (_, k: string) => encodeURIComponent(String(params[k])))
}

/** The parameters that name an owner: `org` for an organization, `username` for a user. */
export const ownerParams = (owner: Owner): Record<string, string> =>
  owner.kind === "org" ? { org: owner.login } : { username: owner.login }

/** A Copilot Spaces route of an owner: `/orgs/{org}/copilot-spaces` + suffix, or `/users/{username}/…`. */
export const ownerRoute = (owner: Owner, suffix: string): string =>
  `${owner.kind === "org" ? "/orgs/{org}" : "/users/{username}"}/copilot-spaces${suffix}`

/** A space's parameters: its owner's and its number. */
export const spaceParams = (owner: Owner, number: number): Record<string, string | number> => ({
  ...ownerParams(owner),
  space_number: number
})
