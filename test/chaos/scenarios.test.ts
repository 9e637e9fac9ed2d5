// Chaos scenarios with real processes on both databases: nodes and the coordinator are killed and restarted, links
// are cut, stalled and slowed, and after each run the checker proves that every task ended once, no stale claim
// changed anything, no task ran twice at once, and every line a worker printed is in its logs once, in order.
import { afterEach, describe, expect, it } from "vitest";
import { databaseKinds } from "../harness/databases.js";
import { api } from "../harness/processes.js";
import { formatViolations, type FinalTask } from "./checker.js";
import { ChaosCluster, until } from "./cluster.js";
import { runChaosMix } from "./mix.js";
import { finishScenario, type ScenarioResult } from "./observe.js";
import { chaosSeed, seededRng } from "./rng.js";

const kinds = await databaseKinds();
/**
 * Lines per worker in the fixed scenarios: 50..80 at ~53 ms each, 2.5-4 s of work, so a worker caught by a fault
 * right after it started would still be running when its task is re-placed (lease + grace + backoff) if nothing
 * stopped it. The random mix uses 20..60.
 */
const lines = seededRng(7);
const someLines = () => lines.int(50, 80);

function expectClean(c: ChaosCluster, r: ScenarioResult, label: string): void {
  process.stdout.write(`[chaos ${c.kind}] ${label}: ${r.summary}\n`);
  if (process.env.MUSTER_CHAOS_TIMELINE) process.stdout.write(`${c.timeline.join("\n")}\n`);
  if (r.violations.length > 0)
    throw new Error(`${r.violations.length} violations in "${label}" on ${c.kind}:\n${formatViolations(r.violations)}\n--- timeline\n${c.timeline.join("\n")}`);
}

function expectAllSucceeded(c: ChaosCluster, tasks: FinalTask[]): void {
  const bad = tasks.filter((t) => t.state !== "succeeded");
  const why = bad.map((t) => `${t.id} ${t.state} reason=${t.reason} claims=${t.claims.map((x) => `${x.token}:${x.state}/${x.reason}`).join(",")}`);
  expect(why, `tasks that did not succeed\n${c.timeline.join("\n")}`).toEqual([]);
}

/** How many of the cut-off claims the coordinator heard from again and refused (a revoke on reconnect is not logged). */
function reportRefused(c: ChaosCluster, held: { claimId: string }[]): void {
  const refused = held.filter((w) => c.history.some((e) => e.ev === "refused" && e.claimId === w.claimId));
  process.stdout.write(`[chaos ${c.kind}] zombie claims whose late messages were refused: ${refused.length}/${held.length}\n`);
}

const claimOf = (tasks: FinalTask[], claimId: string) => tasks.flatMap((t) => t.claims).find((x) => x.claimId === claimId);
const lastOf = (t: FinalTask) => t.claims.reduce((a, b) => (b.token > a.token ? b : a));

/**
 * The claims that were still running when the fault landed: one that finished between being seen and the fault
 * ended normally and has nothing to prove. At least one zombie must remain, or the scenario tested nothing.
 */
async function stillRunning(c: ChaosCluster, held: { taskId: string; claimId: string }[]) {
  const live: typeof held = [];
  for (const w of held) {
    const res = await api<FinalTask>(c, "GET", `/v1/tasks/${w.taskId}`);
    const claim = res.body.claims.find((x) => x.claimId === w.claimId);
    if (claim?.state !== "done") live.push(w);
    else c.note(`claim ${w.claimId} finished before the fault: ${JSON.stringify(claim)}`);
  }
  expect(live.length, `no claim was still running when the fault landed\n--- timeline\n${c.timeline.join("\n")}`).toBeGreaterThan(0);
  return live;
}

/** Waits until the coordinator has ended each of `claims` (expired or revoked), by the API. */
async function waitClaimsEnded(c: ChaosCluster, claims: { taskId: string; claimId: string }[], timeoutMs = 15_000): Promise<void> {
  let open: string[] = [];
  await until(
    async () => {
      open = [];
      for (const w of claims) {
        const res = await api<FinalTask>(c, "GET", `/v1/tasks/${w.taskId}`);
        const st = res.body.claims.find((x) => x.claimId === w.claimId)?.state;
        if (st !== "expired" && st !== "revoked") open.push(`${w.claimId}=${st}`);
      }
      return open.length === 0 ? true : undefined;
    },
    timeoutMs,
    () => `the coordinator to expire the cut-off claims; still: ${open.join(", ")}`,
    100,
  );
}

