import { parseSelector, selectorMatches, type PlacementPolicy } from "@muster/protocol";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { explain, fits, planPlacements, type FleetNode, type PlanInput, type QueuedTask } from "./placement.js";

const node = (nodeId: string, over: Partial<FleetNode> = {}): FleetNode => ({
  nodeId,
  name: nodeId,
  labels: {},
  agents: new Set(["exec"]),
  capacity: 2,
  running: 0,
  live: true,
  closed: false,
  offerable: true,
  idleSince: 0,
  lastOfferAt: 0,
  ...over,
});
const task = (id: string, over: Partial<QueuedTask> & { selector?: string } = {}): QueuedTask => ({
  id,
  agent: "exec",
  requirements: parseSelector(over.selector ?? ""),
  policy: "least-loaded",
  affinityKey: null,
  spreadLabel: null,
  group: null,
  groupLimit: null,
  queuedAt: 0,
  ...over,
});
const input = (tasks: QueuedTask[], nodes: FleetNode[], over: Partial<PlanInput> = {}): PlanInput => ({
  now: 1000,
  tasks,
  nodes,
  groupRunning: new Map(),
  affinityNode: new Map(),
  affinityWaitMs: 30_000,
  roundRobinAfter: null,
  budgetSpent: null,
  ...over,
});
const placedOn = (plan: ReturnType<typeof planPlacements>) => plan.placements.map((p) => `${p.taskId}@${p.nodeId}`);

describe("policies", () => {
  it("least-loaded places on the node with the lowest share of its capacity in use", () => {
    const plan = planPlacements(input([task("t")], [node("a", { running: 1 }), node("b", { capacity: 4, running: 1 })]));
    expect(placedOn(plan)).toEqual(["t@b"]);
  });

  it("least-loaded spreads ties to the node that waited longest for work", () => {
    const plan = planPlacements(input([task("t1"), task("t2")], [node("a", { lastOfferAt: 5 }), node("b", { lastOfferAt: 1 })]));
    expect(placedOn(plan)).toEqual(["t1@b", "t2@a"]);
  });

  it("earliest-idle picks the node idle longest, then busy ones", () => {
    const nodes = [node("a", { idleSince: 300 }), node("b", { idleSince: 100 }), node("c", { running: 1 })];
    const tasks = ["t1", "t2", "t3"].map((id) => task(id, { policy: "earliest-idle" }));
    expect(placedOn(planPlacements(input(tasks, nodes)))).toEqual(["t1@b", "t2@a", "t3@c"]);
  });

  it("round-robin goes around the fitting nodes in a fixed order, starting after the last pick", () => {
    const nodes = [node("a", { capacity: 9 }), node("b", { capacity: 9 }), node("c", { capacity: 9 })];
    const tasks = ["t1", "t2", "t3", "t4"].map((id) => task(id, { policy: "round-robin" }));
    const plan = planPlacements(input(tasks, nodes, { roundRobinAfter: "a" }));
    expect(placedOn(plan)).toEqual(["t1@b", "t2@c", "t3@a", "t4@b"]);
    expect(plan.roundRobinAfter).toBe("b");
  });

  it("affinity prefers the node that last ran the key, waits for it a while, then takes any node", () => {
    const nodes = [node("warm", { running: 2 }), node("cold")];
    const t = task("t", { policy: "affinity", affinityKey: "acme/web", queuedAt: 0 });
    const affinityNode = new Map([["acme/web", "warm"]]);
    const waiting = planPlacements(input([t], nodes, { affinityNode, now: 10_000 }));
    expect(waiting.placements).toEqual([]);
    expect(waiting.pending.get("t")).toMatch(/waiting up to 20s more for node warm, which last ran acme\/web/);
    const later = planPlacements(input([t], nodes, { affinityNode, now: 31_000 }));
    expect(placedOn(later)).toEqual(["t@cold"]);
    const free = planPlacements(input([t], [node("warm"), node("cold")], { affinityNode, now: 10_000 }));
    expect(placedOn(free)).toEqual(["t@warm"]);
  });

  it("affinity does not wait for a node that is gone", () => {
    const nodes = [node("warm", { live: false }), node("cold")];
    const t = task("t", { policy: "affinity", affinityKey: "k" });
    expect(placedOn(planPlacements(input([t], nodes, { affinityNode: new Map([["k", "warm"]]) })))).toEqual(["t@cold"]);
  });

  it("spread evens out across the values of a label", () => {
    const nodes = [
      node("a1", { labels: { zone: "a" }, capacity: 9, running: 2 }),
      node("a2", { labels: { zone: "a" }, capacity: 9 }),
      node("b1", { labels: { zone: "b" }, capacity: 9, running: 1 }),
    ];
    const tasks = ["t1", "t2", "t3"].map((id) => task(id, { policy: "spread", spreadLabel: "zone" }));
    // zone a runs 2, zone b runs 1: b first; then both at 2: a (by name); then b.
    expect(placedOn(planPlacements(input(tasks, nodes)))).toEqual(["t1@b1", "t2@a2", "t3@b1"]);
  });
});

