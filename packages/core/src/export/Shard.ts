// Sharding: which owners one of COUNT machines exports. Pure: sha256 of the lowercased login, its first 8 bytes as
// an unsigned integer, modulo COUNT. The same owner always lands in the same shard, every owner in exactly one.
import { createHash } from "node:crypto"
import { Result } from "effect"

export interface Shard {
  /** From 0, as Kubernetes' JOB_COMPLETION_INDEX. */
  readonly index: number
  readonly count: number
}

/** The shard (0 to count - 1) a login belongs to among `count`; GitHub logins are case-insensitive. */
export const shardOfLogin = (login: string, count: number): number => {
  const digest = createHash("sha256").update(login.toLowerCase(), "utf8").digest()
  return Number(digest.readBigUInt64BE(0) % BigInt(count))
}

/** The owners of `shard`, in the order given. */
export const ownersOfShard = <O extends { readonly login: string }>(
  owners: ReadonlyArray<O>,
  shard: Shard
): ReadonlyArray<O> => owners.filter((o) => shardOfLogin(o.login, shard.count) === shard.index)

/** Why a shard cannot be, or undefined: a count of at least 1, an index from 0 to count - 1, both integers. */
export const shardProblem = (shard: Shard): string | undefined => {
  if (!Number.isSafeInteger(shard.count) || shard.count < 1)
    return `the shard count must be a whole number of at least 1`
  if (!Number.isSafeInteger(shard.index) || shard.index < 0 || shard.index >= shard.count)
    return `the shard index must be a whole number from 0 to ${shard.count - 1} (indexes start at 0)`
  return undefined
}

/** `INDEX/COUNT` (e.g. `1/4`) as a shard, or one sentence saying why not. */
export const parseShard = (text: string): Result.Result<Shard, string> => {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text)
  if (m === null) return Result.fail(`"${text}" is not INDEX/COUNT, e.g. 0/4 for the first of four shards`)
  const shard = { index: Number(m[1]), count: Number(m[2]) }
  const problem = shardProblem(shard)
  return problem === undefined ? Result.succeed(shard) : Result.fail(`"${text}": ${problem}`)
}

/** How a shard reads in names and messages: `shard-1-of-4`. */
export const shardLabel = (shard: Shard): string => `shard-${shard.index}-of-${shard.count}`
