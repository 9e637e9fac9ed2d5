// Fencing (DESIGN §4): a claim message counts only if it names the task's current, live claim with its token.
import type { ClaimState } from "@muster/protocol";
import { LIVE_CLAIM_STATES } from "@muster/protocol";
import { eq } from "drizzle-orm";
import type { Tx } from "../store/db.js";
import { claims, tasks } from "../store/schema.js";

export type TaskRow = typeof tasks.$inferSelect;
export type ClaimRow = typeof claims.$inferSelect;

export interface ClaimRef {
  claimId: string;
  taskId: string;
  token: number;
}

export interface Fenced {
  task: TaskRow;
  claim: ClaimRow;
}

/** Locks the task row and returns it with the claim, or null if the message is not from the current claim. */
export async function lockCurrentClaim(tx: Tx, ref: ClaimRef, nodeId: string): Promise<Fenced | null> {
  const [task] = await tx.select().from(tasks).where(eq(tasks.id, ref.taskId)).for("update");
  if (!task || task.currentClaimId !== ref.claimId) return null;
  const [claim] = await tx.select().from(claims).where(eq(claims.id, ref.claimId));
  if (!claim || !isCurrent(claim, task, ref, nodeId)) return null;
  return { task, claim };
}

export function isCurrent(claim: ClaimRow, task: TaskRow, ref: ClaimRef, nodeId: string): boolean {
  return (
    claim.taskId === task.id &&
    claim.nodeId === nodeId &&
    claim.token === ref.token &&
    task.currentClaimId === claim.id &&
    isLive(claim.state as ClaimState)
  );
}

export function isLive(state: ClaimState): boolean {
  return LIVE_CLAIM_STATES.includes(state);
}