describe("per-agent limits", () => {
  it("keeps a node to its limit for one agent while other agents still fit", () => {
    const n = node("a", {
      capacity: 4,
      agents: new Set(["exec", "claude"]),
      agentLimits: new Map([["claude", 1]]),
      agentRunning: new Map([["claude", 1]]),
    });
    const plan = planPlacements(input([task("c", { agent: "claude" }), task("e")], [n]));
    expect(placedOn(plan)).toEqual(["e@a"]);
    expect(plan.pending.get("c")).toBe("1 matching node runs as many claude tasks as it allows");
  });
});

describe("order, groups and budget", () => {
  it("keeps the given order: the first task gets the last slot", () => {
    const plan = planPlacements(input([task("high"), task("low")], [node("a", { capacity: 1 })]));
    expect(placedOn(plan)).toEqual(["high@a"]);
    expect(plan.pending.get("low")).toBe("1 matching node is full");
  });

  it("keeps a concurrency group to its limit", () => {
    const tasks = ["g1", "g2", "g3"].map((id) => task(id, { group: "repo:acme/web", groupLimit: 2 }));
    const plan = planPlacements(input(tasks, [node("a", { capacity: 9 })], { groupRunning: new Map([["repo:acme/web", 1]]) }));
    expect(placedOn(plan)).toEqual(["g1@a"]);
    expect(plan.pending.get("g2")).toBe("group repo:acme/web is at its limit (2 of 2 running)");
  });

  it("places nothing once the daily budget is spent", () => {
    const plan = planPlacements(input([task("t")], [node("a")], { budgetSpent: "daily budget spent ($10.00 of $10.00)" }));
    expect(plan.placements).toEqual([]);
    expect(plan.pending.get("t")).toMatch(/daily budget spent/);
  });
});

describe("explain", () => {
  it.each([
    ["no node at all", [], task("t"), "no node is connected"],
    ["a lost fleet", [node("a", { live: false })], task("t"), "no node is connected"],
    [
      "a drained node gone offline",
      [node("a", { live: false, closed: true, labels: { dev: "true" } }), node("b")],
      task("t", { selector: "dev=true" }),
      "the matching node a is drained or cordoned (muster nodes uncordon a takes it back)",
    ],
    ["a missing agent", [node("a")], task("t", { agent: "codex" }), "agent codex on no connected node"],
    ["a missing label", [node("a")], task("t", { selector: "gpu=true" }), "no node has label gpu=true"],
    [
      "a label only on nodes without the agent",
      [node("a", { labels: { gpu: "true" }, agents: new Set(["claude"]) }), node("b")],
      task("t", { selector: "gpu=true" }),
      "no node with agent exec has label gpu=true",
    ],
    ["full nodes", [node("a", { running: 2 }), node("b", { running: 2 })], task("t"), "2 matching nodes are full"],
    ["a cordoned node", [node("a", { closed: true })], task("t"), "1 matching node is cordoned or draining"],
    [
      "full and draining nodes",
      [node("a", { running: 2 }), node("b", { closed: true })],
      task("t"),
      "1 matching node is full, 1 is cordoned or draining",
    ],
  ])("says why with %s", (_what, nodes, t, reason) => {
    expect(explain(t, nodes)).toBe(reason);
    expect(planPlacements(input([t], nodes)).pending.get(t.id)).toBe(reason);
  });
});

