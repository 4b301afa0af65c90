import { describe, expect, it } from "vitest"
import { archiveFileName, compareArchiveNamesDesc, parseArchiveFileName } from "../../src/retention/ArchiveName.ts"
import { isoWeek, planRetention, type ArchiveInfo } from "../../src/retention/Retention.ts"

const at = (iso: string, complete = true): ArchiveInfo => ({ name: iso, createdAt: Date.parse(iso), complete })
const none = { keepLast: 0, keepDaily: 0, keepWeekly: 0, keepMonthly: 0 }
const kept = (archives: ReadonlyArray<ArchiveInfo>, policy: Partial<typeof none>) =>
  planRetention(archives, { ...none, ...policy }).keep.map((d) => d.archive.name)

// Nightly archives, two on some days, from 2026-09-28 to 2026-11-25.
const nightly: Array<ArchiveInfo> = []
for (let d = Date.parse("2026-09-28T02:30:00Z"); d <= Date.parse("2026-11-25T02:30:00Z"); d += 86_400_000) {
  nightly.push(at(new Date(d).toISOString()))
  if (new Date(d).getUTCDate() % 10 === 0) nightly.push(at(new Date(d + 3_600_000).toISOString()))
}

describe("retention", () => {
  it("keep-last keeps the N newest", () => {
    expect(kept(nightly, { keepLast: 3 })).toEqual(["2026-11-25T02:30:00.000Z", "2026-11-24T02:30:00.000Z", "2026-11-23T02:30:00.000Z"])
  })

  it("keep-daily keeps the newest archive of each of the last N days that have archives", () => {
    const withGap = nightly.filter((a) => !a.name.startsWith("2026-11-24"))
    expect(kept(withGap, { keepDaily: 3 })).toEqual(["2026-11-25T02:30:00.000Z", "2026-11-23T02:30:00.000Z", "2026-11-22T02:30:00.000Z"])
    // two archives on the 20th: only the later one is that day's
    expect(kept(nightly, { keepDaily: 6 })).toContain("2026-11-20T03:30:00.000Z")
    expect(kept(nightly, { keepDaily: 6 })).not.toContain("2026-11-20T02:30:00.000Z")
  })

  it("keep-weekly and keep-monthly use ISO weeks and calendar months", () => {
    expect(kept(nightly, { keepWeekly: 2 })).toEqual(["2026-11-25T02:30:00.000Z", "2026-11-22T02:30:00.000Z"])
    expect(kept(nightly, { keepMonthly: 3 })).toEqual(["2026-11-25T02:30:00.000Z", "2026-10-31T02:30:00.000Z", "2026-09-30T03:30:00.000Z"])
    expect(isoWeek(Date.parse("2026-01-01T00:00:00Z"))).toBe("2026-W01")
    expect(isoWeek(Date.parse("2027-01-01T00:00:00Z"))).toBe("2026-W53")
  })

  it("combines rules with one entry per archive and every reason", () => {
    const plan = planRetention(nightly, { keepLast: 1, keepDaily: 2, keepWeekly: 1, keepMonthly: 1 })
    expect(plan.keep[0]!.reasons).toEqual(["last", "daily 2026-11-25", "weekly 2026-W48", "monthly 2026-11"])
    expect(plan.keep.map((d) => d.archive.name)).toEqual(["2026-11-25T02:30:00.000Z", "2026-11-24T02:30:00.000Z"])
    expect(plan.keep.length + plan.remove.length).toBe(nightly.length)
  })

  it("never removes the newest complete archive, even when only partial ones are newer", () => {
    const archives = [at("2026-11-25T02:30:00Z", false), at("2026-11-24T02:30:00Z", false), at("2026-11-23T02:30:00Z", true), at("2026-11-22T02:30:00Z", true)]
    const plan = planRetention(archives, { ...none, keepLast: 1 })
    expect(plan.keep.map((d) => [d.archive.name, d.reasons])).toEqual([
      ["2026-11-25T02:30:00Z", ["last"]],
      ["2026-11-23T02:30:00Z", ["newest complete archive"]]
    ])
    expect(plan.remove.map((a) => a.name)).toEqual(["2026-11-24T02:30:00Z", "2026-11-22T02:30:00Z"])
  })
})

describe("archive names", () => {
  it("encode UTC time, sort newest first and round-trip", () => {
    const ms = Date.parse("2026-11-25T02:30:05.123Z")
    expect(archiveFileName(ms)).toBe("spaces-vault-20261125T023005Z.zip")
    expect(archiveFileName(ms, 2)).toBe("spaces-vault-20261125T023005Z-2.zip")
    expect(parseArchiveFileName("spaces-vault-20261125T023005Z-2.zip")).toEqual({ createdAtMs: Date.parse("2026-11-25T02:30:05Z"), sequence: 2 })
    expect(parseArchiveFileName("notes.zip")).toBeUndefined()
    expect(parseArchiveFileName(".spaces-vault-20261125T023005Z.zip.tmp-abc")).toBeUndefined()
    expect(["spaces-vault-20261124T000000Z.zip", "spaces-vault-20261125T023005Z.zip", "spaces-vault-20261125T023005Z-2.zip"].sort(compareArchiveNamesDesc)).toEqual([
      "spaces-vault-20261125T023005Z-2.zip",
      "spaces-vault-20261125T023005Z.zip",
      "spaces-vault-20261124T000000Z.zip"
    ])
  })
})
