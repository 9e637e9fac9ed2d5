// Plans which queued tasks go to which nodes, and says why the rest wait. Pure: the scheduler feeds it the
// fleet and the queue as read in one transaction, so every rule here can be tested without a database.
import type { Labels, PlacementPolicy, Requirement } from "@muster/protocol";
import { formatSelector, requirementMatches, selectorMatches } from "@muster/protocol";

export interface FleetNode {
  nodeId: string;
  name: string;
  labels: Labels;
  agents: ReadonlySet<string>;
  capacity: number;
  running: number;
  /** Holds a lease (not lost, offline or revoked). */
  live: boolean;
  /** Cordoned or draining: live, but takes no new claims. */
  closed: boolean;
  /** This coordinator holds the node's session and may offer it work. */
  offerable: boolean;
  /** When the node last became idle (ms); only meaningful while `running` is 0. */
  idleSince: number;
  /** When the node was last offered work (ms); ties go to the node that waited longest. */
  lastOfferAt: number;
  /** Per-agent limits the node advertises, and its live claims per agent. */
  agentLimits?: ReadonlyMap<string, number>;
  agentRunning?: Map<string, number>;
}

export interface QueuedTask {
  id: string;
  agent: string;
  requirements: readonly Requirement[];
  policy: PlacementPolicy;
  affinityKey: string | null;
  spreadLabel: string | null;
  group: string | null;
  groupLimit: number | null;
  queuedAt: number;
}

export interface PlanInput {
  now: number;
  /** In the order they should be considered: highest effective priority first, FIFO within it. */
  tasks: readonly QueuedTask[];
  nodes: FleetNode[];
  /** Tasks of each group assigned or running now. */
  groupRunning: Map<string, number>;
  /** The node that last ran a task with this affinity key. */
  affinityNode: Map<string, string>;
  affinityWaitMs: number;
  /** Round-robin: the node picked last, so the next pick starts after it. */
  roundRobinAfter: string | null;
  /** Set when the fleet's daily budget is spent: nothing is placed. */
  budgetSpent: string | null;
  /** Nodes that just refused this task; they are passed over for it a while. */
  refused?: (taskId: string) => ReadonlySet<string> | undefined;
}

export interface Plan {
  placements: { taskId: string; nodeId: string }[];
  /** Why each task that was not placed waits. */
  pending: Map<string, string>;
  roundRobinAfter: string | null;
}

export function planPlacements(input: PlanInput): Plan {
  const plan: Plan = { placements: [], pending: new Map(), roundRobinAfter: input.roundRobinAfter };
  const nodes = input.nodes.map((n) => ({ ...n, agentRunning: new Map(n.agentRunning) }));
  const groups = new Map(input.groupRunning);
  for (const task of input.tasks) {
    if (input.budgetSpent) {
      plan.pending.set(task.id, input.budgetSpent);
      continue;
    }
    if (task.group && task.groupLimit !== null && (groups.get(task.group) ?? 0) >= task.groupLimit) {
      plan.pending.set(task.id, `group ${task.group} is at its limit (${groups.get(task.group)} of ${task.groupLimit} running)`);
      continue;
    }
    const refused = input.refused?.(task.id);
    const fitting = nodes.filter((n) => fits(task, n) && !refused?.has(n.nodeId));
    const picked = choose(task, fitting, nodes, input, plan);
    if (typeof picked === "string") {
      plan.pending.set(task.id, picked);
      continue;
    }
    picked.running += 1;
    if (picked.agentRunning) picked.agentRunning.set(task.agent, (picked.agentRunning.get(task.agent) ?? 0) + 1);
    picked.lastOfferAt = input.now + plan.placements.length;
    if (task.group) groups.set(task.group, (groups.get(task.group) ?? 0) + 1);
    plan.placements.push({ taskId: task.id, nodeId: picked.nodeId });
  }
  return plan;
}

/** A node that could take the task right now. */
export function fits(task: QueuedTask, n: FleetNode): boolean {
  return (
    n.live &&
    !n.closed &&
    n.offerable &&
    n.running < n.capacity &&
    n.agents.has(task.agent) &&
    !atAgentLimit(n, task.agent) &&
    selectorMatches(task.requirements, n.labels)
  );
}

type Mutable = FleetNode;

/** The node for the task under its policy, or the reason it waits. */
function choose(task: QueuedTask, fitting: Mutable[], all: Mutable[], input: PlanInput, plan: Plan): Mutable | string {
  if (task.policy === "affinity" && task.affinityKey) {
    const preferredId = input.affinityNode.get(task.affinityKey);
    const preferred = all.find((n) => n.nodeId === preferredId);
    if (preferred && fitting.includes(preferred)) return preferred;
    const waited = input.now - task.queuedAt;
    if (preferred && canEverRun(task, preferred) && waited < input.affinityWaitMs) {
      const left = Math.ceil((input.affinityWaitMs - waited) / 1000);
      return `waiting up to ${left}s more for node ${preferred.name}, which last ran ${task.affinityKey}`;
    }
  }
  if (fitting.length === 0) return explain(task, all);
  switch (task.policy) {
    case "earliest-idle": {
      const idle = fitting.filter((n) => n.running === 0);
      return idle.length ? idle.reduce((best, n) => (n.idleSince < best.idleSince ? n : best)) : leastLoaded(fitting);
    }
    case "round-robin": {
      const ring = [...fitting].sort((a, b) => (a.nodeId < b.nodeId ? -1 : 1));
      const next = ring.find((n) => plan.roundRobinAfter === null || n.nodeId > plan.roundRobinAfter) ?? ring[0]!;
      plan.roundRobinAfter = next.nodeId;
      return next;
    }
    case "spread":
      return spread(task, fitting, all);
    default:
      return leastLoaded(fitting);
  }
}