// ---- properties over random fleets and queues -----------------------------------------------

const LABEL_VALUES = ["a", "b", "c"];
const arbNode = fc.record({
  zone: fc.constantFrom(...LABEL_VALUES),
  gpu: fc.boolean(),
  capacity: fc.integer({ min: 1, max: 4 }),
  running: fc.integer({ min: 0, max: 4 }),
  live: fc.boolean(),
  closed: fc.boolean(),
  offerable: fc.boolean(),
  claude: fc.boolean(),
  idleSince: fc.integer({ min: 0, max: 1000 }),
  claudeLimit: fc.option(fc.integer({ min: 1, max: 2 }), { nil: null }),
  claudeRunning: fc.integer({ min: 0, max: 2 }),
});
const arbTask = fc.record({
  selector: fc.constantFrom("", "gpu=true", "zone in (a,b)", "zone!=c", "!gpu", "gpu,zone=a"),
  agent: fc.constantFrom("exec", "claude"),
  policy: fc.constantFrom<PlacementPolicy>("least-loaded", "earliest-idle", "round-robin", "affinity", "spread"),
  group: fc.option(fc.constantFrom("g1", "g2"), { nil: null }),
  groupLimit: fc.integer({ min: 1, max: 3 }),
});

type RawNode = typeof arbNode extends fc.Arbitrary<infer T> ? T : never;
type RawTask = typeof arbTask extends fc.Arbitrary<infer T> ? T : never;

function build(rawNodes: RawNode[], rawTasks: RawTask[]) {
  const nodes = rawNodes.map((n, i) =>
    node(`n${i}`, {
      labels: n.gpu ? { zone: n.zone, gpu: "true" } : { zone: n.zone },
      agents: new Set(n.claude ? ["exec", "claude"] : ["exec"]),
      capacity: n.capacity,
      running: Math.min(n.running, n.capacity),
      live: n.live,
      closed: n.closed,
      offerable: n.offerable,
      idleSince: n.idleSince,
      agentLimits: n.claudeLimit ? new Map([["claude", n.claudeLimit]]) : new Map(),
      agentRunning: new Map([["claude", n.claude ? Math.min(n.claudeRunning, n.running) : 0]]),
    }),
  );
  const tasks = rawTasks.map((t, i) =>
    task(`t${i}`, {
      selector: t.selector,
      agent: t.agent,
      policy: t.policy,
      spreadLabel: "zone",
      affinityKey: "repo",
      group: t.group,
      groupLimit: t.group ? t.groupLimit : null,
      queuedAt: 0,
    }),
  );
  return { nodes, tasks };
}