describe.each(kinds)("chaos on %s", (kind) => {
  let c: ChaosCluster | undefined;

  afterEach(async () => {
    await c?.dispose();
    c = undefined;
  });

  it("re-runs the tasks of a SIGKILLed node elsewhere", async () => {
    c = await ChaosCluster.start({ kind, nodes: 3 });
    for (let i = 0; i < 6; i++) await c.submit(someLines(), { hold: true });
    const victim = c.nodes[0]!;
    const seen = await c.waitWorkersOn(victim, 2);
    await c.stopNode(victim, "SIGKILL");
    const held = await stillRunning(c, seen);
    c.release();
    const r = await finishScenario(c);
    expectClean(c, r, "SIGKILL a node");
    expectAllSucceeded(c, r.tasks);
    for (const w of held) {
      expect(claimOf(r.tasks, w.claimId)?.state).toBe("expired");
      expect(lastOf(r.tasks.find((t) => t.id === w.taskId)!).nodeId).not.toBe(victim.nodeId);
    }
  }, 120_000);

  it("keeps every task through a coordinator SIGKILL and restart", async () => {
    c = await ChaosCluster.start({ kind, nodes: 3 });
    for (let i = 0; i < 8; i++) await c.submit(someLines());
    await until(async () => ((await c!.liveWorkers()).length >= 3 ? true : undefined), 20_000, () => "3 live workers");
    await c.restartCoordinator("SIGKILL");
    await c.waitNodesReady();
    for (let i = 0; i < 2; i++) await c.submit(someLines());
    const r = await finishScenario(c);
    expectClean(c, r, "SIGKILL and restart the coordinator");
    expectAllSucceeded(c, r.tasks);
  }, 120_000);

  /** Cuts or stalls one node's link past lease and grace, then restores it: the zombie must not win. */
  async function zombieLink(fault: "cut" | "stall", nodeIndex: number, label: string): Promise<void> {
    c = await ChaosCluster.start({ kind, nodes: 3 });
    for (let i = 0; i < 6; i++) await c.submit(someLines(), { hold: true });
    const victim = c.nodes[nodeIndex]!;
    const seen = await c.waitWorkersOn(victim, 2);
    victim.proxy[fault]();
    c.note(`${fault} link ${victim.name} holding ${seen.map((w) => w.claimId).join(",")}`);
    const held = await stillRunning(c, seen);
    c.release();
    await waitClaimsEnded(c, held);
    // The zombie's outbox holds what its workers did after the fault, up to their end (self-fenced or finished),
    // before it can reach the coordinator again.
    await until(
      () => (held.every((w) => c!.stamps().some((s) => s.kind === "end" && s.claimId === w.claimId)) ? true : undefined),
      30_000,
      () => "the cut-off workers to end",
    );
    victim.proxy.restore();
    c.note(`restore link ${victim.name}`);
    await c.waitNodesReady();
    const r = await finishScenario(c);
    expectClean(c, r, label);
    expectAllSucceeded(c, r.tasks);
    for (const w of held) expect(lastOf(r.tasks.find((t) => t.id === w.taskId)!).claimId).not.toBe(w.claimId);
    reportRefused(c, held);
  }

  it("refuses a cut-off node's late records and results once its claims expired", () => zombieLink("cut", 0, "cut a link past lease and grace"), 120_000);

  it("recovers from a stalled link whose old frames arrive late", () => zombieLink("stall", 1, "stall a link"), 120_000);

  it("re-runs the tasks of a node daemon that was SIGKILLed and started again", async () => {
    c = await ChaosCluster.start({ kind, nodes: 2 });
    for (let i = 0; i < 4; i++) await c.submit(someLines());
    const victim = c.nodes[0]!;
    const held = await c.waitWorkersOn(victim, 2);
    await c.restartNode(victim, "SIGKILL");
    await c.waitNodesReady();
    const r = await finishScenario(c);
    expectClean(c, r, "restart a node daemon");
    expectAllSucceeded(c, r.tasks);
    // The restarted daemon reports its dead workers as interrupted; on a slow machine the coordinator may have
    // expired them first (lease + grace), and then that report is refused. Either way the claim is over.
    const ends = held.map((w) => claimOf(r.tasks, w.claimId));
    for (const claim of ends) {
      expect(["done", "expired"], `claim ${claim?.claimId} of the restarted daemon`).toContain(claim?.state);
      // A claim that finished just before the kill is done with no reason; one the kill caught is interrupted.
      if (claim?.state === "done") expect([null, "interrupted"]).toContain(claim.reason);
    }
    const interrupted = ends.filter((x) => x?.reason === "interrupted").length;
    process.stdout.write(`[chaos ${c.kind}] claims of the restarted daemon reported interrupted: ${interrupted}/${held.length}\n`);
  }, 120_000);

  it("survives a seeded mix of node kills, restarts, drains, coordinator restarts, cuts, stalls and delays", async () => {
    const seed = chaosSeed();
    process.stdout.write(`chaos seed=${seed} (${kind}; replay with MUSTER_CHAOS_SEED=${seed})\n`);
    c = await ChaosCluster.start({ kind, nodes: 3 });
    await runChaosMix(c, { seed, tasks: 24, durationMs: 25_000, maxAttempts: 20 });
    const r = await finishScenario(c, { timeoutMs: 90_000 });
    expectClean(c, r, `random mix seed=${seed}`);
    expectAllSucceeded(c, r.tasks);
  }, 240_000);
});
