// The owners of an export that also covers every organization a GitHub App is installed on: the CLI's
// `--all-installations` and the worker's `allInstallations`, one function.
import { Effect, Schema } from "effect"
import { org, type Owner } from "../domain/Owner.ts"
import { GitHubClient } from "../github/GitHubClient.ts"
import { GitHubError } from "../github/GitHubError.ts"

/** The client authenticates with a personal token, which has no installations to list. */
export const NotApp = Schema.TaggedStruct("NotApp", {})
/** GitHub did not answer the list of the App's installations. */
export const ListFailed = Schema.TaggedStruct("ListFailed", { cause: GitHubError })
/** Nothing to export: no owner was given and the App is installed on no organization. */
export const NoOrganization = Schema.TaggedStruct("NoOrganization", {})

export const InstallationsErrorReason = Schema.Union([NotApp, ListFailed, NoOrganization])

export class InstallationsError extends Schema.TaggedError<InstallationsError>()("InstallationsError", {
  reason: InstallationsErrorReason
}) {
  override get message(): string {
    const r = this.reason
    switch (r._tag) {
      case "NotApp":
        return "exporting every installation needs a GitHub App"
      case "ListFailed":
        return `cannot list the App's installations: ${r.cause.message}`
      case "NoOrganization":
        return "the GitHub App is installed on no organization"
    }
  }
}

/** The owners given plus every organization the App is installed on, each once, in the order given then listed. */
export const ownersWithInstallations = (given: ReadonlyArray<Owner>) =>
  Effect.gen(function* () {
    const client = yield* GitHubClient
    if (client.authMode !== "app") return yield* new InstallationsError({ reason: { _tag: "NotApp" } })
    const installations = yield* client.installations.pipe(
      Effect.mapError((cause) => new InstallationsError({ reason: { _tag: "ListFailed", cause } }))
    )
    const seen = new Set(given.map((o) => o.login.toLowerCase()))
    const added = installations
      .filter((i) => i.kind === "org" && !seen.has(i.account.toLowerCase()))
      .map((i) => org(i.account))
    const owners = [...given, ...added]
    if (owners.length === 0) return yield* new InstallationsError({ reason: { _tag: "NoOrganization" } })
    return owners
  })
