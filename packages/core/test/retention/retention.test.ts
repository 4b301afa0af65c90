import { assert, describe, it } from "@effect/vitest"
import {
  archiveFileName,
  archiveNames,
  baselineFor,
  compareArchiveNamesDesc,
  parseArchiveFileName
} from "../../src/archive/ArchiveDirectory.ts"
import {
  isEmptyPolicy,
  isoWeekOf,
  planRetention,
  policyOf,
  type ArchiveInfo,
  type RetentionPolicy
} from "../../src/retention/Retention.ts"

// Archives are named by their ISO time so expectations read as dates. One owner unless given: the rules as restic has them.
const at = (iso: string, complete = true, owners: ReadonlyArray<string> = ["octo-org"]): ArchiveInfo => ({
  name: iso,
  createdAt: Date.parse(iso),
  complete,
  owners: owners.map((login) => ({ login, complete }))
})
/** An archive of several owners, each complete or not: `{ "octo-org": true, mona: false }`. */
const of = (iso: string, owners: Readonly<Record<string, boolean>>): ArchiveInfo => ({
  name: iso,
  createdAt: Date.parse(iso),
  complete: Object.values(owners).every((c) => c),
  owners: Object.entries(owners).map(([login, complete]) => ({ login, complete }))
})
const names = (archives: ReadonlyArray<ArchiveInfo>) => archives.map((a) => a.name)
const kept = (archives: ReadonlyArray<ArchiveInfo>, policy: RetentionPolicy, timeZone?: string) =>
  planRetention(archives, policy, timeZone).keep.map((d) => d.archive.name)

// Nightly archives at 02:30Z from Mon 2026-09-28 to Wed 2026-11-25, plus a second one at 03:30Z on the 10th, 20th, 30th.
const nightly: Array<ArchiveInfo> = []
for (let d = Date.parse("2026-09-28T02:30:00Z"); d <= Date.parse("2026-11-25T02:30:00Z"); d += 86_400_000) {
  nightly.push(at(new Date(d).toISOString()))
  if (new Date(d).getUTCDate() % 10 === 0) nightly.push(at(new Date(d + 3_600_000).toISOString()))
}

