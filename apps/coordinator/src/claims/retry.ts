// What happens to a task when its claim ends without a result of its own making: try again later, or fail.
import type { FailureReason, TaskState } from "@muster/protocol";
import { eq } from "drizzle-orm";
import type { Tx } from "../store/db.js";
import { tasks } from "../store/schema.js";
import type { ClaimRow, TaskRow } from "./fencing.js";
import { canMoveTask } from "./transitions.js";

/** Reasons that say nothing about the task itself, so another attempt may well succeed. */
export const DEFAULT_RETRY_ON: readonly FailureReason[] = ["lost", "interrupted", "revoked"];

export interface RetryPolicy {
  backoffMs: number;
  backoffMaxMs: number;
  /** Reasons re-queued for tasks that do not list their own. */
  retryOn?: readonly FailureReason[];
  random?: () => number;
}

/** Whether a claim that ended for `reason` gives its task another attempt (attempts permitting). */
export function isRetryable(task: Pick<TaskRow, "retryOn">, reason: FailureReason, policy: RetryPolicy): boolean {
  const list = (task.retryOn as FailureReason[] | null) ?? policy.retryOn ?? DEFAULT_RETRY_ON;
  return list.includes(reason);
}

/** Exponential backoff with full jitter: a random delay in [0, min(max, base * 2^(attempt-1))]. */
export function retryDelayMs(attempt: number, policy: RetryPolicy): number {
  const ceiling = Math.min(policy.backoffMaxMs, policy.backoffMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor((policy.random ?? Math.random)() * ceiling);
}

export interface Settled {
  taskId: string;
  state: TaskState;
}

/**
 * Moves a task whose current claim just ended for `reason` back to the queue while attempts remain (an offer never
 * accepted costs no attempt), or to `failed`.
 */
export async function requeueOrFail(
  tx: Tx,
  task: TaskRow,
  claim: ClaimRow,
  opts: { now: Date; reason: FailureReason; message: string; policy: RetryPolicy; exitCode?: number | null },
): Promise<Settled> {
  const { now } = opts;
  const consumed = claim.state !== "offered";
  const attemptsLeft = !consumed || claim.attempt < task.maxAttempts;
  // An offer the node never accepted was not an attempt: it goes back to the queue whatever the reason.
  const retry = (!consumed || isRetryable(task, opts.reason, opts.policy)) && attemptsLeft && canMoveTask(task.state as TaskState, "queued");
  if (retry) {
    const delay = consumed ? retryDelayMs(claim.attempt, opts.policy) : 0;
    const notBefore = new Date(now.getTime() + delay);
    await tx
      .update(tasks)
      .set({
        state: "queued",
        currentClaimId: null,
        nodeId: null,
        attempts: consumed ? claim.attempt : task.attempts,
        notBefore,
        queuedAt: now,
        reason: opts.reason,
        message: opts.message,
        pendingReason: delay > 0 ? `retrying after ${opts.reason} (attempt ${claim.attempt} of ${task.maxAttempts} ended)` : null,
        updatedAt: now,
      })
      .where(eq(tasks.id, task.id));
    return { taskId: task.id, state: "queued" };
  }
  await tx
    .update(tasks)
    .set({
      state: "failed",
      reason: opts.reason,
      message: opts.message,
      exitCode: opts.exitCode ?? null,
      attempts: consumed ? claim.attempt : task.attempts,
      finishedAt: now,
      updatedAt: now,
    })
    .where(eq(tasks.id, task.id));
  return { taskId: task.id, state: "failed" };
}
