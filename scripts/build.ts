// `pnpm build`: bundles each program into one minified ES module under its package's dist/, the file its `bin`
// runs. A bundle starts without type stripping (whose compiler stays resident, ~18 MB) and loads only the code
// the program reaches, instead of every module of effect's index: less memory, faster start. `./run` builds
// before every command, so the demo and the bench run what an install runs.
import { build, type BuildOptions } from "esbuild"
import { mkdir, rename, writeFile } from "node:fs/promises"
import { dirname, join } from "node:path"

const root = new URL("..", import.meta.url).pathname

/** Each program: its entry point and the file its package's `bin` names. */
export const programs = [
  { entry: "packages/cli/src/bin.ts", out: "packages/cli/dist/spaces-vault.mjs" },
  { entry: "packages/worker/src/bin.ts", out: "packages/worker/dist/spaces-vault-worker.mjs" }
] as const

const options = (entry: string, outfile: string): BuildOptions => ({
  entryPoints: [entry],
  outfile,
  write: false,
  bundle: true,
  minify: true,
  // Source maps for whoever debugs a bundle (node --enable-source-maps); users never see a stack trace.
  sourcemap: "linked",
  platform: "node",
  format: "esm",
  target: "node24",
  legalComments: "linked",
  logLevel: "warning",
  // CommonJS dependencies (archiver, yauzl) call require() for Node's modules: give the bundle one. (esbuild keeps
  // the entry's #! line first.)
  banner: {
    js: "import { createRequire as __svRequire } from 'node:module'; const require = __svRequire(import.meta.url);"
  }
})

/**
 * Bundles `entry` into `outfile` (with its source map). Each file is written beside its final name and renamed
 * into place, so a program started during a build runs the old bundle or the new one, never half of one.
 */
export const bundle = async (entry: string, outfile: string): Promise<string> => {
  const result = await build(options(entry, outfile))
  await mkdir(dirname(outfile), { recursive: true })
  for (const file of result.outputFiles ?? []) {
    const tmp = `${file.path}.tmp-${process.pid}`
    await writeFile(tmp, file.contents, { mode: file.path === outfile ? 0o755 : 0o644 })
    await rename(tmp, file.path)
  }
  return outfile
}

/** Builds every program into `outRoot` (the repository by default; tests build into a temporary directory). */
export const buildPrograms = (outRoot: string = root): Promise<ReadonlyArray<string>> =>
  Promise.all(programs.map(({ entry, out }) => bundle(join(root, entry), join(outRoot, out))))

if (import.meta.url === `file://${process.argv[1]}`) {
  buildPrograms().catch((e: unknown) => {
    console.error(`build: ${e instanceof Error ? e.message : String(e)}`)
    process.exitCode = 1
  })
}