describe("planRetention", () => {
  it("keep-last keeps the N newest, whatever the input order", () => {
    const expected = ["2026-11-25T02:30:00.000Z", "2026-11-24T02:30:00.000Z", "2026-11-23T02:30:00.000Z"]
    assert.deepStrictEqual(kept(nightly, { keepLast: 3 }), expected)
    assert.deepStrictEqual(kept([...nightly].reverse(), { keepLast: 3 }), expected)
  })

  it("keep-daily keeps the newest archive of each of the last N days that have archives", () => {
    const withGap = nightly.filter((a) => !a.name.startsWith("2026-11-24"))
    // The 24th has no archive, so the third day kept is the 22nd, not nothing.
    assert.deepStrictEqual(kept(withGap, { keepDaily: 3 }), [
      "2026-11-25T02:30:00.000Z",
      "2026-11-23T02:30:00.000Z",
      "2026-11-22T02:30:00.000Z"
    ])
    const sixDays = kept(nightly, { keepDaily: 6 })
    assert.include(sixDays, "2026-11-20T03:30:00.000Z") // two on the 20th: the later one is that day's
    assert.notInclude(sixDays, "2026-11-20T02:30:00.000Z")
    assert.strictEqual(sixDays.length, 6)
  })

  it("keep-weekly uses ISO weeks (Monday to Sunday)", () => {
    // Wed 25 Nov is in W48; Sun 22 Nov closes W47; Sun 15 Nov closes W46.
    assert.deepStrictEqual(kept(nightly, { keepWeekly: 3 }), [
      "2026-11-25T02:30:00.000Z",
      "2026-11-22T02:30:00.000Z",
      "2026-11-15T02:30:00.000Z"
    ])
  })

  it("keep-monthly keeps the newest archive of each calendar month", () => {
    assert.deepStrictEqual(kept(nightly, { keepMonthly: 3 }), [
      "2026-11-25T02:30:00.000Z",
      "2026-10-31T02:30:00.000Z",
      "2026-09-30T03:30:00.000Z"
    ])
  })

  it("an archive kept by several rules appears once, with every reason", () => {
    const plan = planRetention(nightly, { keepLast: 1, keepDaily: 2, keepWeekly: 1, keepMonthly: 1 })
    assert.deepStrictEqual(
      plan.keep.map((d) => [d.archive.name, d.reasons]),
      [
        ["2026-11-25T02:30:00.000Z", ["last", "daily 2026-11-25", "weekly 2026-W48", "monthly 2026-11"]],
        ["2026-11-24T02:30:00.000Z", ["daily 2026-11-24"]]
      ]
    )
    assert.strictEqual(plan.keep.length + plan.remove.length, nightly.length)
    assert.strictEqual(plan.remove[0]!.name, "2026-11-23T02:30:00.000Z") // newest first
  })

  it("the rules combine as a union, like restic forget", () => {
    const names = kept(nightly, { keepDaily: 7, keepWeekly: 4, keepMonthly: 3 })
    // 7 days (19..25 Nov) + Sundays 15 and 8 Nov + month ends 31 Oct and 30 Sep; the 22nd and the 25th are shared.
    assert.deepStrictEqual(names, [
      "2026-11-25T02:30:00.000Z",
      "2026-11-24T02:30:00.000Z",
      "2026-11-23T02:30:00.000Z",
      "2026-11-22T02:30:00.000Z",
      "2026-11-21T02:30:00.000Z",
      "2026-11-20T03:30:00.000Z",
      "2026-11-19T02:30:00.000Z",
      "2026-11-15T02:30:00.000Z",
      "2026-11-08T02:30:00.000Z",
      "2026-10-31T02:30:00.000Z",
      "2026-09-30T03:30:00.000Z"
    ])
  })

  it("days, weeks and months begin in the given time zone", () => {
    // 23:30Z on the 24th is 00:30 on the 25th in Berlin (CET, UTC+1).
    const archives = [at("2026-11-25T02:30:00Z"), at("2026-11-24T23:30:00Z"), at("2026-11-24T02:30:00Z")]
    assert.deepStrictEqual(kept(archives, { keepDaily: 2 }), ["2026-11-25T02:30:00Z", "2026-11-24T23:30:00Z"])
    assert.deepStrictEqual(kept(archives, { keepDaily: 2 }, "Europe/Berlin"), [
      "2026-11-25T02:30:00Z",
      "2026-11-24T02:30:00Z"
    ])
    // 00:30Z on 1 Nov is still 31 Oct in New York (20:30 EDT): month boundaries move with the zone too.
    const monthEnd = [at("2026-11-01T00:30:00Z"), at("2026-10-31T22:30:00Z")]
    assert.deepStrictEqual(kept(monthEnd, { keepMonthly: 2 }, "America/New_York"), ["2026-11-01T00:30:00Z"])
    assert.deepStrictEqual(kept(monthEnd, { keepMonthly: 2 }, "UTC"), ["2026-11-01T00:30:00Z", "2026-10-31T22:30:00Z"])
  })

  it("never removes the newest complete archive, even when only partial ones are newer", () => {
    const archives = [
      at("2026-11-25T02:30:00Z", false),
      at("2026-11-24T02:30:00Z", false),
      at("2026-11-23T02:30:00Z"),
      at("2026-11-22T02:30:00Z")
    ]
    const plan = planRetention(archives, { keepLast: 1 })
    assert.deepStrictEqual(
      plan.keep.map((d) => [d.archive.name, d.reasons]),
      [
        ["2026-11-25T02:30:00Z", ["last"]],
        ["2026-11-23T02:30:00Z", ["newest complete archive"]]
      ]
    )
    assert.deepStrictEqual(
      plan.remove.map((a) => a.name),
      ["2026-11-24T02:30:00Z", "2026-11-22T02:30:00Z"]
    )
  })

  it("keeps a day's complete archive rather than a newer partial one of the same day", () => {
    // The nightly run was complete; a manual run later that day was partial (an owner failed).
    const archives = [at("2026-11-25T10:00:00Z", false), at("2026-11-25T02:30:00Z"), at("2026-11-24T02:30:00Z")]
    const plan = planRetention(archives, { keepDaily: 2 })
    assert.deepStrictEqual(
      plan.keep.map((d) => [d.archive.name, d.reasons]),
      [
        ["2026-11-25T02:30:00Z", ["daily 2026-11-25"]],
        ["2026-11-24T02:30:00Z", ["daily 2026-11-24"]]
      ]
    )
    assert.deepStrictEqual(
      plan.remove.map((a) => a.name),
      ["2026-11-25T10:00:00Z"]
    )
    // A day with only a partial archive still counts, and keeps it.
    const onlyPartial = [at("2026-11-25T02:30:00Z"), at("2026-11-24T02:30:00Z", false), at("2026-11-23T02:30:00Z")]
    assert.deepStrictEqual(kept(onlyPartial, { keepDaily: 2 }), ["2026-11-25T02:30:00Z", "2026-11-24T02:30:00Z"])
  })

  it("with no complete archive at all, the policy alone decides", () => {
    const archives = [at("2026-11-25T02:30:00Z", false), at("2026-11-24T02:30:00Z", false)]
    assert.deepStrictEqual(
      planRetention(archives, { keepLast: 1 }).remove.map((a) => a.name),
      ["2026-11-24T02:30:00Z"]
    )
  })

  it("an empty policy keeps everything instead of deleting all", () => {
    for (const policy of [{}, { keepLast: 0, keepDaily: 0, keepWeekly: 0, keepMonthly: 0 }, { keepLast: -3 }]) {
      assert.isTrue(isEmptyPolicy(policy))
      const plan = planRetention(nightly, policy)
      assert.deepStrictEqual(plan.remove, [])
      assert.strictEqual(plan.keep.length, nightly.length)
      assert.deepStrictEqual(plan.keep[0]!.reasons, ["no retention policy"])
    }
    assert.isFalse(isEmptyPolicy({ keepMonthly: 1 }))
  })

  it("policyOf: the four counts of a command or a config, absent ones 0, and nothing for a policy that keeps nothing", () => {
    assert.deepStrictEqual(policyOf({ keepDaily: 7, keepMonthly: 12 }), {
      keepLast: 0,
      keepDaily: 7,
      keepWeekly: 0,
      keepMonthly: 12
    })
    // The CLI refuses an empty policy and the worker skips retention: neither can apply one.
    assert.strictEqual(policyOf({}), undefined)
    assert.strictEqual(policyOf({ keepLast: 0, keepDaily: 0, keepWeekly: 0, keepMonthly: 0 }), undefined)
  })

  it("keeps everything when the policy asks for more than there is, and handles no archives", () => {
    assert.deepStrictEqual(planRetention(nightly.slice(0, 5), { keepLast: 10 }).remove, [])
    assert.deepStrictEqual(planRetention([], { keepDaily: 7 }), { keep: [], remove: [] })
  })
})

