import { describe, expect, it } from "vitest"
import { resolveStateDir } from "../../src/runtime/StateDir.ts"

describe("resolveStateDir", () => {
  const home = "/home/ops"
  it("takes the flag first, then SPACES_VAULT_STATE_DIR, then XDG_STATE_HOME, then ~/.local/state", () => {
    const env = { SPACES_VAULT_STATE_DIR: "/var/lib/vault", XDG_STATE_HOME: "/xdg" }
    expect(resolveStateDir({ flag: "/tmp/s", env, home })).toBe("/tmp/s")
    expect(resolveStateDir({ env, home })).toBe("/var/lib/vault")
    expect(resolveStateDir({ env: { XDG_STATE_HOME: "/xdg" }, home })).toBe("/xdg/spaces-vault")
    expect(resolveStateDir({ env: {}, home })).toBe("/home/ops/.local/state/spaces-vault")
  })
  it("ignores empty values and a relative XDG_STATE_HOME, as the XDG spec asks", () => {
    expect(resolveStateDir({ flag: " ", env: { SPACES_VAULT_STATE_DIR: "", XDG_STATE_HOME: "rel" }, home })).toBe(
      "/home/ops/.local/state/spaces-vault"
    )
  })
})
