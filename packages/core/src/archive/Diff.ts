// A pure diff of two archives' digests: spaces added, removed ("deleted since last night" — the list a restore
// starts from) and changed, with what changed. Spaces are matched by owner (case-folded) and number.
import type { SpaceDigest } from "./SpaceDigest.ts"

export interface SpaceRef {
  readonly owner: string
  readonly number: number
  readonly name: string
}

export interface ChangedSpace extends SpaceRef {
  readonly changes: ReadonlyArray<string>
}

export interface ArchiveDiff {
  readonly added: ReadonlyArray<SpaceRef>
  readonly removed: ReadonlyArray<SpaceRef>
  readonly changed: ReadonlyArray<ChangedSpace>
  readonly unchanged: number
}

const key = (d: SpaceDigest) => `${d.owner.toLowerCase()}/${d.number}`
const ref = (d: SpaceDigest): SpaceRef => ({ owner: d.owner, number: d.number, name: d.name })
const byKey = (a: SpaceRef, b: SpaceRef) => a.owner.localeCompare(b.owner) || a.number - b.number

const recordChanges = (before: Readonly<Record<string, string>>, after: Readonly<Record<string, string>>) => {
  const added = Object.keys(after).filter((k) => !(k in before))
  const removed = Object.keys(before).filter((k) => !(k in after))
  const changed = Object.keys(after).filter((k) => k in before && before[k] !== after[k])
  return { added, removed, changed }
}

/** What changed in one space, in words; empty when nothing did. */
export const describeChanges = (a: SpaceDigest, b: SpaceDigest): ReadonlyArray<string> => {
  const changes: Array<string> = []
  if (a.name !== b.name) changes.push(`name: ${JSON.stringify(a.name)} -> ${JSON.stringify(b.name)}`)
  if (a.description !== b.description) changes.push("description")
  if (a.instructions !== b.instructions) changes.push("general_instructions")
  if (a.baseRole !== b.baseRole) changes.push(`base_role: ${a.baseRole} -> ${b.baseRole}`)
  const r = recordChanges(a.resources, b.resources)
  if (r.added.length + r.removed.length + r.changed.length > 0) {
    changes.push(`resources: +${r.added.length} -${r.removed.length} ~${r.changed.length}`)
  }
  const c = recordChanges(a.collaborators, b.collaborators)
  const parts = [
    ...c.added.map((k) => `+${k}(${b.collaborators[k]})`),
    ...c.removed.map((k) => `-${k}`),
    ...c.changed.map((k) => `~${k} ${a.collaborators[k]}->${b.collaborators[k]}`)
  ]
  if (parts.length > 0) changes.push(`collaborators: ${parts.join(" ")}`)
  return changes
}

export const diffDigests = (before: Iterable<SpaceDigest>, after: Iterable<SpaceDigest>): ArchiveDiff => {
  const old = new Map<string, SpaceDigest>()
  for (const d of before) old.set(key(d), d)
  const added: Array<SpaceRef> = []
  const changed: Array<ChangedSpace> = []
  let unchanged = 0
  for (const d of after) {
    const prev = old.get(key(d))
    if (prev === undefined) {
      added.push(ref(d))
      continue
    }
    old.delete(key(d))
    const changes = describeChanges(prev, d)
    if (changes.length > 0) changed.push({ ...ref(d), changes })
    else unchanged++
  }
  return {
    added: added.sort(byKey),
    removed: [...old.values()].map(ref).sort(byKey),
    changed: changed.sort(byKey),
    unchanged
  }
}
