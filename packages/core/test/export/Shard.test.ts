import { assert, describe, it } from "@effect/vitest"
import { Result } from "effect"
import { ownersOfShard, parseShard, shardLabel, shardOfLogin } from "../../src/export/Shard.ts"

const logins = Array.from({ length: 200 }, (_, i) => ({ login: `org-${i}` }))

describe("Shard", () => {
  it("puts every owner in exactly one shard", () => {
    for (const count of [1, 2, 3, 7]) {
      const seen = new Map<string, number>()
      for (let index = 0; index < count; index++)
        for (const o of ownersOfShard(logins, { index, count })) seen.set(o.login, (seen.get(o.login) ?? 0) + 1)
      assert.strictEqual(seen.size, logins.length)
      assert.isTrue([...seen.values()].every((n) => n === 1))
    }
  })

  it("is stable: pinned values, so a release never moves an owner to another shard", () => {
    // Any change of hash, byte order or modulus moves owners between shards, and breaks these pins.
    assert.deepStrictEqual(
      logins.slice(0, 8).map((o) => shardOfLogin(o.login, 4)),
      [0, 0, 3, 2, 3, 1, 2, 0]
    )
    assert.strictEqual(shardOfLogin("octo-org", 4), 3)
  })

  it("ignores the case of a login", () => {
    for (const o of logins.slice(0, 50))
      assert.strictEqual(shardOfLogin(o.login.toUpperCase(), 5), shardOfLogin(o.login, 5))
    const owners = [{ login: "Octo-Org" }]
    const index = shardOfLogin("octo-org", 3)
    assert.deepStrictEqual(ownersOfShard(owners, { index, count: 3 }), owners)
  })

  it("spreads owners over the shards", () => {
    const sizes = [0, 1, 2, 3].map((index) => ownersOfShard(logins, { index, count: 4 }).length)
    assert.isTrue(
      sizes.every((n) => n > 25),
      `sizes ${sizes.join(",")}`
    )
  })

  it("parses INDEX/COUNT and refuses what is not one, in one sentence", () => {
    assert.deepStrictEqual(parseShard("1/4"), Result.succeed({ index: 1, count: 4 }))
    assert.deepStrictEqual(parseShard("0/1"), Result.succeed({ index: 0, count: 1 }))
    for (const bad of ["3/3", "-1/2", "a/b", "0/0", "1", "1/2/3", ""]) {
      const r = parseShard(bad)
      assert.isTrue(Result.isFailure(r), bad)
      if (Result.isFailure(r)) assert.notInclude(r.failure, "\n")
    }
    const r = parseShard("3/3")
    assert.isTrue(Result.isFailure(r) && r.failure.includes("from 0 to 2"))
  })

  it("labels a shard for names", () => {
    assert.strictEqual(shardLabel({ index: 1, count: 4 }), "shard-1-of-4")
  })
})
