// Which repositories a space references: every resource whose metadata carries a repository_id.
export const referencedRepositoryIds = (space: Record<string, unknown>): ReadonlyArray<number> => {
  const resources = space.resources_attributes
  if (!Array.isArray(resources)) return []
  const ids = new Set<number>()
  for (const r of resources) {
    const id = (r as { metadata?: { repository_id?: unknown } } | null)?.metadata?.repository_id
    if (typeof id === "number" && Number.isInteger(id)) ids.add(id)
  }
  return [...ids]
}