describe("planRetention per owner", () => {
  const all = { "octo-org": true, "octo-archive": true, mona: true }

  it("an ad-hoc export of one owner on the same day never removes the day's only archive of the others", () => {
    const archives = [
      of("2026-11-25T10:00:00Z", { "octo-org": true }), // `export --org octo-org` into the nightly directory
      of("2026-11-25T02:30:00Z", all),
      of("2026-11-24T02:30:00Z", all)
    ]
    const plan = planRetention(archives, { keepDaily: 1 })
    assert.deepStrictEqual(
      plan.keep.map((d) => [d.archive.name, d.reasons, d.keptFor]),
      [
        ["2026-11-25T10:00:00Z", ["daily 2026-11-25"], ["octo-org"]],
        ["2026-11-25T02:30:00Z", ["daily 2026-11-25 (mona, octo-archive)"], ["mona", "octo-archive"]]
      ]
    )
    assert.deepStrictEqual(names(plan.remove), ["2026-11-24T02:30:00Z"])
    // keep-last counts each owner's own archives, too.
    assert.deepStrictEqual(names(planRetention(archives, { keepLast: 1 }).remove), ["2026-11-24T02:30:00Z"])
  })

  it("stays right when the owners change from night to night: new orgs, dropped orgs, shards", () => {
    const changing = [
      of("2026-11-25T02:30:00Z", { b: true, c: true }), // a dropped from the config
      of("2026-11-24T02:30:00Z", { a: true, b: true, c: true }), // c added
      of("2026-11-23T02:30:00Z", { a: true, b: true }),
      of("2026-11-22T02:30:00Z", { a: true })
    ]
    const plan = planRetention(changing, { keepLast: 1 })
    assert.deepStrictEqual(
      plan.keep.map((d) => [d.archive.name, d.reasons]),
      [
        ["2026-11-25T02:30:00Z", ["last"]],
        ["2026-11-24T02:30:00Z", ["last (a)"]]
      ]
    )
    assert.deepStrictEqual(names(plan.remove), ["2026-11-23T02:30:00Z", "2026-11-22T02:30:00Z"])

    // Two shards a night, each its own archive: every night kept keeps both.
    const shards = ["25", "24", "23"].flatMap((d) => [
      of(`2026-11-${d}T03:00:00Z`, { c: true, d: true }),
      of(`2026-11-${d}T02:00:00Z`, { a: true, b: true })
    ])
    const sharded = planRetention(shards, { keepDaily: 2 })
    assert.deepStrictEqual(names(sharded.keep.map((d) => d.archive)), [
      "2026-11-25T03:00:00Z",
      "2026-11-25T02:00:00Z",
      "2026-11-24T03:00:00Z",
      "2026-11-24T02:00:00Z"
    ])
    assert.deepStrictEqual(names(sharded.remove), ["2026-11-23T03:00:00Z", "2026-11-23T02:00:00Z"])
  })

  it("a period keeps an archive partial for an owner only when no archive covers that owner completely", () => {
    const archives = [
      of("2026-11-25T02:30:00Z", { a: false, b: true }), // a failed that night: the day's only archive of a
      of("2026-11-24T12:00:00Z", { a: true }), // an ad-hoc rerun of a
      of("2026-11-24T02:30:00Z", { a: false, b: true }),
      of("2026-11-23T02:30:00Z", { a: true, b: true })
    ]
    const plan = planRetention(archives, { keepDaily: 2 })
    assert.deepStrictEqual(
      plan.keep.map((d) => [d.archive.name, d.reasons]),
      [
        ["2026-11-25T02:30:00Z", ["daily 2026-11-25"]],
        ["2026-11-24T12:00:00Z", ["daily 2026-11-24"]],
        ["2026-11-24T02:30:00Z", ["daily 2026-11-24 (b)"]]
      ]
    )
    // b's newest complete archive is the 25th; the 23rd is no one's anymore.
    assert.deepStrictEqual(names(plan.remove), ["2026-11-23T02:30:00Z"])
  })

  it("keeps each owner's newest complete archive however old, and with no owner's keeps what the policy says", () => {
    const archives = [
      of("2026-11-25T02:30:00Z", { a: false, b: true }),
      of("2026-11-24T02:30:00Z", { a: false, b: true }),
      of("2026-11-20T02:30:00Z", { a: true, b: true }),
      of("2026-11-19T02:30:00Z", { a: true, b: true })
    ]
    const plan = planRetention(archives, { keepLast: 1 })
    assert.deepStrictEqual(
      plan.keep.map((d) => [d.archive.name, d.reasons]),
      [
        ["2026-11-25T02:30:00Z", ["last"]],
        ["2026-11-20T02:30:00Z", ["newest complete archive (a)"]]
      ]
    )
    const noneComplete = [of("2026-11-25T02:30:00Z", { a: false }), of("2026-11-24T02:30:00Z", { a: false })]
    assert.deepStrictEqual(names(planRetention(noneComplete, { keepLast: 1 }).remove), ["2026-11-24T02:30:00Z"])
  })

  it("matches owners whatever the case of their logins", () => {
    const archives = [
      of("2026-11-25T02:30:00Z", { "Octo-Org": true }),
      of("2026-11-24T02:30:00Z", { "octo-org": true, mona: true })
    ]
    const plan = planRetention(archives, { keepLast: 1 })
    assert.deepStrictEqual(
      plan.keep.map((d) => [d.archive.name, d.reasons]),
      [
        ["2026-11-25T02:30:00Z", ["last"]],
        ["2026-11-24T02:30:00Z", ["last (mona)"]]
      ]
    )
  })
})

