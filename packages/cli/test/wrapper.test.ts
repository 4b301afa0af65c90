// `./spaces-vault`, the wrapper at the repository root: from any directory, through a symlink on PATH, it runs the
// CLI bundle with the arguments and working directory as given; before a build it says how to make one (exit 2).
import { execFile } from "node:child_process"
import { copyFile, mkdir, mkdtemp, realpath, rm, symlink, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"

const wrapper = fileURLToPath(new URL("../../../spaces-vault", import.meta.url))

const run = (program: string, args: ReadonlyArray<string>, cwd: string) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
    execFile(
      program,
      args,
      { cwd, env: { PATH: `${dirname(process.execPath)}:/usr/bin:/bin` } },
      (error, stdout, stderr) =>
        resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : -1, stdout, stderr })
    )
  )

/** A copy of the repository's layout: the wrapper, and a stand-in bundle that prints what it was given. */
const fakeCheckout = async () => {
  const root = await realpath(await mkdtemp(join(tmpdir(), "sv-wrapper-")))
  await copyFile(wrapper, join(root, "spaces-vault"))
  const bundle = join(root, "packages/cli/dist/spaces-vault.mjs")
  await mkdir(dirname(bundle), { recursive: true })
  await writeFile(bundle, "console.log(JSON.stringify({ args: process.argv.slice(2), cwd: process.cwd() }))\n")
  const elsewhere = join(root, "elsewhere")
  await mkdir(join(elsewhere, "bin"), { recursive: true })
  return { root, bundle, elsewhere }
}

describe("./spaces-vault", () => {
  it("runs the bundle from any directory, through a symlink, keeping arguments and the working directory", async () => {
    const { root, elsewhere } = await fakeCheckout()
    try {
      await symlink(join(root, "spaces-vault"), join(elsewhere, "bin/spaces-vault"))
      const r = await run(join(elsewhere, "bin/spaces-vault"), ["export", "--out", "./my archives"], elsewhere)
      expect(r.code).toBe(0)
      expect(JSON.parse(r.stdout)).toEqual({ args: ["export", "--out", "./my archives"], cwd: elsewhere })
    } finally {
      await rm(root, { recursive: true, force: true })
    }
  })

  it("says in one line how to build the bundle when there is none, with exit code 2", async () => {
    const { root, bundle } = await fakeCheckout()
    try {
      await rm(bundle)
      const r = await run(join(root, "spaces-vault"), ["--help"], tmpdir())
      expect(r.code).toBe(2)
      expect(r.stdout).toBe("")
      expect(r.stderr).toBe(
        `spaces-vault: not built yet: run ${root}/run build (./run demo and ./run test build it too)\n`
      )
    } finally {
      await rm(root, { recursive: true, force: true })
    }
  })
})
