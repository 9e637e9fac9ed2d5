// The legal moves of tasks and claims (DESIGN §2); everything that changes a state asks here first.
import type { ClaimState, NodeState, TaskState } from "@muster/protocol";

const TASK: Record<TaskState, readonly TaskState[]> = {
  queued: ["assigned", "cancelled", "failed"],
  assigned: ["running", "queued", "succeeded", "failed", "cancelled"],
  running: ["succeeded", "failed", "cancelled", "queued"],
  // `muster retry` puts a finished task back in the queue as a new attempt.
  succeeded: ["queued"],
  failed: ["queued"],
  cancelled: ["queued"],
};

const CLAIM: Record<ClaimState, readonly ClaimState[]> = {
  offered: ["accepted", "running", "done", "rejected", "revoked", "expired"],
  accepted: ["running", "done", "revoked", "expired"],
  running: ["done", "revoked", "expired"],
  done: [],
  rejected: [],
  expired: [],
  revoked: [],
};

const NODE: Record<NodeState, readonly NodeState[]> = {
  joined: ["ready", "cordoned", "draining", "revoked"],
  ready: ["busy", "cordoned", "draining", "offline", "lost", "revoked"],
  busy: ["ready", "cordoned", "draining", "offline", "lost", "revoked"],
  cordoned: ["ready", "draining", "offline", "lost", "revoked"],
  draining: ["ready", "cordoned", "offline", "lost", "revoked"],
  offline: ["ready", "cordoned", "draining", "lost", "revoked"],
  lost: ["ready", "cordoned", "draining", "offline", "revoked"],
  revoked: [],
};

export function canMoveNode(from: NodeState, to: NodeState): boolean {
  return NODE[from].includes(to);
}

export function canMoveTask(from: TaskState, to: TaskState): boolean {
  return TASK[from].includes(to);
}

export function canMoveClaim(from: ClaimState, to: ClaimState): boolean {
  return CLAIM[from].includes(to);
}

export class IllegalTransition extends Error {
  override name = "IllegalTransition";
  constructor(kind: "task" | "claim" | "node", from: string, to: string) {
    super(`illegal ${kind} transition ${from} -> ${to}`);
  }
}
