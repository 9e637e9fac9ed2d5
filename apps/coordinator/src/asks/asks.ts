// Asks: stored when a worker's ask record arrives, answered by a person, and handed back to the node in
// every heartbeat ack until the worker has its answer (level-triggered, so a lost message heals itself).
import type { AnswerAskRequest, AskAnswer, AskRecord, AskView, ClaimReport } from "@muster/protocol";
import { and, eq, gt, inArray, isNotNull, isNull, lte, or } from "drizzle-orm";
import { MusterError } from "../errors.js";
import type { Db, Executor, Tx } from "../store/db.js";
import { asks } from "../store/schema.js";

export type AskRow = typeof asks.$inferSelect;

/** Stores the ask records of a batch once each; returns the asks that are new. */
export async function storeAsks(
  tx: Tx,
  claim: { id: string; taskId: string; nodeId: string },
  records: readonly AskRecord[],
  now: Date,
): Promise<AskRow[]> {
  if (records.length === 0) return [];
  return tx
    .insert(asks)
    .values(
      records.map((r) => ({
        id: r.askId,
        taskId: claim.taskId,
        claimId: claim.id,
        nodeId: claim.nodeId,
        question: r.question,
        options: r.options,
        gate: r.gate,
        tool: r.tool ?? null,
        expiresAt: r.expiresAt !== undefined ? new Date(r.expiresAt) : null,
        createdAt: now,
      })),
    )
    .onConflictDoNothing()
    .returning();
}

/**
 * Pending asks whose deadline has passed become `expired` (their node has already denied them); returns those.
 * Run before asks are read or answered, so no one sees or answers an ask its worker no longer waits on.
 */
export async function expireAsks(db: Executor, now: Date): Promise<AskRow[]> {
  return db
    .update(asks)
    .set({ state: "expired", answeredAt: now })
    .where(and(eq(asks.state, "pending"), isNotNull(asks.expiresAt), lte(asks.expiresAt, now)))
    .returning();
}

export async function answerAsk(db: Db, id: string, req: AnswerAskRequest, who: string, now: Date): Promise<AskRow> {
  return db.transaction(async (tx) => {
    const [ask] = await tx.select().from(asks).where(eq(asks.id, id)).for("update");
    if (!ask) throw new MusterError("not_found", `no ask ${id}`);
    const overdue = ask.state === "pending" && ask.expiresAt !== null && ask.expiresAt <= now;
    if ((ask.state === "expired" || overdue) && ask.expiresAt)
      throw new MusterError("invalid_state", `ask ${id} expired at ${ask.expiresAt.toISOString()} without an answer`);
    if (ask.state === "cancelled" || ask.state === "expired")
      throw new MusterError("invalid_state", `ask ${id} is ${ask.state}: its worker is gone`);
    if (ask.state === "answered" && !req.force)
      throw new MusterError("conflict", `ask ${id} was already answered "${ask.answer}" by ${ask.answeredBy}; answer again with --force (force: true in the API) to change it`);
    if (ask.options.length > 0 && !ask.options.includes(req.answer))
      throw new MusterError("validation_failed", `answer must be one of: ${ask.options.join(", ")}`);
    const [row] = await tx
      .update(asks)
      .set({ state: "answered", answer: req.answer, answeredBy: who, answeredAt: now, reason: req.reason ?? null })
      .where(eq(asks.id, id))
      .returning();
    return row!;
  });
}

/** Answers for the asks the node says its workers still wait on. */
export async function answersFor(db: Executor, reports: readonly ClaimReport[]): Promise<AskAnswer[]> {
  const waiting = reports.flatMap((r) => r.waitingAsks.map((askId) => ({ askId, claimId: r.claimId })));
  if (waiting.length === 0) return [];
  const rows = await db
    .select()
    .from(asks)
    .where(and(inArray(asks.id, waiting.map((w) => w.askId)), eq(asks.state, "answered")));
  return rows
    .filter((r) => waiting.some((w) => w.askId === r.id && w.claimId === r.claimId))
    .map(toAnswer);
}

export function toAnswer(r: AskRow): AskAnswer {
  return {
    askId: r.id,
    claimId: r.claimId,
    answer: r.answer ?? "",
    answeredBy: r.answeredBy ?? "",
    ...(r.reason !== null ? { reason: r.reason } : {}),
  };
}

/** A claim that ended takes its unanswered asks with it; those past their deadline had expired first. */
export async function closeAsks(tx: Tx, claimId: string, now: Date): Promise<void> {
  await tx
    .update(asks)
    .set({ state: "expired", answeredAt: now })
    .where(and(eq(asks.claimId, claimId), eq(asks.state, "pending"), isNotNull(asks.expiresAt), lte(asks.expiresAt, now)));
  await tx
    .update(asks)
    .set({ state: "cancelled", answeredAt: now })
    .where(and(eq(asks.claimId, claimId), eq(asks.state, "pending")));
}

/** Tasks among `ids` with a pending ask (one past its deadline no longer holds a worker). */
export async function waitingTasks(db: Executor, ids: readonly string[], now: Date = new Date()): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await db
    .selectDistinct({ taskId: asks.taskId })
    .from(asks)
    .where(and(inArray(asks.taskId, [...ids]), eq(asks.state, "pending"), or(isNull(asks.expiresAt), gt(asks.expiresAt, now))));
  return new Set(rows.map((r) => r.taskId));
}

export function toAskView(r: AskRow, nodeName: string | null): AskView {
  return {
    id: r.id,
    taskId: r.taskId,
    claimId: r.claimId,
    nodeId: r.nodeId,
    nodeName,
    question: r.question,
    options: r.options,
    gate: r.gate,
    state: r.state as AskView["state"],
    answer: r.answer,
    answeredBy: r.answeredBy,
    createdAt: r.createdAt.toISOString(),
    answeredAt: r.answeredAt ? r.answeredAt.toISOString() : null,
    tool: r.tool ? { name: r.tool.name, input: r.tool.input, diff: r.tool.diff } : null,
    reason: r.reason,
    expiresAt: r.expiresAt ? r.expiresAt.toISOString() : null,
  };
}
