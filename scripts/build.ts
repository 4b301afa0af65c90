// `pnpm build`: bundles each program into one minified ES module under its package's dist/, beside the launcher
// its `bin` runs. A bundle starts without type stripping (whose compiler stays resident, ~18 MB) and loads only the
// code the program reaches, instead of every module of effect's index: less memory, faster start. `./run` builds
// when the sources changed, so the demo and the bench run what an install runs.
import { build, type BuildOptions } from "esbuild"
import { readFileSync } from "node:fs"
import { mkdir, rename, writeFile } from "node:fs/promises"
import { basename, dirname, join } from "node:path"

const root = new URL("..", import.meta.url).pathname

/** Each program: its name, its entry point and the file its package's `bin` names (the launcher). */
export const programs = [
  { name: "spaces-vault", entry: "packages/cli/src/bin.ts", out: "packages/cli/dist/spaces-vault.mjs" },
  {
    name: "spaces-vault-worker",
    entry: "packages/worker/src/bin.ts",
    out: "packages/worker/dist/spaces-vault-worker.mjs"
  }
] as const

/** The oldest Node the programs run on: the workspace's `engines.node` (">=22.19"). */
export const minimumNode = (): readonly [number, number] => {
  const engines: string = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).engines.node
  const [, major, minor] = /^>=\s*(\d+)\.(\d+)/.exec(engines) ?? []
  if (major === undefined || minor === undefined) throw new Error(`engines.node "${engines}" is not ">=MAJOR.MINOR"`)
  return [Number(major), Number(minor)]
}

/** `spaces-vault.mjs` -> `spaces-vault.bundle.mjs`: the bundle sits beside its launcher. */
export const bundleFileOf = (launcher: string): string => launcher.replace(/\.mjs$/, ".bundle.mjs")

/**
 * A program's launcher, the file its `bin` names. The bundle is parsed whole before any of it runs, so on an old
 * Node it would fail with a SyntaxError and a screen of minified source; the launcher is written in syntax Node 14
 * parses (no optional chaining, no top-level await), says in one sentence which Node is needed, and exits 2 (a
 * setup error) — or imports the bundle.
 */
export const launcherSource = (name: string, bundleFile: string, [major, minor]: readonly [number, number]) =>
  `#!/usr/bin/env node
// ${name}'s launcher, written by scripts/build.ts: checks the Node version, then loads the bundle.
var found = process.versions.node.split(".").map(Number);
if (found[0] < ${major} || (found[0] === ${major} && found[1] < ${minor})) {
  process.stderr.write("${name} needs Node ${major}.${minor} or newer, found v" + process.versions.node + "\\n");
  process.exitCode = 2;
} else {
  import("./${bundleFile}").catch(function (e) {
    process.stderr.write("${name}: cannot load ./${bundleFile}: " + String(e && e.message).split("\\n")[0] + "\\n");
    process.exitCode = 1;
  });
}
`

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
    await writeInPlace(file.path, file.contents, file.path === outfile ? 0o755 : 0o644)
  }
  return outfile
}

/** Writes a file beside its final name and renames it into place (see `bundle`). */
const writeInPlace = async (path: string, contents: string | Uint8Array, mode: number) => {
  const tmp = `${path}.tmp-${process.pid}`
  await writeFile(tmp, contents, { mode })
  await rename(tmp, path)
}

/** Bundles a program beside `launcher`, then writes the launcher; returns the launcher's path. */
export const buildProgram = async (name: string, entry: string, launcher: string): Promise<string> => {
  const bundled = await bundle(entry, bundleFileOf(launcher))
  await writeInPlace(launcher, launcherSource(name, basename(bundled), minimumNode()), 0o755)
  return launcher
}

/** Builds every program into `outRoot` (the repository by default; tests build into a temporary directory). */
export const buildPrograms = (outRoot: string = root): Promise<ReadonlyArray<string>> =>
  Promise.all(programs.map(({ name, entry, out }) => buildProgram(name, join(root, entry), join(outRoot, out))))

if (import.meta.url === `file://${process.argv[1]}`) {
  buildPrograms().catch((e: unknown) => {
    console.error(`build: ${e instanceof Error ? e.message : String(e)}`)
    process.exitCode = 1
  })
}
