// Picks a node for a task: the agent, the selector and a free slot must all fit; least-loaded wins.
import type { Labels, Requirement } from "@muster/protocol";
import { selectorMatches } from "@muster/protocol";

export interface Candidate {
  nodeId: string;
  labels: Labels;
  agents: ReadonlySet<string>;
  capacity: number;
  running: number;
  /** When this node was last offered work; ties go to the node that waited longest. */
  lastOfferAt: number;
}

export interface PlacementTask {
  id: string;
  agent: string;
  requirements: readonly Requirement[];
}

/** Returns the chosen candidate, or null. `excluded` lists nodes that just refused this task. */
export function pickNode(task: PlacementTask, candidates: readonly Candidate[], excluded?: ReadonlySet<string>): Candidate | null {
  let best: Candidate | null = null;
  for (const c of candidates) {
    if (c.running >= c.capacity) continue;
    if (excluded?.has(c.nodeId)) continue;
    if (!c.agents.has(task.agent)) continue;
    if (!selectorMatches(task.requirements, c.labels)) continue;
    if (!best || better(c, best)) best = c;
  }
  return best;
}

function better(a: Candidate, b: Candidate): boolean {
  if (load(a) !== load(b)) return load(a) < load(b);
  if (a.running !== b.running) return a.running < b.running;
  return a.lastOfferAt < b.lastOfferAt;
}

function load(c: Candidate): number {
  return c.running / c.capacity;
}
