// State enums shared by every part of Muster (DESIGN §2).
import { z } from "zod";

export const TaskState = z.enum(["queued", "assigned", "running", "succeeded", "failed", "cancelled"]);
export type TaskState = z.infer<typeof TaskState>;
export const TASK_STATES = TaskState.options;
export const TERMINAL_TASK_STATES: readonly TaskState[] = ["succeeded", "failed", "cancelled"];
export function isTerminalTaskState(s: TaskState): boolean {
  return TERMINAL_TASK_STATES.includes(s);
}

export const ClaimState = z.enum(["offered", "accepted", "running", "done", "rejected", "expired", "revoked"]);
export type ClaimState = z.infer<typeof ClaimState>;
export const LIVE_CLAIM_STATES: readonly ClaimState[] = ["offered", "accepted", "running"];

export const NodeState = z.enum(["joined", "ready", "busy", "cordoned", "draining", "offline", "lost", "revoked"]);
export type NodeState = z.infer<typeof NodeState>;

/** What a node says about a claim it holds, in `hello` and every `heartbeat`. */
export const ClaimPhase = z.enum([
  "accepted", // taken, worker not started yet
  "running", // worker process alive
  "exited", // worker ended, result not yet acknowledged by the coordinator
  "interrupted", // worker died with a previous daemon; reported after a restart
]);
export type ClaimPhase = z.infer<typeof ClaimPhase>;

/** Why a task or claim ended other than by a clean exit 0. */
export const FailureReason = z.enum([
  "exit_code", // worker exited non-zero
  "signal", // worker killed by a signal it did not ask for
  "timeout", // task time limit reached
  "cancelled", // a user cancelled the task
  "lost", // the node holding it was lost and no attempts remain
  "rejected", // no node would take it
  "spawn_failed", // the agent could not be started
  "interrupted", // the node daemon restarted under it
  "revoked", // the coordinator took the claim back
  "budget", // the task's cost limit was crossed
  "stuck", // no output for the task's idle timeout
  "verify_failed", // the agent finished but the verify command failed
  "not_approved", // a person answered no at the task's approval gate
  "workspace_failed", // the repository could not be checked out
]);
export type FailureReason = z.infer<typeof FailureReason>;

export const Role = z.enum(["admin", "operator", "viewer"]);
export type Role = z.infer<typeof Role>;

/** How the scheduler picks among the nodes that fit a task. */
export const PlacementPolicy = z.enum(["least-loaded", "earliest-idle", "round-robin", "affinity", "spread"]);
export type PlacementPolicy = z.infer<typeof PlacementPolicy>;

/** A question from a worker to a human, or an approval gate (DESIGN §2). */
export const AskState = z.enum(["pending", "answered", "expired", "cancelled"]);
export type AskState = z.infer<typeof AskState>;
