// The deployment recipes in docs/deploy parse, and every command they run exists with the flags they pass.
import { spawnSync } from "node:child_process"
import { readFile } from "node:fs/promises"
import { describe, expect, it } from "vitest"
import { parse } from "yaml"
import { NodeServices } from "@effect/platform-node"
import { Effect } from "effect"
import { cli } from "../../cli/test/harness.ts"
import { programs } from "../../../scripts/build.ts"
import { run as runWorker } from "../src/main.ts"

const root = new URL("../../../", import.meta.url).pathname
const read = (name: string) => readFile(`${root}docs/deploy/${name}`, "utf8")

/** Flags a CLI accepts, read from its --help (what a user would check). */
const captured = async (f: () => Promise<unknown>) => {
  let text = ""
  const original = process.stdout.write
  process.stdout.write = ((chunk: string) => {
    text += chunk
    return true
  }) as typeof process.stdout.write
  try {
    await f()
  } finally {
    process.stdout.write = original
  }
  return text
}
const help = async (args: ReadonlyArray<string>) =>
  (await Effect.runPromise(cli([...args, "--help"]))).stdout.join("\n")
const workerHelp = () =>
  captured(() => Effect.runPromise(runWorker(["--help"]).pipe(Effect.provide(NodeServices.layer))))

