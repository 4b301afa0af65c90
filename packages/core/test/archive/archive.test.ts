import { createHash } from "node:crypto"
import { mkdtemp, readFile, readdir, stat, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { ZipArchive } from "archiver"
import { createWriteStream } from "node:fs"
import { Effect, Stream } from "effect"
import { describe, expect, it } from "vitest"
import { openArchive } from "../../src/archive/ArchiveReader.ts"
import { diffArchives, inspectArchive } from "../../src/archive/Inspect.ts"
import { openArchiveWriter } from "../../src/archive/ArchiveWriter.ts"
import { coverageOf, diffDigests } from "../../src/archive/Diff.ts"
import { digestSpace } from "../../src/archive/SpaceDigest.ts"
import { verifyArchive } from "../../src/archive/Verify.ts"
import type { ArchivedSpace } from "../../src/archive/ArchiveFormat.ts"

const space = (number: number, extra: Record<string, unknown> = {}) => ({
  id: 100 + number,
  number,
  name: `Space ${number}`,
  description: null,
  general_instructions: "be nice",
  base_role: "reader",
  owner: { login: "octo-org", id: 1, type: "Organization" },
  creator: { login: "octocat", id: 2 },
  created_at: "2024-01-01T00:00:00Z",
  updated_at: "2024-01-02T00:00:00Z",
  html_url: "https://github.com/copilot/spaces/octo-org/1",
  api_url: "https://api.github.com/organizations/1/copilot-spaces/1",
  resources_attributes: [
    { id: 9, resource_type: "repository", metadata: { repository_id: 42 }, copilot_chat_attachment_id: null }
  ],
  collaborators: [{ actor_type: "User", role: "writer", login: "hubot", id: 5 }],
  etags: { space: `"e${number}"` },
  future_field: { kept: true },
  ...extra
})

const tmp = () => mkdtemp(join(tmpdir(), "sv-archive-"))

const writeArchive = (
  path: string,
  count = 3,
  owners = [
    { login: "octo-org", kind: "org" as const, status: "complete" as const, spaces: count, failures: [], vanished: [] }
  ]
) =>
  Effect.runPromise(
    Effect.scoped(
      Effect.gen(function* () {
        const w = yield* openArchiveWriter(path)
        for (let i = 1; i <= count; i++) yield* w.addSpace("octo-org", i, space(i))
        yield* w.setRepositories({ "42": { full_name: "octo-org/api", etag: `"r"` } })
        return yield* w.finish({
          toolVersion: "test",
          createdAt: "2026-01-01T00:00:00Z",
          sourceApiUrl: "https://api.github.com",
          partial: false,
          owners
        })
      })
    )
  )

/** A zip built by hand, for archives our writer would never produce. */
const rawZip = (path: string, entries: ReadonlyArray<[string, string]>) =>
  new Promise<void>((resolve, reject) => {
    const zip = new ZipArchive({})
    const out = createWriteStream(path)
    out.on("close", () => resolve())
    zip.on("error", reject)
    zip.pipe(out)
    for (const [name, text] of entries) zip.append(text, { name })
    void zip.finalize()
  })

/** A manifest that lists `entries` (path and text) truthfully, whatever the zip then holds. */
const manifest = (entries: ReadonlyArray<{ path: string; text: string }>, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    formatVersion: 1,
    tool: { name: "spaces-vault", version: "t" },
    createdAt: "2026-01-01T00:00:00Z",
    sourceApiUrl: "https://api.github.com",
    partial: false,
    owners: [
      {
        login: "octo-org",
        kind: "org",
        status: "complete",
        spaces: entries.filter((e) => e.path.startsWith("spaces/")).length,
        failures: [],
        vanished: []
      }
    ],
    entries: entries.map((e) => ({
      path: e.path,
      size: Buffer.byteLength(e.text),
      sha256: createHash("sha256").update(e.text).digest("hex")
    })),
    ...extra
  })

const verify = (path: string) => Effect.runPromise(verifyArchive(path))
const verifyError = (path: string) => Effect.runPromise(Effect.flip(verifyArchive(path)))

