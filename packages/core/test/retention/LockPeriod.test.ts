import { assert, describe, it } from "@effect/vitest"
import { lockLongerThanRetention, shortestKeep } from "../../src/retention/LockPeriod.ts"

const DAY = 86_400_000

describe("Object Lock against retention", () => {
  it("the shortest rule wins: keepDaily 7 beside keepWeekly 4 keeps an archive 7 days", () => {
    assert.deepStrictEqual(shortestKeep({ keepDaily: 7, keepWeekly: 4 }, DAY), { ms: 7 * DAY, rule: "keepDaily 7" })
  })

  it("keepLast counts runs: 10 hourly runs keep an archive 10 hours", () => {
    assert.deepStrictEqual(shortestKeep({ keepLast: 10, keepDaily: 7 }, 3_600_000), {
      ms: 36_000_000,
      rule: "keepLast 10"
    })
  })

  it("a lock within the shortest window fits; a longer one is refused with the rule that limits it", () => {
    assert.isUndefined(lockLongerThanRetention(7, { keepDaily: 7 }, DAY))
    assert.strictEqual(
      lockLongerThanRetention(30, { keepDaily: 7, keepMonthly: 12 }, DAY),
      "30 days is longer than retention keeps an archive (keepDaily 7: 7 days), so retention would find archives it drops still locked"
    )
  })

  it("no retention, nothing to refuse (archives are never deleted)", () => {
    assert.isUndefined(lockLongerThanRetention(3650, {}, DAY))
  })
})
