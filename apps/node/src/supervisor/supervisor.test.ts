import { mkdtemp, readFile, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { ClaimOffer, type ClaimRecord, type TaskSpec } from "@muster/protocol";
import { AgentCatalog } from "../agents/catalog.js";
import { AgentsConfig } from "../config.js";
import { silentLogger } from "../log.js";
import { Supervisor, type HeldClaim, type SupervisorOptions } from "./supervisor.js";

const NODE = process.execPath;
let dataDir: string;
let agents: AgentCatalog;

function offer(n: number, task: Partial<TaskSpec> & { argv?: string[] }, token = n): ClaimOffer {
  return ClaimOffer.parse({
    claimId: `clm_${n}`,
    taskId: `tsk_${n}`,
    token,
    attempt: 1,
    leaseMs: 1000,
    task: { agent: "exec", timeoutMs: 10_000, ...task },
  });
}

function setup(capacity = 2, killGraceMs = 5000, hooks: Pick<SupervisorOptions, "journal" | "watchdog"> = {}) {
  const supervisor = new Supervisor({
    capacity,
    dataDir,
    agents,
    passEnv: [],
    daemonEnv: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
    log: silentLogger(),
    killGraceMs,
    ...hooks,
  });
  const records = new Map<string, ClaimRecord[]>();
  const exited: HeldClaim[] = [];
  let idle = 0;
  supervisor.subscribe({
    recordProduced: (claim, record) => records.set(claim.claimId, [...(records.get(claim.claimId) ?? []), record]),
    claimExited: (claim) => exited.push(claim),
    idle: () => (idle += 1),
  });
  const logText = (claimId: string) => (records.get(claimId) ?? []).flatMap((r) => (r.kind === "log" ? [r.text] : [])).join("");
  return { supervisor, records, exited, logText, idleCount: () => idle };
}

const sleeper = (n: number) => offer(n, { argv: [NODE, "-e", "console.log('up'); setInterval(() => {}, 1000)"] });

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "muster-sup-"));
  agents = await AgentCatalog.detect(AgentsConfig.parse({}), { pathEnv: "" });
});

