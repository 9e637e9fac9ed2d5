// Ends a live claim that will not finish (node lost it, node revoked) and re-queues or fails its task.
import type { FailureReason, TaskState } from "@muster/protocol";
import { eq } from "drizzle-orm";
import type { Tx } from "../store/db.js";
import { claims, tasks } from "../store/schema.js";
import type { ClaimRow, TaskRow } from "./fencing.js";
import { canMoveTask } from "./transitions.js";

export async function endClaimAndRequeue(
  tx: Tx,
  task: TaskRow,
  claim: ClaimRow,
  opts: { now: Date; claimState: "expired" | "revoked"; reason: FailureReason; message: string },
): Promise<{ taskId: string; state: TaskState }> {
  const { now } = opts;
  await tx
    .update(claims)
    .set({ state: opts.claimState, finishedAt: now, reason: opts.reason, message: opts.message })
    .where(eq(claims.id, claim.id));
  if (task.currentClaimId !== claim.id) return { taskId: task.id, state: task.state as TaskState };
  const retry = claim.attempt < task.maxAttempts && canMoveTask(task.state as TaskState, "queued");
  const state: TaskState = retry ? "queued" : "failed";
  await tx
    .update(tasks)
    .set(
      retry
        ? { state, currentClaimId: null, nodeId: null, updatedAt: now }
        : { state, reason: opts.reason, message: opts.message, finishedAt: now, updatedAt: now },
    )
    .where(eq(tasks.id, task.id));
  return { taskId: task.id, state };
}
