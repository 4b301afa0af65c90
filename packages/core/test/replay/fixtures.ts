// One archived space and a target directory, as plain data, for the pure replay tests.
import type { ArchivedSpace } from "../../src/archive/ArchiveFormat.ts"
import { org } from "../../src/domain/Owner.ts"
import type { TargetDirectory } from "../../src/replay/Remap.ts"

export const archived = {
  id: 1,
  number: 7,
  name: "Runbooks",
  description: "d",
  general_instructions: "gi",
  base_role: "writer",
  owner: { login: "src", id: 1 },
  creator: { login: "src", id: 1 },
  created_at: "x",
  updated_at: "x",
  html_url: "x",
  api_url: "x",
  resources_attributes: [
    { id: 10, resource_type: "repository", metadata: { repository_id: 100 } },
    { id: 11, resource_type: "github_file", metadata: { repository_id: 101, file_path: "a.md" } },
    { id: 12, resource_type: "free_text", metadata: { name: "n", text: "t" } },
    { id: 13, resource_type: "media_content", metadata: { name: "p.png" } }
  ],
  collaborators: [
    { actor_type: "User", role: "writer", login: "ada", id: 5 },
    { actor_type: "User", role: "reader", login: "linus", id: 6 },
    { actor_type: "Team", role: "admin", slug: "platform", id: 7, name: "Platform" },
    { actor_type: "Team", role: "reader", slug: "gone", id: 8, name: "Gone" }
  ],
  etags: {}
} as unknown as ArchivedSpace

export const index = { "100": { full_name: "src/api" }, "101": { full_name: "src/docs" } }

export const dir = (overrides: Partial<TargetDirectory> = {}): TargetDirectory => ({
  owner: org("dst"),
  repositories: new Map([
    ["dst/api", 900],
    ["dst/docs", undefined],
    ["dst/docs-v2", 901]
  ]),
  repositoryIds: new Map(),
  teams: new Map([
    ["platform", true],
    ["gone", false]
  ]),
  users: new Map([
    ["ada", true],
    ["linus", false]
  ]),
  ...overrides
})