describe("deployment recipes", () => {
  it("GitHub Actions: valid workflow on a schedule, running real spaces-vault commands and uploading the archive", async () => {
    const wf = parse(await read("github-actions.yml")) as any
    expect(wf.on.schedule[0].cron).toMatch(/^\S+ \S+ \S+ \S+ \S+$/)
    const steps: Array<any> = wf.jobs.export.steps
    const runs = steps.filter((s) => typeof s.run === "string").map((s) => s.run as string)
    const exportRun = runs.find((r) => r.includes("spaces-vault export"))!
    const exportHelp = await help(["export"])
    for (const flag of exportRun.match(/--[a-z-]+/g)!) expect(exportHelp).toContain(flag)
    expect(runs.some((r) => r.includes("spaces-vault verify"))).toBe(true)
    expect(steps.find((s) => String(s.uses).startsWith("actions/upload-artifact")).with.path).toMatch(/\.zip$/)
    expect(steps.find((s) => s.name === "Export").env.GH_TOKEN).toMatch(/secrets\./)
  })

  it("GitHub Actions matrix: shards as the App (built-in auth) and, for short runs, create-github-app-token", async () => {
    const wf = parse(await read("github-actions-matrix.yml")) as any
    expect(wf.on.schedule[0].cron).toMatch(/^\S+ \S+ \S+ \S+ \S+$/)
    const exportHelp = await help(["export"])
    const long = wf.jobs["export-long"]
    const shards: Array<number> = long.strategy.matrix.shard
    expect(shards).toEqual(shards.map((_, i) => i))
    const longExport = long.steps.find((s: any) => s.name === "Export")
    // COUNT in --shard is the matrix's size, INDEX its entry.
    expect(longExport.run).toContain(`--shard \${{ matrix.shard }}/${shards.length}`)
    expect(longExport.run).toContain("--all-installations")
    expect(longExport.env.GH_APP_PRIVATE_KEY).toMatch(/secrets\./)
    expect(longExport.env.GH_TOKEN).toBeUndefined()
    const short = wf.jobs["export-short"]
    const mint = short.steps.find((s: any) => String(s.uses).startsWith("actions/create-github-app-token"))
    expect(mint.with["private-key"]).toMatch(/secrets\./)
    const shortExport = short.steps.find((s: any) => s.name === "Export")
    expect(shortExport.env.GH_TOKEN).toBe(`\${{ steps.${mint.id}.outputs.token }}`)
    // The minted token lives one hour: the job's timeout stays under it.
    expect(short["timeout-minutes"]).toBeLessThan(60)
    for (const job of [long, short]) {
      const run = job.steps.find((s: any) => s.name === "Export").run as string
      expect(run).toMatch(/spaces-vault export /)
      for (const flag of run.match(/--[a-z-]+/g)!) expect(exportHelp).toContain(flag)
      expect(job.steps.some((s: any) => String(s.run).includes("spaces-vault verify"))).toBe(true)
      expect(job.steps.find((s: any) => String(s.uses).startsWith("actions/upload-artifact")).with.path).toMatch(
        /\.zip$/
      )
    }
  })

  it("Kubernetes Indexed Job: every shard of one night into S3, the App's key from a Secret, no volume", async () => {
    const job = parse(await read("kubernetes-indexed-job.yaml")) as any
    expect(job.kind).toBe("CronJob")
    expect(job.spec.concurrencyPolicy).toBe("Forbid")
    const jobSpec = job.spec.jobTemplate.spec
    expect(jobSpec.completionMode).toBe("Indexed")
    expect(jobSpec.parallelism).toBe(jobSpec.completions)
    expect(jobSpec.activeDeadlineSeconds).toBeLessThan(24 * 3600)
    expect(jobSpec.template.spec.restartPolicy).toBe("Never")
    expect(jobSpec.podFailurePolicy.rules).toContainEqual({
      action: "FailJob",
      onExitCodes: { containerName: "export", operator: "In", values: [2] }
    })
    const pod = jobSpec.template.spec
    expect(pod.volumes).toBeUndefined()
    const container = pod.containers[0]
    expect(container.volumeMounts).toBeUndefined()
    const command: Array<string> = container.command
    const cliBundle = programs.find((p) => p.entry === "packages/cli/src/bin.ts")!.out
    expect(command.slice(0, 3)).toEqual(["node", cliBundle, "export"])
    const exportHelp = await help(["export"])
    for (const flag of command.filter((c) => c.startsWith("--"))) expect(exportHelp).toContain(flag)
    const argAfter = (flag: string) => command[command.indexOf(flag) + 1]!
    // INDEX from the pod's completion index, COUNT the Job's completions.
    expect(argAfter("--shard")).toBe(`$(SHARD_INDEX)/${jobSpec.completions}`)
    const env = Object.fromEntries(container.env.map((e: any) => [e.name, e]))
    expect(env.SHARD_INDEX.valueFrom.fieldRef.fieldPath).toBe(
      "metadata.annotations['batch.kubernetes.io/job-completion-index']"
    )
    expect(argAfter("--run-id")).toBe("$(RUN_ID)")
    expect(env.RUN_ID.valueFrom.fieldRef.fieldPath).toContain("job-name")
    expect(argAfter("--out")).toMatch(/^s3:\/\//)
    expect(container.envFrom[0].secretRef.name).toBeTruthy()
    expect(await read("kubernetes-indexed-job.yaml")).toMatch(/GH_APP_PRIVATE_KEY=app\.pem/)
  })

  it("systemd: the service runs the worker once with real flags; the timer is daily and persistent", async () => {
    const service = await read("spaces-vault-worker.service")
    const exec = /^ExecStart=(.+)$/m.exec(service)![1]!
    expect(exec).toMatch(/spaces-vault-worker /)
    const flags = await workerHelp()
    for (const flag of exec.match(/--[a-z-]+/g)!) expect(flags).toContain(flag)
    expect(service).toMatch(/^Type=oneshot$/m)
    expect(service).toMatch(/^EnvironmentFile=/m)
    // A run stopped by SIGTERM (a stop, a shutdown, the start timeout) exits 143 and must leave the unit failed.
    expect(service).not.toMatch(/^SuccessExitStatus=/m)
    expect(service).toMatch(/^TimeoutStartSec=\d+h$/m)
    const timer = await read("spaces-vault-worker.timer")
    expect(timer).toMatch(/^OnCalendar=\*-\*-\* 02:30:00$/m)
    expect(timer).toMatch(/^Persistent=true$/m)
    for (const text of [service, timer]) {
      for (const line of text.split("\n").filter((l) => l && !l.startsWith("#")))
        expect(line).toMatch(/^\[[A-Za-z]+\]$|^[A-Za-z]+=.*/)
    }
  })

  it("Kubernetes: a CronJob that forbids overlap and runs the worker once with the token from a secret", async () => {
    const job = parse(await read("kubernetes-cronjob.yaml")) as any
    expect(job.kind).toBe("CronJob")
    expect(job.spec.concurrencyPolicy).toBe("Forbid")
    const jobSpec = job.spec.jobTemplate.spec
    // A hung run is stopped before the next night, a stopped one (143) is retried once, a bad config (2) is not.
    expect(jobSpec.activeDeadlineSeconds).toBeLessThan(24 * 3600)
    expect(jobSpec.backoffLimit).toBe(1)
    expect(jobSpec.template.spec.restartPolicy).toBe("Never") // podFailurePolicy requires it
    expect(jobSpec.podFailurePolicy.rules).toContainEqual({
      action: "FailJob",
      onExitCodes: { containerName: "worker", operator: "In", values: [2] }
    })
    const container = job.spec.jobTemplate.spec.template.spec.containers[0]
    const command: Array<string> = container.command
    // It runs the worker's bundle, the file `pnpm build` writes.
    const worker = programs.find((p) => p.entry === "packages/worker/src/bin.ts")!.out
    const script = command.indexOf(worker)
    expect(command[0]).toBe("node")
    expect(script).toBeGreaterThan(0)
    // Node's own options (heap sizing) are accepted by this Node: it starts with them and exits 0.
    const nodeOptions = command.slice(1, script)
    expect(spawnSync(process.execPath, [...nodeOptions, "-e", "0"]).status).toBe(0)
    const flags = await workerHelp()
    for (const flag of command.slice(script + 1).filter((c) => c.startsWith("--"))) expect(flags).toContain(flag)
    expect(container.envFrom[0].secretRef.name).toBeTruthy()
  })
})
