// Ends a live claim that will not finish (node lost it, node revoked) and re-queues or fails its task.
import type { FailureReason } from "@muster/protocol";
import { eq } from "drizzle-orm";
import { closeAsks } from "../asks/asks.js";
import type { Tx } from "../store/db.js";
import { claims } from "../store/schema.js";
import type { ClaimRow, TaskRow } from "./fencing.js";
import { requeueOrFail, type RetryPolicy, type Settled } from "./retry.js";

export async function endClaimAndRequeue(
  tx: Tx,
  task: TaskRow,
  claim: ClaimRow,
  opts: { now: Date; claimState: "expired" | "revoked"; reason: FailureReason; message: string; policy: RetryPolicy },
): Promise<Settled> {
  await tx
    .update(claims)
    .set({ state: opts.claimState, finishedAt: opts.now, reason: opts.reason, message: opts.message })
    .where(eq(claims.id, claim.id));
  await closeAsks(tx, claim.id, opts.now);
  if (task.currentClaimId !== claim.id) return { taskId: task.id, state: task.state as Settled["state"] };
  return requeueOrFail(tx, task, claim, opts);
}