describe("archive writer and reader", () => {
  it("keeps entries that span many of the writer's 64 KiB blocks byte for byte", async () => {
    const dir = await tmp()
    const path = join(dir, "big.zip")
    // ~350 KB of instructions per space that deflate cannot shrink much: compressed, each entry crosses blocks.
    const big = (n: number) =>
      space(n, {
        general_instructions: Array.from({ length: 8000 }, (_, i) =>
          createHash("sha256").update(`${n}:${i}`).digest("base64")
        ).join(" ")
      })
    await Effect.runPromise(
      Effect.scoped(
        Effect.gen(function* () {
          const w = yield* openArchiveWriter(path)
          for (let i = 1; i <= 3; i++) yield* w.addSpace("octo-org", i, big(i))
          yield* w.setRepositories({})
          return yield* w.finish({
            toolVersion: "test",
            createdAt: "2026-01-01T00:00:00Z",
            sourceApiUrl: "https://api.github.com",
            partial: false,
            owners: [{ login: "octo-org", kind: "org", status: "complete", spaces: 3, failures: [], vanished: [] }]
          })
        })
      )
    )
    expect((await stat(path)).size).toBeGreaterThan(3 * 64 * 1024)
    expect((await verify(path)).ok).toBe(true)
    const read = await Effect.runPromise(
      Effect.scoped(Effect.flatMap(openArchive(path), (a) => a.readSpaceRaw("octo-org", 2)))
    )
    expect(read).toEqual(big(2))
  })

  it("round-trips spaces exactly as given, unknown fields included, with mode 0600", async () => {
    const dir = await tmp()
    const path = await writeArchive(join(dir, "a.zip"))
    expect((await stat(path)).mode & 0o777).toBe(0o600)
    expect(await readdir(dir)).toEqual(["a.zip"])
    const read = await Effect.runPromise(
      Effect.scoped(
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
    )
    expect(read.manifest.formatVersion).toBe(1)
    expect(read.manifest.entries.map((e) => e.path)).toEqual([
      "spaces/octo-org/1.json",
      "spaces/octo-org/2.json",
      "spaces/octo-org/3.json",
      "repositories.json"
    ])
    expect(read.all[0]!.raw).toEqual(space(1))
    expect(read.two.future_field).toEqual({ kept: true })
    expect(read.repos["42"]!.full_name).toBe("octo-org/api")
    expect((await verify(path)).ok).toBe(true)
  })

  it("leaves nothing behind when the scope closes before finish", async () => {
    const dir = await tmp()
    await writeFile(join(dir, "a.zip"), "previous archive")
    const exit = await Effect.runPromiseExit(
      Effect.scoped(
        Effect.gen(function* () {
          const w = yield* openArchiveWriter(join(dir, "a.zip"))
          yield* w.addSpace("octo-org", 1, space(1))
          return yield* Effect.fail("crash")
        })
      )
    )
    expect(exit._tag).toBe("Failure")
    expect(await readdir(dir)).toEqual(["a.zip"])
    expect(await readFile(join(dir, "a.zip"), "utf8")).toBe("previous archive")
  })

  it("refuses to add the same entry twice", async () => {
    const dir = await tmp()
    const error = await Effect.runPromise(
      Effect.scoped(
        Effect.gen(function* () {
          const w = yield* openArchiveWriter(join(dir, "a.zip"))
          yield* w.addSpace("octo-org", 1, space(1))
          return yield* Effect.flip(w.addSpace("OCTO-ORG", 1, space(1)))
        })
      )
    )
    expect(error.message).toMatch(/added twice/)
  })
})

describe("verify", () => {
  it("reports a missing file and a file that is not a zip as unreadable", async () => {
    const dir = await tmp()
    expect((await verifyError(join(dir, "nope.zip"))).reason).toBe("NotFound")
    await writeFile(join(dir, "text.zip"), "hello")
    expect((await verifyError(join(dir, "text.zip"))).reason).toBe("Unreadable")
  })

  it("fails a truncated archive", async () => {
    const dir = await tmp()
    const path = await writeArchive(join(dir, "a.zip"))
    const bytes = await readFile(path)
    await writeFile(join(dir, "cut.zip"), bytes.subarray(0, Math.floor(bytes.length * 0.6)))
    expect((await verifyError(join(dir, "cut.zip"))).reason).toBe("Unreadable")
  })

  it("fails an archive with a flipped byte inside an entry", async () => {
    const dir = await tmp()
    const path = await writeArchive(join(dir, "a.zip"), 1)
    const bytes = Buffer.from(await readFile(path))
    bytes[60] = bytes[60]! ^ 0xff // inside the first entry's compressed data
    await writeFile(join(dir, "flipped.zip"), bytes)
    // Either the zip layer (CRC, inflate) or the sha256 check must catch it; it must never pass.
    const report = await Effect.runPromise(
      verifyArchive(join(dir, "flipped.zip")).pipe(
        Effect.catchTag("ArchiveError", (e) => Effect.succeed({ ok: false, problems: [e.message] }))
      )
    )
    expect(report.ok).toBe(false)
    expect(report.problems.length).toBeGreaterThan(0)
  })

  it("finds sha256 mismatches, missing and extra entries, and invalid spaces", async () => {
    const dir = await tmp()
    const good = JSON.stringify(space(1))
    const repos = "{}"
    const path = join(dir, "bad.zip")
    const listed = [
      { path: "spaces/octo-org/1.json", text: good },
      { path: "spaces/octo-org/2.json", text: JSON.stringify({ number: 2 }) },
      { path: "spaces/octo-org/3.json", text: good },
      { path: "repositories.json", text: repos }
    ]
    await rawZip(path, [
      ["manifest.json", manifest(listed)],
      ["spaces/octo-org/1.json", good.replace("be nice", "be mean")],
      ["spaces/octo-org/2.json", JSON.stringify({ number: 2 })],
      ["repositories.json", repos],
      ["extra.json", "{}"]
    ])
    const report = await verify(path)
    expect(report.ok).toBe(false)
    expect(report.problems).toEqual(
      expect.arrayContaining([
        "entry extra.json is not listed in the manifest",
        expect.stringMatching(/spaces\/octo-org\/1.json (has \d+ bytes|does not match its sha256)/),
        expect.stringMatching(/spaces\/octo-org\/2.json does not match the format/),
        "entry spaces/octo-org/3.json is listed in the manifest but missing from the archive"
      ])
    )
  })

  it("rejects path-traversal and absolute entry names", async () => {
    const dir = await tmp()
    for (const name of ["../evil.json", "/abs.json", "spaces/..\\x.json"]) {
      // archiver normalizes names, so write a same-length placeholder and patch the bytes of both headers.
      const path = join(dir, "t.zip")
      const placeholder = "p".repeat(name.length)
      await rawZip(path, [
        ["manifest.json", manifest([])],
        [placeholder, "{}"]
      ])
      const bytes = await readFile(path)
      await writeFile(path, Buffer.from(bytes.toString("latin1").split(placeholder).join(name), "latin1"))
      const error = await verifyError(path)
      expect(error.reason).toBe("Invalid")
      expect(error.message).toMatch(/unsafe entry name|absolute path|'\.\.' segment|backslash/)
      expect(error.message).toContain(name.startsWith("/") ? "/abs.json" : "..")
    }
  })

  it("refuses a newer format version with a clear message", async () => {
    const dir = await tmp()
    const path = join(dir, "v2.zip")
    await rawZip(path, [["manifest.json", JSON.stringify({ formatVersion: 2 })]])
    const error = await verifyError(path)
    expect(error.reason).toBe("UnsupportedVersion")
    expect(error.message).toMatch(/archive format 2, newer than this spaces-vault supports \(1\); upgrade spaces-vault/)
  })

  it("fails when the manifest's owner counts disagree with the entries", async () => {
    const dir = await tmp()
    const path = await writeArchive(join(dir, "a.zip"), 2, [
      { login: "octo-org", kind: "org", status: "complete", spaces: 5, failures: [], vanished: [] }
    ])
    const report = await verify(path)
    expect(report.problems).toEqual(["owner octo-org: the manifest says 5 spaces, the archive holds 2"])
  })
})

describe("diff", () => {
  const digest = (n: number, extra: Record<string, unknown> = {}) =>
    digestSpace("octo-org", space(n, extra) as unknown as ArchivedSpace)

  it("lists added, removed and changed spaces with what changed", () => {
    const before = [digest(1), digest(2), digest(3)]
    const after = [
      digest(1),
      digest(3, {
        name: "Renamed",
        base_role: "admin",
        resources_attributes: [],
        collaborators: [
          { actor_type: "User", role: "admin", login: "hubot", id: 5 },
          { actor_type: "Team", role: "reader", id: 7, slug: "platform", name: "Platform" }
        ]
      }),
      digest(4)
    ]
    const d = diffDigests(before, after)
    expect(d.removed.map((s) => s.number)).toEqual([2])
    expect(d.added.map((s) => s.number)).toEqual([4])
    expect(d.unchanged).toBe(1)
    expect(d.changed).toEqual([
      {
        owner: "octo-org",
        number: 3,
        name: "Renamed",
        changes: [
          'name: "Space 3" -> "Renamed"',
          "base_role: reader -> admin",
          "resources: +0 -1 ~0",
          "collaborators: +Team/platform(reader) ~User/hubot writer->admin"
        ]
      }
    ])
  })

  it("calls a missing space unverified, not removed, when the newer archive could not have seen it", () => {
    const owner = (login: string, failures: Array<{ scope: string; message: string }> = []) =>
      ({
        login,
        kind: "org",
        status: failures.length > 0 ? "partial" : "complete",
        spaces: 0,
        failures,
        vanished: []
      }) as const
    const before = [digest(1), digest(2), digest(3), digestSpace("other-org", space(9) as unknown as ArchivedSpace)]
    const after = [digest(1)]
    // Space 2 failed to download; space 3 is really gone; other-org was not exported this time.
    const coverage = coverageOf([
      owner("Octo-Org", [{ scope: "space 2", message: "GET … failed: GitHub answered 502" }])
    ])
    const d = diffDigests(before, after, coverage)
    expect(d.removed.map((s) => s.number)).toEqual([3])
    expect(d.unverified).toEqual([
      { owner: "octo-org", number: 2, name: "Space 2", reason: "the newer archive could not read this space" },
      { owner: "other-org", number: 9, name: "Space 9", reason: "the newer archive does not include other-org" }
    ])
    // The listing itself failed: nothing of that owner can be called removed.
    const listFailed = diffDigests(
      before,
      [],
      coverageOf([owner("octo-org", [{ scope: "list", message: "403" }]), owner("other-org")])
    )
    expect(listFailed.removed.map((s) => `${s.owner}/${s.number}`)).toEqual(["other-org/9"])
    expect(listFailed.unverified.map((s) => s.reason)).toEqual(
      Array(3).fill("the newer archive could not list octo-org's spaces")
    )
  })

  it("compares resources and collaborators as sets, and texts by content", () => {
    const resources = [
      { id: 9, resource_type: "repository", metadata: { repository_id: 42 }, copilot_chat_attachment_id: null },
      { id: 10, resource_type: "free_text", metadata: { name: "n", text: "t" }, copilot_chat_attachment_id: null }
    ]
    const people = [
      { actor_type: "User", role: "writer", login: "hubot", id: 5 },
      { actor_type: "Team", role: "reader", id: 7, slug: "platform", name: "Platform" }
    ]
    const a = digest(1, { resources_attributes: resources, collaborators: people })
    const reordered = digest(1, {
      resources_attributes: [...resources].reverse(),
      collaborators: [...people].reverse()
    })
    expect(diffDigests([a], [reordered]).unchanged).toBe(1)
    const edited = digest(1, {
      description: "",
      resources_attributes: [
        { ...resources[1], metadata: { name: "n", text: "changed" } },
        { ...resources[0], id: 11 }
      ],
      collaborators: [{ ...people[1], role: "admin" }]
    })
    expect(diffDigests([a], [edited]).changed[0]?.changes).toEqual([
      "description",
      "resources: +1 -1 ~1",
      "collaborators: -User/hubot ~Team/platform reader->admin"
    ])
  })

  it("ignores ETags and timestamps alone", () => {
    const d = diffDigests([digest(1)], [digest(1, { etags: { space: `"other"` }, updated_at: "2030-01-01T00:00:00Z" })])
    expect(d.changed).toEqual([])
    expect(d.unchanged).toBe(1)
  })
})

describe("reading refuses an archive whose entries differ from its manifest", () => {
  const text = (n: number, extra: Record<string, unknown> = {}) => `${JSON.stringify(space(n, extra), null, 2)}\n`
  const repos = `${JSON.stringify({ "42": { full_name: "octo-org/api" } }, null, 2)}\n`
  /** What the manifest lists: spaces 1-3 and repositories.json. */
  const listed = [1, 2, 3]
    .map((n) => ({ path: `spaces/octo-org/${n}.json`, text: text(n) }))
    .concat({ path: "repositories.json", text: repos })
  const entry = (n: number, body = text(n)): [string, string] => [`spaces/octo-org/${n}.json`, body]

  /** A zip whose manifest lists `listed`, holding `entries` instead. */
  const tampered = async (entries: ReadonlyArray<[string, string]>) => {
    const path = join(await tmp(), "tampered.zip")
    await rawZip(path, [["manifest.json", manifest(listed)], ...entries])
    return path
  }
  const untampered = () => tampered([entry(1), entry(2), entry(3), ["repositories.json", repos]])

  /** The messages of inspect, of diff with the archive as the newer and as the older one, and of reading space 2 alone (as export does on a 304). */
  const refusals = async (path: string) => {
    const good = await untampered()
    const message = <A>(effect: Effect.Effect<A, { readonly message: string }>) =>
      Effect.runPromise(
        effect.pipe(
          Effect.flip,
          Effect.map((e) => e.message),
          Effect.orElseSucceed(() => "no error")
        )
      )
    return [
      await message(inspectArchive(path)),
      await message(diffArchives(good, path)),
      await message(diffArchives(path, good)),
      await message(Effect.scoped(Effect.flatMap(openArchive(path), (a) => a.readSpaceRaw("octo-org", 2))))
    ]
  }
  const refusedBy = (path: string, problem: string) =>
    expect(refusals(path)).resolves.toEqual(Array(4).fill(`archive ${path} is invalid: ${problem}`))

  it("still inspects and diffs an archive whose entries match (the tampered ones below start from it)", async () => {
    const path = await untampered()
    const inspection = await Effect.runPromise(inspectArchive(path))
    expect(inspection.owners[0]!.spaces.map((s) => s.number)).toEqual([1, 2, 3])
    expect(inspection.repositories).toBe(1)
    const d = await Effect.runPromise(diffArchives(path, await untampered()))
    expect(d).toEqual({ added: [], removed: [], changed: [], unverified: [], unchanged: 3 })
    expect((await verify(path)).ok).toBe(true)
  })

  it("refuses an entry edited in place (same size, other bytes)", async () => {
    const edited = text(2).replace("be nice", "be kind")
    expect(Buffer.byteLength(edited)).toBe(Buffer.byteLength(text(2)))
    const path = await tampered([entry(1), entry(2, edited), entry(3), ["repositories.json", repos]])
    await refusedBy(path, "entry spaces/octo-org/2.json does not match its sha256 in the manifest")
  })

  it("refuses an edited repository index, though a diff does not use it", async () => {
    const edited = repos.replace(/[a-z](?=")/, (c) => (c === "x" ? "y" : "x"))
    expect(edited).not.toBe(repos)
    expect(Buffer.byteLength(edited)).toBe(Buffer.byteLength(repos))
    const path = await tampered([entry(1), entry(2), entry(3), ["repositories.json", edited]])
    // inspect and both diffs; reading one good space entry alone (as export does on a 304) rightly still works
    const [inspect, diffNewer, diffOlder] = await refusals(path)
    expect([inspect, diffNewer, diffOlder]).toEqual(
      Array(3).fill(`archive ${path} is invalid: entry repositories.json does not match its sha256 in the manifest`)
    )
  })

  it("refuses an entry whose size differs from the manifest", async () => {
    const longer = text(2).replace("be nice", "be nicer")
    const path = await tampered([entry(1), entry(2, longer), entry(3), ["repositories.json", repos]])
    await refusedBy(
      path,
      `entry spaces/octo-org/2.json has ${Buffer.byteLength(longer)} bytes, the manifest says ${Buffer.byteLength(text(2))}`
    )
  })

  it("refuses a duplicated entry name, which read as 'removed 2, added 3' before", async () => {
    const path = await tampered([entry(1), entry(2), entry(3), ["repositories.json", repos], entry(2, text(3))])
    await refusedBy(path, "entry spaces/octo-org/2.json appears more than once in the zip")
    // A duplicate with the very same bytes is just as ambiguous to other zip readers.
    const same = await tampered([entry(1), entry(2), entry(2), entry(3), ["repositories.json", repos]])
    await refusedBy(same, "entry spaces/octo-org/2.json appears more than once in the zip")
  })

  it("refuses an entry the manifest lists but the zip lacks, even one diff never reads", async () => {
    const path = await tampered([entry(1), entry(2), ["repositories.json", repos]])
    await refusedBy(path, "entry spaces/octo-org/3.json is listed in the manifest but missing from the archive")
    const noRepos = await tampered([entry(1), entry(2), entry(3)])
    await refusedBy(noRepos, "entry repositories.json is listed in the manifest but missing from the archive")
  })

  it("refuses a space entry the manifest does not list", async () => {
    const path = await tampered([entry(1), entry(2), entry(3), entry(4), ["repositories.json", repos]])
    await refusedBy(path, "entry spaces/octo-org/4.json is not listed in the manifest")
  })

  it("refuses a listed space entry that holds another space's number", async () => {
    const path = join(await tmp(), "renumbered.zip")
    const renumbered = listed.map((e) => (e.path === "spaces/octo-org/2.json" ? { ...e, text: text(3) } : e))
    await rawZip(path, [
      ["manifest.json", manifest(renumbered)],
      ...renumbered.map((e): [string, string] => [e.path, e.text])
    ])
    const messages = await refusals(path)
    expect(messages.slice(0, 3)).toEqual(
      Array(3).fill(`archive ${path} is invalid: spaces/octo-org/2.json holds space number 3`)
    )
  })
})
