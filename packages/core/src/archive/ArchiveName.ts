// How archives are named: the creation time in UTC, so names sort by time and a listing needs no manifest.
// Names: `spaces-vault-YYYYMMDDTHHMMSSZ.zip` (UTC), so names sort by time and a directory can be read without
// opening every archive. One shard of a sharded run adds `-shard-INDEX-of-COUNT`, so shards sharing a location
// never take each other's name. A second export within the same second gets `-2`, `-3`, ...
const PATTERN = /^spaces-vault-(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z(?:-shard-(\d+)-of-(\d+))?(?:-(\d+))?\.zip$/

export interface ArchiveNameShard {
  readonly index: number
  readonly count: number
}

export const archiveFileName = (createdAtMs: number, sequence = 1, shard?: ArchiveNameShard): string => {
  const iso = new Date(createdAtMs).toISOString() // 2026-11-25T02:10:00.000Z
  const stamp = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}T${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`
  const part = shard === undefined ? "" : `-shard-${shard.index}-of-${shard.count}`
  return `spaces-vault-${stamp}${part}${sequence > 1 ? `-${sequence}` : ""}.zip`
}

/** The creation time (epoch ms) encoded in an archive's name, or undefined when it is not one of ours. */
export const parseArchiveFileName = (
  name: string
):
  | { readonly createdAtMs: number; readonly sequence: number; readonly shard?: ArchiveNameShard | undefined }
  | undefined => {
  const m = PATTERN.exec(name)
  if (m === null) return undefined
  const [, y, mo, d, h, mi, s, index, count, seq] = m
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s))
  if (Number.isNaN(ms)) return undefined
  const sequence = seq === undefined ? 1 : Number(seq)
  return index === undefined || count === undefined
    ? { createdAtMs: ms, sequence }
    : { createdAtMs: ms, sequence, shard: { index: Number(index), count: Number(count) } }
}

/** Newest first: by time, then by sequence, then by name (shards of one second in a stable order). */
export const compareArchiveNamesDesc = (a: string, b: string): number => {
  const pa = parseArchiveFileName(a)
  const pb = parseArchiveFileName(b)
  if (pa === undefined || pb === undefined) return pa === undefined ? 1 : -1
  return pb.createdAtMs - pa.createdAtMs || pb.sequence - pa.sequence || (a < b ? -1 : a > b ? 1 : 0)
}

/** Our archive names among a directory's entries, newest first; anything else (status.json, temp files) is not ours. */
export const archiveNames = (entries: ReadonlyArray<string>): ReadonlyArray<string> =>
  entries.filter((n) => parseArchiveFileName(n) !== undefined).sort(compareArchiveNamesDesc)
