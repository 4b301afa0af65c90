// The result of a replay, built space by space: what was (in a dry run, would be) created, updated, skipped or
// failed; what could not be carried over; notes; the renames applied; and the writes sent (or planned).
import type { Owner } from "../domain/Owner.ts"
import type { AppliedMapping, UnmappedItem } from "./Remap.ts"
import {
  type FailureKind,
  type SourceRef,
  type SpaceAction,
  type SpaceOutcome,
  type WriteCount,
  writesOf
} from "./ReplayPlan.ts"

export interface SpaceResult {
  readonly source: SourceRef
  readonly target: string
  readonly number?: number
}

/** What a created space holds. */
export interface SpaceContents {
  readonly resources: number
  readonly collaborators: number
  readonly baseRole: string
}

/** Why a space was skipped: it exists (and the policy is to skip), it already equals the archive, or a stop. */
export type SkipKind = "exists" | "equal" | "stopped"

export interface ReplaySummary {
  readonly dryRun: boolean
  readonly created: ReadonlyArray<SpaceResult & { readonly contents: SpaceContents }>
  readonly updated: ReadonlyArray<SpaceResult & { readonly changes: ReadonlyArray<string> }>
  readonly skipped: ReadonlyArray<SpaceResult & { readonly reason: string; readonly kind: SkipKind }>
  readonly failed: ReadonlyArray<SpaceResult & { readonly error: string; readonly kind: FailureKind }>
  /** Items not carried over, for the spaces that were (or would be) written. */
  readonly unmapped: ReadonlyArray<SpaceResult & { readonly items: ReadonlyArray<UnmappedItem> }>
  readonly notes: ReadonlyArray<SpaceResult & { readonly notes: ReadonlyArray<string> }>
  /** Every rename applied to what was (or would be) written, once per target. */
  readonly mappings: ReadonlyArray<AppliedMapping & { readonly target: string }>
  readonly writes: WriteCount
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] extends ReadonlyArray<infer A> ? Array<A> : T[K] }
export type SummaryBuilder = Mutable<ReplaySummary>

export const emptySummary = (dryRun: boolean): SummaryBuilder => ({
  dryRun,
  created: [],
  updated: [],
  skipped: [],
  failed: [],
  unmapped: [],
  notes: [],
  mappings: [],
  writes: { total: 0, creating: 0 }
})

/** An update's changes, one line each. */
export const describeAction = (a: SpaceAction): ReadonlyArray<string> => {
  if (a._tag !== "Update") return []
  const c = a.collaborators
  return [
    ...Object.keys(a.fields).map((f) => `set ${f}`),
    ...a.resources.map((r) =>
      "_destroy" in r ? `remove resource ${String(r.id)}` : `add ${String(r.resource_type)} resource`
    ),
    ...c.add.map((x) => `add ${x.actor_type} ${x.identifier} (${x.role})`),
    ...c.update.map((x) => `set ${x.actor_type} ${x.identifier} to ${x.role}`),
    ...c.remove.map((x) => `remove ${x.actor_type} ${x.identifier}`)
  ]
}

/** Adds one space's action and outcome to the summary. */
export const recordOutcome = (summary: SummaryBuilder, target: Owner, action: SpaceAction, outcome: SpaceOutcome) => {
  const base = { source: action.source, target: target.login }
  // What could not be carried over, and the renames, matter only where something is (or would be) written.
  if (action._tag !== "Skip" && action._tag !== "Conflict") {
    const r = action.remapped
    if (r.unmapped.length > 0) summary.unmapped.push({ ...base, items: r.unmapped })
    if (r.notes.length > 0) summary.notes.push({ ...base, notes: r.notes })
    for (const m of r.mappings) {
      const seen = summary.mappings.some(
        (x) => x.target === target.login && x.kind === m.kind && x.from === m.from && x.to === m.to
      )
      if (!seen) summary.mappings.push({ ...m, target: target.login })
    }
  }
  if (outcome._tag === "Created" || outcome._tag === "Updated") {
    const w = writesOf(action)
    summary.writes = { total: summary.writes.total + w.total, creating: summary.writes.creating + w.creating }
  }
  switch (outcome._tag) {
    case "Created": {
      const r = action.remapped
      const contents = { resources: r.resources.length, collaborators: r.collaborators.length, baseRole: r.base_role }
      summary.created.push(summary.dryRun ? { ...base, contents } : { ...base, number: outcome.number, contents })
      return
    }
    case "Updated":
      // An update that found nothing to change changed nothing: a re-run reports no work done.
      if (outcome.changed) summary.updated.push({ ...base, number: outcome.number, changes: describeAction(action) })
      else
        summary.skipped.push({ ...base, number: outcome.number, reason: "already equal to the archive", kind: "equal" })
      return
    case "Skipped":
      summary.skipped.push({ ...base, number: outcome.number, reason: outcome.reason, kind: "exists" })
      return
    case "Failed":
      summary.failed.push({
        ...base,
        ...(outcome.number !== undefined ? { number: outcome.number } : {}),
        error: outcome.error,
        kind: outcome.kind
      })
  }
}

/** A space a stop left untried: listed as skipped, saying why, so every selected space appears. */
export const recordNotTried = (summary: SummaryBuilder, target: Owner, source: SourceRef, stoppedAt: string) => {
  summary.skipped.push({
    source,
    target: target.login,
    reason: `not tried: the run stopped at the conflict with ${stoppedAt}`,
    kind: "stopped"
  })
}
