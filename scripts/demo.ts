// The demo: the real job against fakehub seeded with demo data. Every step runs the real program in a child
// process, exactly as a user would type it, and the demo fails (exit 1) when any step does not do what it should.
import { execFile } from "node:child_process"
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { startFakeHub } from "@spaces-vault/fixtures"
import { startFakeS3 } from "@spaces-vault/fixtures/s3/FakeS3"
import { programs } from "./build.ts"

const root = new URL("..", import.meta.url).pathname
const outDir = join(root, "demo-out")
const archives = join(outDir, "archives")

interface Step {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

/** The bundle `./run` built, as an install runs it. */
const spacesVault = programs.find((p) => p.entry === "packages/cli/src/bin.ts")!.out

const cli = (env: NodeJS.ProcessEnv, ...args: ReadonlyArray<string>): Promise<Step> =>
  new Promise((resolve) => {
    console.log(`\n$ spaces-vault ${args.join(" ")}`)
    execFile(
      process.execPath,
      [join(root, spacesVault), ...args],
      { env, maxBuffer: 64 << 20 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : 1
        const shown = stdout.trimEnd()
        // Long outputs (inspect --json) are cut in the demo's log; the program printed them whole.
        if (shown)
          console.log(shown.length > 2500 ? `${shown.slice(0, 2500)}… (${shown.length - 2500} more characters)` : shown)
        if (stderr.trim()) console.log(stderr.trimEnd())
        console.log(`(exit ${code})`)
        resolve({ code, stdout, stderr })
      }
    )
  })

const expect = (ok: boolean, what: string) => {
  if (!ok) {
    console.error(`demo: FAILED: ${what}`)
    process.exitCode = 1
    throw new Error(what)
  }
  console.log(`  ✓ ${what}`)
}

const main = async () => {
  await rm(outDir, { recursive: true, force: true })
  await mkdir(archives, { recursive: true })
  const hub = await startFakeHub({ seed: "demo" })
  console.log(`fakehub listening on ${hub.url} (seed: demo)`)
  // Replay journals and locks stay in the demo's own state directory, not the user's.
  const env = {
    ...process.env,
    GH_TOKEN: hub.token,
    GITHUB_API_URL: hub.url,
    SPACES_VAULT_STATE_DIR: join(outDir, "state")
  }
  try {
    const first = await cli(
      env,
      "export",
      "--org",
      "octo-org",
      "--org",
      "octo-archive",
      "--user",
      "mona",
      "--out",
      archives,
      "--json"
    )
    expect(first.code === 0, "first export exits 0")
    const firstSummary = JSON.parse(first.stdout) as { archive: string; requests: number; partial: boolean }
    expect(!firstSummary.partial, "the archive is complete")

    const verified = await cli(env, "verify", firstSummary.archive)
    expect(verified.code === 0, "verify accepts the archive")
    const inspected = await cli(env, "inspect", firstSummary.archive, "--json")
    const inventory = JSON.parse(inspected.stdout) as { owners: Array<{ login: string; spaces: Array<unknown> }> }
    console.log(inventory.owners.map((o) => `  ${o.login}: ${o.spaces.length} spaces`).join("\n"))
    expect(inspected.code === 0 && inventory.owners.length === 3, "inspect lists owners and spaces")

    // Something changes overnight: one space edited, one deleted.
    const changed = hub.state.demoChange()
    console.log(`\n(fakehub: edited ${changed.edited}, deleted ${changed.deleted})`)

    const second = await cli(
      env,
      "export",
      "--org",
      "octo-org",
      "--org",
      "octo-archive",
      "--user",
      "mona",
      "--out",
      archives,
      "--json"
    )
    expect(second.code === 0, "second export exits 0")
    const secondSummary = JSON.parse(second.stdout) as { archive: string; requests: number }
    console.log(`  second export reused unchanged spaces through ETags (304s cost no rate-limit budget)`)

    const diffed = await cli(env, "diff", firstSummary.archive, secondSummary.archive)
    expect(diffed.code === 0 && diffed.stdout.includes(changed.deleted), "diff names the deleted space")

    // Restore after deletion: the plan first, then the real thing; a re-run changes nothing.
    const plan = await cli(env, "replay", firstSummary.archive, "--space", changed.deleted, "--dry-run")
    expect(plan.code === 0 && plan.stdout.includes("create"), "the dry-run plan says the deleted space will be created")
    const restored = await cli(env, "replay", firstSummary.archive, "--space", changed.deleted, "--json")
    const restoredSummary = JSON.parse(restored.stdout) as { created: Array<{ number: number }> }
    expect(restored.code === 0 && restoredSummary.created.length === 1, `space ${changed.deleted} is restored`)
    expect(
      hub.state
        .listSpaces("octo-org")
        .some((s) => s.name === hub.state.getSpace("octo-org", restoredSummary.created[0]!.number)?.name),
      "the restored space is back in octo-org"
    )
    const rerun = await cli(env, "replay", firstSummary.archive, "--space", changed.deleted, "--json")
    expect(
      rerun.code === 0 && (JSON.parse(rerun.stdout) as { created: Array<unknown> }).created.length === 0,
      "re-running the restore creates nothing"
    )

    // Migrate part of the demo org into octo-migrated (same repository names, other ids); some items cannot move.
    const selection = ["1", "2", "3", "4", "6", "7"].flatMap((n) => ["--space", `octo-org/${n}`])
    const migrated = await cli(
      env,
      "replay",
      firstSummary.archive,
      "--to",
      "octo-migrated",
      ...selection,
      "--write-rate",
      "600"
    )
    expect(
      migrated.code === 0 && migrated.stdout.includes("not carried over"),
      "migration into octo-migrated reports what it could not carry over"
    )

    // Archives that leave the machine: the same export to an S3-compatible server (a local one, over HTTP) and a
    // verify that reads it back with ranged requests.
    const s3 = await startFakeS3({ buckets: ["demo-vault"] })
    try {
      const s3Env = { ...env, AWS_ACCESS_KEY_ID: "demo", AWS_SECRET_ACCESS_KEY: "demo" }
      const s3Out = ["--out", "s3://demo-vault/nightly", "--s3-endpoint", s3.endpoint]
      const uploaded = await cli(s3Env, "export", "--org", "octo-org", ...s3Out, "--json")
      const uploadedSummary = JSON.parse(uploaded.stdout || "{}") as { archive?: string }
      expect(
        uploaded.code === 0 && uploadedSummary.archive?.startsWith("s3://demo-vault/nightly/") === true,
        "the export to S3 names its object"
      )
      const checked = await cli(s3Env, "verify", uploadedSummary.archive ?? "", "--s3-endpoint", s3.endpoint)
      expect(checked.code === 0 && checked.stdout.startsWith("ok: s3://demo-vault/"), "the archive in S3 verifies")

      // Encrypted: a key pair made for the demo (the backup side needs only the public key, in a recipients file),
      // an export whose entries only that key opens, and a verify that decrypts and checks every entry with it.
      const keys = await mkdtemp(join(tmpdir(), "spaces-vault-demo-keys-"))
      try {
        const identity = join(keys, "restore.key")
        const made = await cli(env, "keygen", "--out", identity, "--json")
        const { recipient } = JSON.parse(made.stdout || "{}") as { recipient?: string }
        expect(made.code === 0 && recipient?.startsWith("age1") === true, "keygen makes a key pair")
        const recipients = join(keys, "recipients.txt")
        await writeFile(recipients, `# the demo's restore key\n${recipient}\n`)
        // octo-archive: the two exports of octo-org just before used up its share of fakehub's per-minute limits.
        const sealed = await cli(
          s3Env,
          "export",
          "--org",
          "octo-archive",
          "--out",
          "s3://demo-vault/encrypted",
          "--s3-endpoint",
          s3.endpoint,
          "--encrypt-to-file",
          recipients,
          "--json"
        )
        const sealedSummary = JSON.parse(sealed.stdout || "{}") as { archive?: string }
        expect(
          sealed.code === 0 && sealedSummary.archive?.startsWith("s3://demo-vault/encrypted/") === true,
          "the encrypted export to S3 names its object"
        )
        const opened = await cli(
          s3Env,
          "verify",
          sealedSummary.archive ?? "",
          "--s3-endpoint",
          s3.endpoint,
          "--identity",
          identity,
          "--json"
        )
        const report = JSON.parse(opened.stdout || "{}") as { ok?: boolean; encrypted?: boolean; decrypted?: boolean }
        expect(
          opened.code === 0 && report.ok === true && report.encrypted === true && report.decrypted === true,
          "the encrypted archive verifies with the key: every entry decrypted and checked"
        )
      } finally {
        await rm(keys, { recursive: true, force: true })
      }
    } finally {
      await s3.close()
    }
  } finally {
    await hub.close()
  }
  console.log("\ndemo: all steps passed")
}

main().catch((e: unknown) => {
  if (process.exitCode !== 1) console.error(`demo: ${e instanceof Error ? e.message : String(e)}`)
  process.exitCode = 1
})
