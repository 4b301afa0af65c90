// Map files as a user writes them: checked before anything is sent, compared case-insensitively, and every
// problem typed (which map, which file, why) with a message that names the file and no command-line option.
import { mkdtemp, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { loadMaps } from "../../src/replay/MapFiles.ts"

const file = (text: string) =>
  Effect.promise(async () => {
    const path = join(await mkdtemp(join(tmpdir(), "sv-maps-")), "map.json")
    await writeFile(path, text)
    return path
  })

describe("loadMaps", () => {
  it.effect(
    "reads full names and ids (a string of digits is an id), folds keys, and takes a UTF-8 byte-order mark",
    () =>
      Effect.gen(function* () {
        const repo = yield* file(
          `\uFEFF${JSON.stringify({ "Octo-Org/API": "new-org/api-v2", "123456": "987654", "octo-org/docs": 42 })}`
        )
        const team = yield* file(JSON.stringify({ constructor: "platform" }))
        const maps = yield* loadMaps({ repo, team })
        assert.deepStrictEqual(
          maps.repos,
          new Map<string, string | number>([
            ["octo-org/api", "new-org/api-v2"],
            ["123456", 987654],
            ["octo-org/docs", 42]
          ])
        )
        assert.strictEqual(maps.teams.get("constructor"), "platform")
        assert.isUndefined(maps.users.get("constructor"))
      })
  )

  it.effect("refuses repository names that are not owner/name, naming the entry", () =>
    Effect.gen(function* () {
      for (const [map, reason, message] of [
        [
          { "octo-org/api": "web" },
          { _tag: "BadValue", key: "octo-org/api", value: "web" },
          /"octo-org\/api" maps to "web", which is neither owner\/name nor a repository id/
        ],
        [{ "octo-org/api": "a/b/c" }, { _tag: "BadValue", key: "octo-org/api", value: "a/b/c" }, /maps to "a\/b\/c"/],
        [
          { api: "octo-org/api" },
          { _tag: "BadKey", key: "api" },
          /key "api" is neither owner\/name nor a repository id/
        ]
      ] as const) {
        const path = yield* file(JSON.stringify(map))
        const error = yield* Effect.flip(loadMaps({ repo: path }))
        assert.strictEqual(error.which, "repo")
        assert.deepStrictEqual(error.reason, reason)
        assert.match(error.message, message)
        assert.isTrue(error.message.startsWith(`the repository map ${path}: `))
      }
    })
  )

  it.effect("says which map cannot be read or parsed, in words and without naming an option", () =>
    Effect.gen(function* () {
      const dir = yield* Effect.promise(() => mkdtemp(join(tmpdir(), "sv-maps-")))
      const missing = yield* Effect.flip(loadMaps({ user: join(dir, "missing.json") }))
      assert.strictEqual(missing.which, "user")
      assert.strictEqual(
        missing.message,
        `the user map ${join(dir, "missing.json")} cannot be read: no such file or directory`
      )
      const list = yield* file("[1, 2]")
      const shape = yield* Effect.flip(loadMaps({ team: list }))
      assert.deepStrictEqual(shape.reason, { _tag: "WrongShape" })
      assert.strictEqual(shape.message, `the team map ${list} must be a JSON object mapping names to names`)
      // A command words the same problem with its option.
      assert.strictEqual(
        shape.describe(`--team-map ${list}`),
        `--team-map ${list} must be a JSON object mapping names to names`
      )
      const broken = yield* file("{ nope")
      const json = yield* Effect.flip(loadMaps({ repo: broken }))
      assert.strictEqual(json.message, `the repository map ${broken} is not valid JSON`)
    })
  )
})
