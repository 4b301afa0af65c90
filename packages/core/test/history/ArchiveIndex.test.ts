// history and restore's search read through the provided ArchiveStore, at any location it understands: each
// archive's manifest in at most three ranged reads, entries by name, never a whole archive. The double serves an
// S3 location from a local directory, as the S3 layer will serve it from a bucket.
import { randomBytes } from "node:crypto"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { archiveFileName } from "../../src/archive/ArchiveDirectory.ts"
import type { S3Location } from "../../src/archive/ArchiveLocation.ts"
import { ArchiveStore } from "../../src/archive/ArchiveStore.ts"
import { localArchives } from "../../src/archive/LocalArchives.ts"
import { planRestore } from "../../src/history/Restore.ts"
import { spaceHistory } from "../../src/history/SpaceHistory.ts"
import { tmp } from "../archive/archives.ts"
import { writeOwnersArchive } from "../support/archives.ts"

interface Opened {
  readonly name: string
  readonly size: number
  readonly ranges: Array<readonly [number, number]>
}

/** A store whose S3 backend is a local directory, recording every listing, open and range read. */
const recordingStore = (dir: string) => {
  const calls = { lists: [] as Array<string>, opened: [] as Array<Opened> }
  const local = localArchives({ _tag: "Local", dir })
  const s3 = (location: S3Location) => ({
    ...local,
    location,
    list: Effect.tap(local.list, () =>
      Effect.sync(() => void calls.lists.push(`${location.bucket}/${location.prefix}`))
    ),
    openRead: (name: string) =>
      Effect.map(local.openRead(name), (handle) => {
        const opened: Opened = { name, size: handle.size, ranges: [] }
        calls.opened.push(opened)
        return {
          size: handle.size,
          readRange: (start: number, end: number) => {
            opened.ranges.push([start, end])
            return handle.readRange(start, end)
          }
        }
      })
  })
  const refused = () => {
    throw new Error("a local path was read instead of the S3 location")
  }
  return { calls, layer: Layer.succeed(ArchiveStore, ArchiveStore.make({ local: refused, s3 })) }
}

const vault: S3Location = { _tag: "S3", bucket: "vault", prefix: "nightly" }
const nights = ["2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z", "2026-01-03T00:00:00Z"]
const names = nights.map((t) => archiveFileName(Date.parse(t)))

/** Three nights of 40 spaces with incompressible instructions (archives far larger than the reads asked of them). */
const instructions = Array.from({ length: 40 }, () => randomBytes(3000).toString("base64"))
const writeNights = (dir: string) =>
  Effect.forEach(nights, (createdAt, night) => {
    const spaces = Array.from({ length: 40 }, (_, i) => {
      const number = i + 1
      // Space 1 is renamed on the second night; space 2 is gone on the third.
      const extra = {
        general_instructions: instructions[i],
        ...(number === 1 && night > 0 ? { name: "Runbooks v2" } : {})
      }
      return [number, extra] as [number, Record<string, unknown>]
    }).filter(([number]) => !(number === 2 && night === 2))
    return writeOwnersArchive(join(dir, names[night]!), createdAt, [{ login: "octo-org", spaces }])
  })

/** No read is the whole archive, nor, reading manifests, more than a small part of it. */
const assertNoWholeReads = (opened: ReadonlyArray<Opened>, part = 1) => {
  for (const o of opened)
    for (const [start, end] of o.ranges)
      assert.isBelow(end - start, o.size * part, `${o.name}: read [${start}, ${end}) of ${o.size} bytes`)
}

describe("ArchiveIndex through ArchiveStore", () => {
  it.live("restore's search lists the location and reads each manifest in at most three ranges", () =>
    Effect.gen(function* () {
      const dir = yield* tmp
      yield* writeNights(dir)
      const { calls, layer } = recordingStore(dir)
      const plan = yield* planRestore(vault, {
        _tag: "Spaces",
        spaces: [
          { owner: "octo-org", number: 2 },
          { owner: "octo-org", number: 3 }
        ]
      }).pipe(Effect.provide(layer))
      assert.deepStrictEqual(
        plan.sources.map((s) => [s.space, s.archive, s.path]),
        [
          ["octo-org/2", names[1], `s3://vault/nightly/${names[1]}`],
          ["octo-org/3", names[2], `s3://vault/nightly/${names[2]}`]
        ]
      )
      assert.deepStrictEqual(plan.sources[0]!.source, { location: vault, name: names[1] })
      assert.deepStrictEqual(calls.lists, ["vault/nightly"])
      // The search needs manifests only: each archive opened once, in three ranges at most.
      assert.deepStrictEqual(calls.opened.map((o) => o.name).sort(), [...names].sort())
      for (const o of calls.opened) {
        assert.isAtLeast(o.ranges.length, 1)
        assert.isAtMost(o.ranges.length, 3, `${o.name}: ${JSON.stringify(o.ranges)}`)
      }
      assertNoWholeReads(calls.opened, 1 / 10)
    })
  )

  it.live(
    "history reads manifests in three ranges and then only the entries of the changes, never a whole archive",
    () =>
      Effect.gen(function* () {
        const dir = yield* tmp
        yield* writeNights(dir)
        const { calls, layer } = recordingStore(dir)
        const h = yield* spaceHistory(vault, { owner: "octo-org", number: 1 }, undefined).pipe(Effect.provide(layer))
        assert.deepStrictEqual(
          h.events.map((e) => [e.kind, e.archive, e.name]),
          [
            ["appeared", names[0], "Space 1"],
            ["changed", names[1], "Runbooks v2"]
          ]
        )
        const manifests = calls.opened.slice(0, names.length)
        for (const o of manifests) assert.isAtMost(o.ranges.length, 3, `${o.name}: ${JSON.stringify(o.ranges)}`)
        // Then the general reader opens the two archives whose entries the events name (the first and the change).
        assert.deepStrictEqual(
          calls.opened.slice(names.length).map((o) => o.name),
          [names[0], names[1]]
        )
        assertNoWholeReads(manifests, 1 / 10)
        assertNoWholeReads(calls.opened)
        const read = calls.opened.reduce((n, o) => n + o.ranges.reduce((m, [s, e]) => m + e - s, 0), 0)
        const total = manifests.reduce((n, o) => n + o.size, 0)
        assert.isBelow(read, total / 2, `read ${read} of ${total} bytes`)
      })
  )
})
