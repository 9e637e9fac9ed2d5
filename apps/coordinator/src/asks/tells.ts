// Tells: a person's steering message for a running worker. Stored, pushed to the node, and re-sent in every
// heartbeat ack until the node reports it has the message.
import type { ClaimReport, TellMessage, TellView } from "@muster/protocol";
import { LIVE_CLAIM_STATES } from "@muster/protocol";
import { and, eq, inArray, isNull } from "drizzle-orm";
import { MusterError } from "../errors.js";
import { newId } from "../ids.js";
import type { Db, Executor } from "../store/db.js";
import { claims, tasks, tells } from "../store/schema.js";

export type TellRow = typeof tells.$inferSelect;

export async function createTell(db: Db, taskId: string, text: string, from: string, now: Date): Promise<TellRow> {
  return db.transaction(async (tx) => {
    const [task] = await tx.select().from(tasks).where(eq(tasks.id, taskId)).for("update");
    if (!task) throw new MusterError("not_found", `no task ${taskId}`);
    const [claim] = task.currentClaimId ? await tx.select().from(claims).where(eq(claims.id, task.currentClaimId)) : [];
    if (!claim || !LIVE_CLAIM_STATES.includes(claim.state as never))
      throw new MusterError("invalid_state", `task ${taskId} has no running worker to tell (it is ${task.state})`);
    const [row] = await tx
      .insert(tells)
      .values({ id: newId("tel", now.getTime()), taskId, claimId: claim.id, nodeId: claim.nodeId, text, fromName: from, createdAt: now })
      .returning();
    return row!;
  });
}

export function toTellMessage(r: TellRow): TellMessage {
  return { tellId: r.id, claimId: r.claimId, text: r.text, from: r.fromName };
}

export function toTellView(r: TellRow): TellView {
  return {
    id: r.id,
    taskId: r.taskId,
    claimId: r.claimId,
    text: r.text,
    from: r.fromName,
    state: r.deliveredAt ? "delivered" : "queued",
    createdAt: r.createdAt.toISOString(),
  };
}

/**
 * Marks the tells the node reports as delivered, and returns the ones for its claims it still lacks. `reports` must
 * be claims of the reporting node: a tell counts as delivered only when listed under its own claim.
 */
export async function reconcileTells(db: Executor, reports: readonly ClaimReport[], now: Date): Promise<TellMessage[]> {
  const claimIds = reports.map((r) => r.claimId);
  if (claimIds.length === 0) return [];
  const received = new Set(reports.flatMap((r) => r.tellsReceived.map((tellId) => `${r.claimId}/${tellId}`)));
  const open = await db
    .select()
    .from(tells)
    .where(and(inArray(tells.claimId, claimIds), isNull(tells.deliveredAt)));
  const delivered = open.filter((t) => received.has(`${t.claimId}/${t.id}`)).map((t) => t.id);
  if (delivered.length > 0) await db.update(tells).set({ deliveredAt: now }).where(inArray(tells.id, delivered));
  return open.filter((t) => !received.has(`${t.claimId}/${t.id}`)).map(toTellMessage);
}
