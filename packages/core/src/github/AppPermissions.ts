// Which GitHub App permission each request needs (GitHub's server-to-server permission table, API 2026-03-10), so
// a missing one is named before sending: GitHub would refuse the request, or answer a membership check with 404.
// https://docs.github.com/rest/overview/permissions-required-for-github-apps

export interface NeededPermission {
  /** GitHub's key in an installation's `permissions`. */
  readonly key: string
  /** Its title in the App's settings. */
  readonly title: string
  readonly access: "read" | "write"
}

/** The permission a request to `path` needs from an installation, if it is one we know. */
export const permissionFor = (method: string, path: string): NeededPermission | undefined => {
  const access = method === "GET" || method === "HEAD" ? "read" : "write"
  if (/\/orgs\/[^/]+\/copilot-spaces\/[^/]+\/collaborators/.test(path))
    return { key: "organization_copilot_seat_management", title: "GitHub Copilot Business", access }
  if (/\/orgs\/[^/]+\/copilot-spaces/.test(path))
    return { key: "organization_copilot_spaces", title: "Copilot Spaces", access }
  if (/\/orgs\/[^/]+\/(members|teams)\//.test(path)) return { key: "members", title: "Members", access }
  return undefined
}

/** The permission the installation lacks for this request, or undefined when it has it (or we cannot tell). */
export const missingPermission = (
  method: string,
  path: string,
  granted: Readonly<Record<string, string>>
): NeededPermission | undefined => {
  const needed = permissionFor(method, path)
  if (needed === undefined) return undefined
  const has = granted[needed.key]
  const enough = needed.access === "read" ? has === "read" || has === "write" : has === "write"
  return enough ? undefined : needed
}