describe("baselineFor", () => {
  const night = of("2026-11-25T02:30:00Z", { "octo-org": true, mona: true })
  const archives = [
    night,
    of("2026-11-24T10:00:00Z", { mona: true }), // ad-hoc export of another owner
    of("2026-11-24T02:30:00Z", { "octo-org": false, mona: true }), // octo-org failed
    of("2026-11-23T02:30:00Z", { "octo-org": true, mona: true }),
    of("2026-11-26T02:30:00Z", { "octo-org": true, mona: true }) // later than `before`: never a baseline
  ]

  it("is the newest earlier archive that covers the owner completely", () => {
    assert.strictEqual(baselineFor("octo-org", archives, night)?.name, "2026-11-23T02:30:00Z")
    assert.strictEqual(baselineFor("MONA", archives, night)?.name, "2026-11-24T10:00:00Z")
  })

  it("is undefined for an owner no earlier archive covers completely", () => {
    assert.strictEqual(baselineFor("octo-archive", archives, night), undefined)
    assert.strictEqual(baselineFor("octo-org", archives, archives[3]!), undefined)
  })
})

describe("isoWeekOf", () => {
  it("follows ISO 8601 across year boundaries", () => {
    assert.strictEqual(isoWeekOf(2026, 1, 1), "2026-W01") // a Thursday
    assert.strictEqual(isoWeekOf(2027, 1, 1), "2026-W53") // a Friday: still the last week of 2026
    assert.strictEqual(isoWeekOf(2024, 12, 30), "2025-W01") // a Monday: the first week of 2025
    assert.strictEqual(isoWeekOf(2026, 11, 22), "2026-W47") // Sunday ends the week
    assert.strictEqual(isoWeekOf(2026, 11, 23), "2026-W48") // Monday starts the next
  })
})

