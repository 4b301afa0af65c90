// Relative paths mean the user's directory: INIT_CWD only under this workspace's own program scripts.
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { resolveUserPath, UserDirectory, userDirectory } from "../src/UserPaths.ts"

const pnpmScript = (event: string, init = "/home/me/checkout/docs") => ({
  INIT_CWD: init,
  npm_package_name: "spaces-vault-workspace",
  npm_lifecycle_event: event
})

describe("userDirectory", () => {
  it("is the directory pnpm was run in, under `pnpm spaces-vault` and `pnpm worker`", () => {
    assert.strictEqual(userDirectory(pnpmScript("spaces-vault"), "/home/me/checkout"), "/home/me/checkout/docs")
    assert.strictEqual(userDirectory(pnpmScript("worker"), "/home/me/checkout"), "/home/me/checkout/docs")
  })

  it("ignores an INIT_CWD inherited by another script's children, another package's, or a relative one", () => {
    // `pnpm demo` runs the programs as child processes: their paths are the demo's own.
    assert.strictEqual(userDirectory(pnpmScript("demo"), "/work"), "/work")
    assert.strictEqual(
      userDirectory({ ...pnpmScript("spaces-vault"), npm_package_name: "someone-else" }, "/work"),
      "/work"
    )
    assert.strictEqual(userDirectory(pnpmScript("spaces-vault", "docs"), "/work"), "/work")
    assert.strictEqual(userDirectory({ INIT_CWD: "/elsewhere" }, "/work"), "/work")
    assert.strictEqual(userDirectory({}, "/work"), "/work")
  })
})

describe("resolveUserPath", () => {
  it.effect("makes a relative path absolute against the user's directory and keeps an absolute one", () =>
    Effect.gen(function* () {
      assert.strictEqual(yield* resolveUserPath("backups"), `${process.cwd()}/backups`)
      const inDocs = (p: string) => resolveUserPath(p).pipe(Effect.provideService(UserDirectory, "/home/me/docs"))
      assert.strictEqual(yield* inDocs("backups"), "/home/me/docs/backups")
      assert.strictEqual(yield* inDocs("../a.zip"), "/home/me/a.zip")
      assert.strictEqual(yield* inDocs("/srv/backups"), "/srv/backups")
      // Left for the command to refuse in its own words.
      assert.strictEqual(yield* inDocs(""), "")
    })
  )
})
