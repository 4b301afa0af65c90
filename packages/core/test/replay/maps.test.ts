// Map files as a user writes them: checked before anything is sent, compared case-insensitively.
import { mkdtemp, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { loadMaps } from "../../src/replay/MapFiles.ts"

const file = async (text: string) => {
  const path = join(await mkdtemp(join(tmpdir(), "sv-maps-")), "map.json")
  await writeFile(path, text)
  return path
}

describe("loadMaps", () => {
  it("reads full names and ids (a string of digits is an id), folds keys, and takes a UTF-8 byte-order mark", async () => {
    const repo = await file(
      `\uFEFF${JSON.stringify({ "Octo-Org/API": "new-org/api-v2", "123456": "987654", "octo-org/docs": 42 })}`
    )
    const team = await file(JSON.stringify({ constructor: "platform" }))
    const maps = await Effect.runPromise(loadMaps({ repo, team }))
    expect(maps.repos).toEqual(
      new Map<string, string | number>([
        ["octo-org/api", "new-org/api-v2"],
        ["123456", 987654],
        ["octo-org/docs", 42]
      ])
    )
    expect(maps.teams.get("constructor")).toBe("platform")
    expect(maps.users.get("constructor")).toBeUndefined()
  })

  it("refuses repository names that are not owner/name, naming the entry", async () => {
    for (const [map, message] of [
      [{ "octo-org/api": "web" }, /"octo-org\/api" maps to "web", which is neither owner\/name nor a repository id/],
      [{ "octo-org/api": "a/b/c" }, /maps to "a\/b\/c"/],
      [{ api: "octo-org/api" }, /key "api" is neither owner\/name nor a repository id/]
    ] as const) {
      const error = await Effect.runPromise(Effect.flip(loadMaps({ repo: await file(JSON.stringify(map)) })))
      expect(error.message).toMatch(message)
    }
  })
})
