// Revoking a node: it may never connect again, and the work it held goes back to the queue.
import type { TaskState } from "@muster/protocol";
import { LIVE_CLAIM_STATES } from "@muster/protocol";
import { and, eq, inArray } from "drizzle-orm";
import { MusterError } from "../errors.js";
import type { Db } from "../store/db.js";
import { claims, nodes, tasks } from "../store/schema.js";
import { endClaimAndRequeue } from "./expire.js";
import type { RetryPolicy } from "./retry.js";

export async function revokeNode(db: Db, nodeId: string, now: Date, policy: RetryPolicy) {
  return db.transaction(async (tx) => {
    const [node] = await tx.select().from(nodes).where(eq(nodes.id, nodeId)).for("update");
    if (!node) throw new MusterError("not_found", `no node ${nodeId}`);
    if (node.state === "revoked") throw new MusterError("invalid_state", `node ${node.name} is already revoked`);
    const [updated] = await tx
      .update(nodes)
      .set({ state: "revoked", revokedAt: now, sessionId: null, leaseExpiresAt: null })
      .where(eq(nodes.id, nodeId))
      .returning();
    const live = await tx
      .select()
      .from(claims)
      .where(and(eq(claims.nodeId, nodeId), inArray(claims.state, [...LIVE_CLAIM_STATES])));
    const changed: { claim: typeof live[number]; taskId: string; state: TaskState }[] = [];
    for (const claim of live) {
      const [task] = await tx.select().from(tasks).where(eq(tasks.id, claim.taskId)).for("update");
      if (!task) continue;
      const settled = await endClaimAndRequeue(tx, task, claim, {
        now,
        claimState: "revoked",
        reason: "revoked",
        message: "the node was revoked",
        policy,
      });
      changed.push({ claim, ...settled });
    }
    return { node: updated!, changed };
  });
}