describe("archive names", () => {
  it("carry a shard, which older names lack and still parse without", () => {
    const ms = Date.parse("2026-11-25T02:10:00Z")
    const shard = { index: 1, count: 4 }
    assert.strictEqual(archiveFileName(ms, 1, shard), "spaces-vault-20261125T021000Z-shard-1-of-4.zip")
    assert.strictEqual(archiveFileName(ms, 2, shard), "spaces-vault-20261125T021000Z-shard-1-of-4-2.zip")
    assert.deepStrictEqual(parseArchiveFileName("spaces-vault-20261125T021000Z-shard-1-of-4-2.zip"), {
      createdAtMs: ms,
      sequence: 2,
      shard
    })
    assert.deepStrictEqual(parseArchiveFileName("spaces-vault-20261125T021000Z.zip"), { createdAtMs: ms, sequence: 1 })
    assert.deepStrictEqual(
      archiveNames([
        "spaces-vault-20261124T021000Z.zip",
        "spaces-vault-20261125T021000Z-shard-1-of-2.zip",
        "spaces-vault-20261125T021000Z-shard-0-of-2.zip"
      ]),
      [
        "spaces-vault-20261125T021000Z-shard-0-of-2.zip",
        "spaces-vault-20261125T021000Z-shard-1-of-2.zip",
        "spaces-vault-20261124T021000Z.zip"
      ]
    )
  })

  it("encode UTC time, sort newest first and round-trip", () => {
    const ms = Date.parse("2026-11-25T02:30:05.123Z")
    assert.strictEqual(archiveFileName(ms), "spaces-vault-20261125T023005Z.zip")
    assert.strictEqual(archiveFileName(ms, 2), "spaces-vault-20261125T023005Z-2.zip")
    assert.deepStrictEqual(parseArchiveFileName(archiveFileName(ms)), {
      createdAtMs: Date.parse("2026-11-25T02:30:05Z"),
      sequence: 1
    })
    assert.deepStrictEqual(parseArchiveFileName("spaces-vault-20261125T023005Z-2.zip"), {
      createdAtMs: Date.parse("2026-11-25T02:30:05Z"),
      sequence: 2
    })
    assert.isUndefined(parseArchiveFileName("notes.zip"))
    assert.isUndefined(parseArchiveFileName(".spaces-vault-20261125T023005Z.zip.tmp-abc"))
    assert.deepStrictEqual(
      [
        "spaces-vault-20261124T000000Z.zip",
        "spaces-vault-20261125T023005Z.zip",
        "spaces-vault-20261125T023005Z-2.zip"
      ].sort(compareArchiveNamesDesc),
      ["spaces-vault-20261125T023005Z-2.zip", "spaces-vault-20261125T023005Z.zip", "spaces-vault-20261124T000000Z.zip"]
    )
  })
})