describe("placement invariants (property-based)", () => {
  const fleets = fc.array(arbNode, { minLength: 0, maxLength: 8 });
  const queues = fc.array(arbTask, { minLength: 0, maxLength: 25 });

  it("never goes over a node's capacity or agent limit, never uses a node that does not fit, keeps group limits", () => {
    fc.assert(
      fc.property(fleets, queues, (rawNodes, rawTasks) => {
        const { nodes, tasks } = build(rawNodes, rawTasks);
        const plan = planPlacements(input(tasks, nodes, { affinityWaitMs: 0 }));
        const byId = new Map(tasks.map((t) => [t.id, t]));
        const added = new Map<string, number>();
        const perGroup = new Map<string, number>();
        for (const p of plan.placements) {
          const n = nodes.find((x) => x.nodeId === p.nodeId)!;
          const t = byId.get(p.taskId)!;
          expect(n.live && !n.closed && n.offerable).toBe(true);
          expect(n.agents.has(t.agent)).toBe(true);
          expect(selectorMatches(t.requirements, n.labels)).toBe(true);
          added.set(n.nodeId, (added.get(n.nodeId) ?? 0) + 1);
          if (t.group) perGroup.set(t.group, (perGroup.get(t.group) ?? 0) + 1);
        }
        for (const n of nodes) expect(n.running + (added.get(n.nodeId) ?? 0)).toBeLessThanOrEqual(n.capacity);
        for (const n of nodes) {
          const limit = n.agentLimits?.get("claude");
          if (limit === undefined) continue;
          const claudeAdded = plan.placements.filter((p) => p.nodeId === n.nodeId && byId.get(p.taskId)!.agent === "claude").length;
          if (claudeAdded > 0) expect((n.agentRunning?.get("claude") ?? 0) + claudeAdded).toBeLessThanOrEqual(limit);
        }
        for (const [g, count] of perGroup) {
          const limits = tasks.filter((t) => t.group === g && plan.placements.some((p) => p.taskId === t.id));
          expect(count).toBeLessThanOrEqual(Math.max(...limits.map((t) => t.groupLimit!)));
        }
        expect(plan.placements.length + plan.pending.size).toBe(tasks.length);
      }),
      { numRuns: 400 },
    );
  });

  it("keeps priority order: a task waiting for a slot never sees a later task take a slot it could have used", () => {
    fc.assert(
      fc.property(fleets, queues, (rawNodes, rawTasks) => {
        const { nodes, tasks } = build(rawNodes, rawTasks);
        const plan = planPlacements(input(tasks, nodes, { affinityWaitMs: 0 }));
        const where = new Map(plan.placements.map((p) => [p.taskId, p.nodeId]));
        tasks.forEach((waiting, i) => {
          if (where.has(waiting.id)) return;
          // Group and per-agent limits hold a task back on purpose; other tasks may take the slot.
          const why = plan.pending.get(waiting.id) ?? "";
          if (why.startsWith("group ") || why.includes("tasks as")) return;
          for (const later of tasks.slice(i + 1)) {
            const nodeId = where.get(later.id);
            if (!nodeId) continue;
            const n = nodes.find((x) => x.nodeId === nodeId)!;
            // The later task got a slot on n: then n must not fit the waiting task at all.
            expect(fits(waiting, { ...n, running: 0 })).toBe(false);
          }
        });
      }),
      { numRuns: 400 },
    );
  });

  it("is work-conserving: an unplaced task has no fitting node with a free slot left", () => {
    fc.assert(
      fc.property(fleets, queues, (rawNodes, rawTasks) => {
        const { nodes, tasks } = build(rawNodes, rawTasks);
        const plan = planPlacements(input(tasks, nodes, { affinityWaitMs: 0 }));
        const byId = new Map(tasks.map((t) => [t.id, t]));
        const left = nodes.map((n) => ({ ...n, agentRunning: new Map(n.agentRunning) }));
        for (const p of plan.placements) {
          const n = left.find((x) => x.nodeId === p.nodeId)!;
          const agent = byId.get(p.taskId)!.agent;
          n.running += 1;
          n.agentRunning.set(agent, (n.agentRunning.get(agent) ?? 0) + 1);
        }
        for (const t of tasks) {
          const why = plan.pending.get(t.id);
          if (!why || why.startsWith("group ")) continue;
          expect(left.some((n) => fits(t, n))).toBe(false);
        }
      }),
      { numRuns: 400 },
    );
  });
});
