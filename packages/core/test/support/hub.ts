// After every test against fakehub: the exchange must have followed GitHub's OpenAPI description and the client
// must never have sent a request inside a retry-after window. Then the hub is closed.
import type { FakeHub } from "@spaces-vault/fixtures"
import { expect } from "vitest"

export const checkAndClose = async (hub: FakeHub | undefined): Promise<undefined> => {
  if (hub === undefined) return undefined
  try {
    expect(hub.counters.contractViolations).toEqual([])
    expect(hub.counters.insideRetryAfter).toBe(0)
  } finally {
    await hub.close()
  }
  return undefined
}
