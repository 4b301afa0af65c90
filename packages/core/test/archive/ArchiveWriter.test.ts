// The writer: entries kept byte for byte, a file of mode 0600 at the final name only once finished, and nothing
// left behind (not even a temporary file) when the scope closes before `finish`.
import { createHash } from "node:crypto"
import { readdir, readFile, stat } from "node:fs/promises"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Stream } from "effect"
import { openArchive } from "../../src/archive/ArchiveReader.ts"
import { openArchiveWriter } from "../../src/archive/ArchiveWriter.ts"
import { verifyArchive } from "../../src/archive/Verify.ts"
import { completeOwner, space, tmp, writeArchive, writeBytes } from "./archives.ts"

const promise = <A>(f: () => Promise<A>) => Effect.promise(f)

describe("ArchiveWriter", () => {
  it.effect("keeps entries that span many of the writer's 64 KiB blocks byte for byte", () =>
    Effect.gen(function* () {
      const path = join(yield* tmp, "big.zip")
      // ~350 KB of instructions per space that deflate cannot shrink much: compressed, each entry crosses blocks.
      const big = (n: number) =>
        space(n, {
          general_instructions: Array.from({ length: 8000 }, (_, i) =>
            createHash("sha256").update(`${n}:${i}`).digest("base64")
          ).join(" ")
        })
      yield* Effect.scoped(
        Effect.gen(function* () {
          const w = yield* openArchiveWriter(path)
          for (let i = 1; i <= 3; i++) yield* w.addSpace("octo-org", i, big(i))
          yield* w.setRepositories({})
          return yield* w.finish({
            toolVersion: "test",
            createdAt: "2026-01-01T00:00:00Z",
            sourceApiUrl: "https://api.github.com",
            partial: false,
            owners: [completeOwner("octo-org", 3)]
          })
        })
      )
      assert.isAbove((yield* promise(() => stat(path))).size, 3 * 64 * 1024)
      assert.isTrue((yield* verifyArchive(path)).ok)
      const read = yield* Effect.scoped(Effect.flatMap(openArchive(path), (a) => a.readSpaceRaw("octo-org", 2)))
      assert.deepStrictEqual(read, big(2))
    })
  )

  it.effect("round-trips spaces exactly as given, unknown fields included, with mode 0600", () =>
    Effect.gen(function* () {
      const dir = yield* tmp
      const path = yield* writeArchive(join(dir, "a.zip"))
      assert.strictEqual((yield* promise(() => stat(path))).mode & 0o777, 0o600)
      assert.deepStrictEqual(yield* promise(() => readdir(dir)), ["a.zip"])
      const read = yield* Effect.scoped(
        Effect.gen(function* () {
          const a = yield* openArchive(path)
          const all = yield* Stream.runCollect(a.spaces)
          return {
            manifest: a.manifest,
            all: Array.from(all),
            repos: yield* a.repositories,
            two: yield* a.readSpaceRaw("Octo-Org", 2)
          }
        })
      )
      assert.strictEqual(read.manifest.formatVersion, 1)
      assert.deepStrictEqual(
        read.manifest.entries.map((e) => e.path),
        ["spaces/octo-org/1.json", "spaces/octo-org/2.json", "spaces/octo-org/3.json", "repositories.json"]
      )
      assert.deepStrictEqual(read.all[0]!.raw, space(1))
      assert.deepStrictEqual(read.two.future_field, { kept: true })
      assert.strictEqual(read.repos["42"]!.full_name, "octo-org/api")
      assert.isTrue((yield* verifyArchive(path)).ok)
    })
  )

  it.effect("leaves nothing behind when the scope closes before finish", () =>
    Effect.gen(function* () {
      const dir = yield* tmp
      yield* writeBytes(join(dir, "a.zip"), "previous archive")
      const exit = yield* Effect.exit(
        Effect.scoped(
          Effect.gen(function* () {
            const w = yield* openArchiveWriter(join(dir, "a.zip"))
            yield* w.addSpace("octo-org", 1, space(1))
            return yield* Effect.fail("crash")
          })
        )
      )
      assert.isTrue(Exit.isFailure(exit))
      assert.deepStrictEqual(yield* promise(() => readdir(dir)), ["a.zip"])
      assert.strictEqual(yield* promise(() => readFile(join(dir, "a.zip"), "utf8")), "previous archive")
    })
  )

  it.effect("refuses to add the same entry twice", () =>
    Effect.gen(function* () {
      const dir = yield* tmp
      const error = yield* Effect.scoped(
        Effect.gen(function* () {
          const w = yield* openArchiveWriter(join(dir, "a.zip"))
          yield* w.addSpace("octo-org", 1, space(1))
          return yield* Effect.flip(w.addSpace("OCTO-ORG", 1, space(1)))
        })
      )
      assert.match(error.message, /added twice/)
    })
  )
})