export function atAgentLimit(n: FleetNode, agent: string): boolean {
  const limit = n.agentLimits?.get(agent);
  return limit !== undefined && (n.agentRunning?.get(agent) ?? 0) >= limit;
}

/** The node could run the task once it has a free slot (live, open, right agent and labels). */
function canEverRun(task: QueuedTask, n: FleetNode): boolean {
  return n.live && !n.closed && n.agents.has(task.agent) && selectorMatches(task.requirements, n.labels);
}

export function leastLoaded(nodes: readonly Mutable[]): Mutable {
  return nodes.reduce((best, n) => (lighter(n, best) ? n : best));
}

function lighter(a: FleetNode, b: FleetNode): boolean {
  const la = a.running / a.capacity;
  const lb = b.running / b.capacity;
  if (la !== lb) return la < lb;
  if (a.running !== b.running) return a.running < b.running;
  return a.lastOfferAt < b.lastOfferAt;
}

/** Even out across the values of the task's spread label: the value with the fewest running claims fleet-wide. */
function spread(task: QueuedTask, fitting: Mutable[], all: readonly Mutable[]): Mutable {
  const label = task.spreadLabel;
  if (!label) return leastLoaded(fitting);
  const labelled = fitting.filter((n) => n.labels[label] !== undefined);
  if (labelled.length === 0) return leastLoaded(fitting);
  const load = new Map<string, number>();
  for (const n of all) {
    const v = n.labels[label];
    if (v !== undefined && n.live) load.set(v, (load.get(v) ?? 0) + n.running);
  }
  const values = [...new Set(labelled.map((n) => n.labels[label]!))].sort(
    (a, b) => (load.get(a) ?? 0) - (load.get(b) ?? 0) || (a < b ? -1 : 1),
  );
  return leastLoaded(labelled.filter((n) => n.labels[label] === values[0]));
}

/** Why no node fits: the first thing that rules every node out, in the words an operator would use. */
export function explain(task: QueuedTask, nodes: readonly FleetNode[]): string {
  const live = nodes.filter((n) => n.live);
  const fits = (n: FleetNode) => n.agents.has(task.agent) && selectorMatches(task.requirements, n.labels);
  if (!live.some(fits)) {
    // A drained node goes offline and stays out of service until an operator takes it back: name it.
    const parked = nodes.filter((n) => !n.live && n.closed && fits(n)).map((n) => n.name);
    if (parked.length === 1) return `the matching node ${parked[0]} is drained or cordoned (muster nodes uncordon ${parked[0]} takes it back)`;
    if (parked.length > 1) return `the matching nodes ${parked.join(", ")} are drained or cordoned (muster nodes uncordon takes one back)`;
  }
  if (live.length === 0) return "no node is connected";
  const withAgent = live.filter((n) => n.agents.has(task.agent));
  if (withAgent.length === 0) return `agent ${task.agent} on no connected node`;
  const matching = withAgent.filter((n) => selectorMatches(task.requirements, n.labels));
  if (matching.length === 0) {
    const missing = task.requirements.find((r) => !withAgent.some((n) => requirementMatches(r, n.labels)));
    if (missing && !live.some((n) => requirementMatches(missing, n.labels)))
      return `no node has label ${formatSelector([missing])}`;
    if (missing) return `no node with agent ${task.agent} has label ${formatSelector([missing])}`;
    return `no node matches ${formatSelector(task.requirements)}`;
  }
  const full = matching.filter((n) => !n.closed && n.running >= n.capacity).length;
  const atLimit = matching.filter((n) => !n.closed && n.running < n.capacity && atAgentLimit(n, task.agent)).length;
  const closed = matching.filter((n) => n.closed).length;
  const parts: string[] = [];
  if (full) parts.push(`${full} matching ${full === 1 ? "node is" : "nodes are"} full`);
  if (atLimit) parts.push(`${atLimit} ${full ? "" : "matching "}${atLimit === 1 ? "node runs" : "nodes run"} as many ${task.agent} tasks as ${atLimit === 1 ? "it allows" : "they allow"}`);
  if (closed) parts.push(`${closed} ${closed === 1 ? "is" : "are"} cordoned or draining`);
  if (parts.length === 0) return "the matching nodes are connected to another coordinator";
  if (!full && !atLimit) parts[0] = `${closed} matching ${closed === 1 ? "node is" : "nodes are"} cordoned or draining`;
  return parts.join(", ");
}
