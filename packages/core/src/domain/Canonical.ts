// Canonical text: JSON with object keys sorted, so equal content compares equal whatever order GitHub sent the keys
// in; and instants in the one form status files, --json output and manifests use.

/** An instant (epoch ms) as ISO 8601 in UTC: "2026-11-25T02:10:00.000Z". */
export const isoTime = (ms: number): string => new Date(ms).toISOString()

export const canonicalJson = (v: unknown): string =>
  Array.isArray(v)
    ? `[${v.map(canonicalJson).join(",")}]`
    : v !== null && typeof v === "object"
      ? `{${Object.keys(v as object)
          .sort()
          .map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`)
          .join(",")}}`
      : JSON.stringify(v)
