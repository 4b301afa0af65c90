// Link header parsing for cursor pagination: GitHub gives the next page's URL; we follow it verbatim.
export const nextLink = (header: string | undefined): string | undefined => {
  if (header === undefined) return undefined
  for (const part of header.split(",")) {
    const m = /<([^>]+)>\s*;\s*rel="?([^";]+)"?/.exec(part.trim())
    if (m !== null && m[2]!.split(/\s+/).includes("next")) return m[1]
  }
  return undefined
}
