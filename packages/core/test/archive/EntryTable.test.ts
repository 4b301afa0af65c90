// The compact manifest rows and the manifest text streamed from them: the same bytes JSON.stringify would give.
import { createHash } from "node:crypto"
import { describe, expect, it } from "vitest"
import type { ManifestV1 } from "../../src/archive/ArchiveFormat.ts"
import { EntryTable, manifestChunks } from "../../src/archive/EntryTable.ts"

const digest = (text: string) => createHash("sha256").update(text).digest()
const head: Omit<ManifestV1, "entries"> = {
  formatVersion: 1,
  tool: { name: "spaces-vault", version: "0.1.0" },
  createdAt: "2026-11-25T02:30:00.000Z",
  sourceApiUrl: "https://api.github.com",
  partial: false,
  owners: [{ login: "octo", kind: "org", status: "complete", spaces: 3, failures: [], vanished: [] }]
}
const paths = [
  "spaces/octo/1.json",
  "spaces/octo/12.json",
  "spaces/mona/1.json",
  "spaces/octo/007.json",
  "spaces/octo/notes.json",
  "repositories.json"
]

const filled = () => {
  const table = new EntryTable()
  for (const [i, p] of paths.entries()) table.add(p, 100 + i, digest(p))
  return table
}

describe("EntryTable", () => {
  it("gives back every row in order with its path, size and hex sha256", () => {
    expect([...filled().entries()]).toEqual(
      paths.map((path, i) => ({ path, size: 100 + i, sha256: digest(path).toString("hex") }))
    )
  })

  it("keeps rows beyond its first allocation", () => {
    const table = new EntryTable()
    for (let n = 1; n <= 3000; n++) table.add(`spaces/octo/${n}.json`, n, digest(String(n)))
    const rows = [...table.entries()]
    expect(rows).toHaveLength(3000)
    expect(rows[2999]).toEqual({ path: "spaces/octo/3000.json", size: 3000, sha256: digest("3000").toString("hex") })
  })

  it("gives back format-2 rows: .age names, plaintext digests, ETags (either, both, empty, non-ASCII) and ids", () => {
    const table = new EntryTable(true)
    const rows = [
      { etags: { space: `W/"a1"`, collaborators: `"c1"` }, repositoryIds: [42, 2 ** 40] },
      { etags: { collaborators: `"c2"` } },
      { etags: { space: "" }, repositoryIds: [] },
      { etags: { space: `"é✓"`, collaborators: "" } },
      {}
    ]
    // More rows than the first allocations hold, so growing keeps what was there.
    const many = Array.from({ length: 3000 }, (_, i) => ({
      etags: { space: `"${"e".repeat(30)}${i}"` },
      repositoryIds: [i, i + 1, i + 2, i + 3, i + 4, i + 5, i + 6]
    }))
    const all = [...rows, ...many]
    for (const [i, row] of all.entries()) {
      table.add(`spaces/octo/${i + 1}.json`, 1000 + i, digest(`stored ${i}`), {
        plaintextSize: 900 + i,
        plaintextSha256: digest(`plain ${i}`),
        ...row
      })
    }
    expect([...table.entries()]).toEqual(
      all.map((row, i) => ({
        path: `spaces/octo/${i + 1}.json.gz.age`,
        size: 1000 + i,
        sha256: digest(`stored ${i}`).toString("hex"),
        plaintext: { size: 900 + i, sha256: digest(`plain ${i}`).toString("hex") },
        ...row
      }))
    )
  })

  it("refuses a path added twice, and knows which paths it has", () => {
    const table = filled()
    expect(table.has("spaces/octo/12.json")).toBe(true)
    expect(table.has("spaces/octo/2.json")).toBe(false)
    expect(table.has("spaces/other/1.json")).toBe(false)
    expect(() => table.add("spaces/octo/12.json", 1, digest("x"))).toThrow("entry spaces/octo/12.json was added twice")
    expect(() => table.add("repositories.json", 1, digest("x"))).toThrow("was added twice")
  })

  it("refuses a digest that is not 32 bytes", () => {
    expect(() => new EntryTable().add("a.json", 1, Buffer.alloc(20))).toThrow("not 32")
  })
})

describe("manifestChunks", () => {
  it("is JSON.stringify(manifest, null, 2) plus a newline, whatever the chunk size", () => {
    const table = filled()
    const expected = `${JSON.stringify({ ...head, entries: [...table.entries()] }, null, 2)}\n`
    for (const rows of [1, 2, 512]) expect([...manifestChunks(head, table, rows)].join("")).toBe(expected)
    expect([...manifestChunks(head, table, 2)].length).toBeGreaterThan(2)
  })

  it("writes an empty list when there are no entries", () => {
    expect([...manifestChunks(head, new EntryTable())].join("")).toBe(
      `${JSON.stringify({ ...head, entries: [] }, null, 2)}\n`
    )
  })
})