describe("supervisor", () => {
  it("runs an accepted claim in its own work dir and reports its result", async () => {
    const { supervisor, records, exited } = setup();
    const o = offer(1, { argv: [NODE, "-e", "console.log(process.cwd())"] });
    expect(supervisor.offer(o, { draining: false })).toEqual({ accept: true, duplicate: false });
    expect(supervisor.reports()).toEqual([{ claimId: "clm_1", taskId: "tsk_1", token: 1, phase: "accepted", lastSeq: 0, waitingAsks: [], tellsReceived: [] }]);
    await expect.poll(() => exited.length, { timeout: 5000, interval: 10 }).toBe(1);
    const workdir = join(dataDir, "work", "clm_1");
    expect((await stat(workdir)).isDirectory()).toBe(true);
    const recs = records.get("clm_1")!;
    expect(recs[0]).toMatchObject({ kind: "started", seq: 1, workdir });
    expect(recs.at(-1)).toMatchObject({ kind: "log", text: `${workdir}\n` });
    const claim = supervisor.get("clm_1")!;
    expect(claim.phase).toBe("exited");
    expect(claim.done).toMatchObject({ claimId: "clm_1", token: 1, lastSeq: recs.length, outcome: { status: "succeeded" } });
    expect(supervisor.reports()[0]).toMatchObject({ phase: "exited", lastSeq: recs.length });
  });

  it("writes the prompt to .muster/prompt.md in the work dir", async () => {
    const { supervisor, exited, logText } = setup();
    supervisor.offer(offer(1, { argv: ["cat", ".muster/prompt.md"], prompt: "do the thing" }), { draining: false });
    await expect.poll(() => exited.length, { timeout: 5000, interval: 10 }).toBe(1);
    expect(logText("clm_1")).toBe("do the thing");
    expect(await readFile(join(dataDir, "work", "clm_1", ".muster", "prompt.md"), "utf8")).toBe("do the thing");
  });

  it("keeps an agent to its own limit within the node's capacity", async () => {
    agents = await AgentCatalog.detect(AgentsConfig.parse({ limits: { exec: 1 } }), { pathEnv: "" });
    expect(agents.advertised()).toEqual([{ name: "exec", kind: "exec", version: null, limit: 1 }]);
    const { supervisor } = setup(4);
    expect(supervisor.offer(sleeper(1), { draining: false })).toMatchObject({ accept: true });
    expect(supervisor.offer(sleeper(2), { draining: false })).toMatchObject({
      accept: false,
      reason: "no_capacity",
      message: "1 exec claims already run here (its limit)",
    });
    await supervisor.stopAll("shutdown");
  });

  it("rejects offers beyond capacity, while draining, for agents it lacks and for bad tasks", async () => {
    const { supervisor } = setup(1);
    expect(supervisor.offer(sleeper(1), { draining: false })).toMatchObject({ accept: true });
    expect(supervisor.offer(sleeper(2), { draining: false })).toMatchObject({ accept: false, reason: "no_capacity" });
    expect(supervisor.offer(sleeper(3), { draining: true })).toMatchObject({ accept: false, reason: "draining" });
    expect(supervisor.offer(offer(4, { agent: "claude", prompt: "p" }), { draining: false })).toMatchObject({
      accept: false,
      reason: "agent_unavailable",
    });
    expect(supervisor.offer(offer(5, { argv: [] }), { draining: false })).toMatchObject({ accept: false, reason: "invalid_task" });
    await supervisor.stopAll("shutdown");
  });

  it("accepts an offer for a claim it already holds again without starting a second worker", async () => {
    const { supervisor, records } = setup(1);
    supervisor.offer(sleeper(1), { draining: false });
    await expect.poll(() => records.get("clm_1")?.length ?? 0, { timeout: 5000, interval: 10 }).toBeGreaterThan(1);
    expect(supervisor.offer(sleeper(1), { draining: true })).toEqual({ accept: true, duplicate: true });
    expect(supervisor.offer(offer(1, {}, 9), { draining: false })).toMatchObject({ accept: false, reason: "duplicate" });
    expect(records.get("clm_1")!.filter((r) => r.kind === "started")).toHaveLength(1);
    await supervisor.stopAll("shutdown");
  });

  it("reports a command that cannot start as spawn_failed", async () => {
    const { supervisor, exited, records } = setup();
    supervisor.offer(offer(1, { argv: ["no-such-binary-here"] }), { draining: false });
    await expect.poll(() => exited.length, { timeout: 5000, interval: 10 }).toBe(1);
    expect(exited[0]!.done!.outcome).toMatchObject({ status: "failed", reason: "spawn_failed" });
    expect(records.get("clm_1")).toBeUndefined();
  });

  it("stops a revoked claim's worker, forgets the claim and reports no result", async () => {
    const { supervisor, records, exited, idleCount } = setup(1, 200);
    supervisor.offer(sleeper(1), { draining: false });
    await expect.poll(() => records.get("clm_1")?.length ?? 0, { timeout: 5000, interval: 10 }).toBeGreaterThan(1);
    expect(supervisor.revoke("clm_1")).toBe(true);
    expect(supervisor.get("clm_1")).toBeUndefined();
    expect(supervisor.reports()).toEqual([]);
    // The dying worker still holds its slot until it is gone.
    expect(supervisor.busy()).toBe(1);
    await expect.poll(() => supervisor.isIdle(), { timeout: 5000, interval: 10 }).toBe(true);
    expect(idleCount()).toBeGreaterThan(0);
    expect(exited).toEqual([]);
    expect(supervisor.offer(sleeper(2), { draining: false })).toMatchObject({ accept: true });
    await supervisor.stopAll("shutdown");
  });

  it("stops every worker on shutdown and still reports each result", async () => {
    const { supervisor, records, exited } = setup(2);
    supervisor.offer(sleeper(1), { draining: false });
    supervisor.offer(sleeper(2), { draining: false });
    await expect.poll(() => (records.get("clm_1")?.length ?? 0) + (records.get("clm_2")?.length ?? 0), { timeout: 5000, interval: 10 }).toBeGreaterThan(3);
    await supervisor.stopAll("shutdown");
    expect(exited.map((c) => c.done!.outcome)).toEqual([
      expect.objectContaining({ status: "failed", reason: "interrupted", signal: "SIGTERM" }),
      expect.objectContaining({ status: "failed", reason: "interrupted", signal: "SIGTERM" }),
    ]);
    supervisor.forget("clm_1");
    supervisor.forget("clm_2");
    expect(supervisor.isIdle()).toBe(true);
  });

  it("fails a claim that runs past its time limit", async () => {
    const { supervisor, exited } = setup();
    supervisor.offer(offer(1, { argv: ["sleep", "30"], timeoutMs: 200 }), { draining: false });
    await expect.poll(() => exited.length, { timeout: 5000, interval: 10 }).toBe(1);
    expect(exited[0]!.done!.outcome).toMatchObject({ status: "failed", reason: "timeout" });
  });

  it("writes each claim, its worker's group and its result down, and tells the watchdog before the spawn", async () => {
    const events: string[] = [];
    const { supervisor, exited } = setup(2, 5000, {
      journal: {
        opened: (o) => events.push(`opened ${o.claimId}`),
        workerStarted: (id) => events.push(`pgid ${id}`),
        finished: (d) => events.push(`result ${d.claimId} ${d.outcome.status}`),
      },
      watchdog: {
        watch: (id) => events.push(`watch ${id}`),
        started: (id) => events.push(`started ${id}`),
        unwatch: (id) => events.push(`unwatch ${id}`),
      },
    });
    supervisor.offer(offer(1, { argv: ["true"] }), { draining: false });
    await expect.poll(() => exited.length, { timeout: 5000, interval: 10 }).toBe(1);
    expect(events).toEqual(["opened clm_1", "watch clm_1", "pgid clm_1", "started clm_1", "unwatch clm_1", "result clm_1 succeeded"]);
  });

  it("rejects an offer it cannot write down", () => {
    const { supervisor } = setup(2, 5000, {
      journal: {
        opened: () => {
          throw new Error("ENOSPC");
        },
        workerStarted() {},
        finished() {},
      },
    });
    expect(supervisor.offer(sleeper(1), { draining: false })).toMatchObject({ accept: false, message: expect.stringMatching(/ENOSPC/) });
    expect(supervisor.isIdle()).toBe(true);
  });

  it("fences only the claims that must stop when the lease is gone, as lost", async () => {
    const { supervisor, records, exited } = setup(3);
    supervisor.offer(sleeper(1), { draining: false });
    supervisor.offer(offer(2, { argv: [NODE, "-e", "setInterval(() => {}, 1000)"], onDisconnect: "keep" }), { draining: false });
    await expect.poll(() => supervisor.reports().map((r) => r.phase), { timeout: 5000, interval: 10 }).toEqual(["running", "running"]);
    await expect.poll(() => records.get("clm_1")?.length ?? 0, { timeout: 5000, interval: 10 }).toBeGreaterThan(1);
    expect(supervisor.fence(100)).toEqual({ stopped: 1, kept: 1 });
    await expect.poll(() => exited.length, { timeout: 5000, interval: 10 }).toBe(1);
    expect(exited[0]!.done!.outcome).toMatchObject({ status: "failed", reason: "lost" });
    expect(supervisor.get("clm_2")!.phase).toBe("running");
    expect(supervisor.fence(100)).toEqual({ stopped: 0, kept: 1 });
    await supervisor.stopAll("shutdown");
  });

  it("reports restored claims until their results are acked, and runs nothing for them", () => {
    const { supervisor } = setup(1);
    const done = { claimId: "clm_1", taskId: "tsk_1", token: 1, lastSeq: 4, outcome: { status: "failed" as const, exitCode: null, signal: null, reason: "interrupted" as const, message: "restarted", workspace: null, verify: null }, finishedAt: 1 };
    supervisor.restore([{ offer: sleeper(1), done, phase: "interrupted" }]);
    expect(supervisor.reports()).toEqual([{ claimId: "clm_1", taskId: "tsk_1", token: 1, phase: "interrupted", lastSeq: 4, waitingAsks: [], tellsReceived: [] }]);
    expect(supervisor.busy()).toBe(0);
    expect(supervisor.offer(sleeper(1), { draining: false })).toEqual({ accept: true, duplicate: true });
    supervisor.forget("clm_1");
    expect(supervisor.isIdle()).toBe(true);
  });
});
