// What each claim message does to the database: accept, records, done, reject, and a user's cancel.
import type { AskRecord, ClaimAccept, ClaimDone, ClaimEvents, ClaimReject, ClaimRevoke, TaskState } from "@muster/protocol";
import { isTerminalTaskState } from "@muster/protocol";
import { and, asc, eq, gt, sql } from "drizzle-orm";
import { closeAsks, storeAsks, type AskRow } from "../asks/asks.js";
import { MusterError } from "../errors.js";
import type { Db, Tx } from "../store/db.js";
import { claimRecords, claims, tasks } from "../store/schema.js";
import { lockCurrentClaim, type ClaimRef, type ClaimRow, type TaskRow } from "./fencing.js";
import { isRetryable, requeueOrFail, type RetryPolicy } from "./retry.js";
import { canMoveTask, IllegalTransition } from "./transitions.js";

export type Fenced<T> = { ok: true; value: T } | { ok: false; revoke: ClaimRevoke };

function stale(ref: ClaimRef): { ok: false; revoke: ClaimRevoke } {
  return {
    ok: false,
    revoke: {
      claimId: ref.claimId,
      taskId: ref.taskId,
      token: ref.token,
      reason: "stale",
      message: "claim is not the task's current claim",
    },
  };
}

function moveTask(task: TaskRow, to: TaskState): TaskState {
  if (task.state !== to && !canMoveTask(task.state as TaskState, to)) throw new IllegalTransition("task", task.state, to);
  return to;
}

export async function acceptClaim(
  db: Db,
  nodeId: string,
  msg: ClaimAccept,
  now: Date,
): Promise<Fenced<{ claim: ClaimRow; changed: boolean }>> {
  return db.transaction(async (tx) => {
    const cur = await lockCurrentClaim(tx, msg, nodeId);
    if (!cur) return stale(msg);
    if (cur.claim.state !== "offered") return { ok: true, value: { claim: cur.claim, changed: false } };
    const [claim] = await tx
      .update(claims)
      .set({ state: "accepted", acceptedAt: now })
      .where(eq(claims.id, cur.claim.id))
      .returning();
    await tx.update(tasks).set({ attempts: cur.claim.attempt, updatedAt: now }).where(eq(tasks.id, cur.task.id));
    return { ok: true, value: { claim: claim!, changed: true } };
  });
}

/**
 * Stores a batch of records idempotently; returns the seq up to which every record is now stored, and `fromSeq`,
 * the first seq this batch made contiguous.
 */
/**
 * Postgres keeps no U+0000 in text or jsonb, and a worker may print one: it becomes U+FFFD, like any other byte
 * that is not text, rather than a frame that can never be stored.
 */
export function withoutNul<T>(value: T): T {
  if (typeof value === "string") return (value.includes("\u0000") ? value.replaceAll("\u0000", "\uFFFD") : value) as T;
  if (Array.isArray(value)) return value.map(withoutNul) as T;
  if (value !== null && typeof value === "object")
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [withoutNul(k), withoutNul(v)])) as T;
  return value;
}

export async function storeRecords(
  db: Db,
  nodeId: string,
  msg: ClaimEvents,
  now: Date,
): Promise<Fenced<{ seq: number; fromSeq: number; started: boolean; asks: AskRow[] }>> {
  return db.transaction(async (tx) => {
    const cur = await lockCurrentClaim(tx, msg, nodeId);
    if (!cur) return stale(msg);
    const { claim, task } = cur;
    const fresh = msg.records.filter((r) => r.seq > claim.lastSeq).map(withoutNul);
    if (fresh.length > 0) {
      await tx
        .insert(claimRecords)
        .values(
          fresh.map((r) => ({ claimId: claim.id, seq: r.seq, taskId: task.id, attempt: claim.attempt, kind: r.kind, record: r })),
        )
        .onConflictDoNothing();
    }
    const started = msg.records.find((r) => r.kind === "started");
    if (started && (claim.state === "offered" || claim.state === "accepted")) {
      const at = new Date(started.ts);
      await tx
        .update(claims)
        .set({ state: "running", startedAt: at, acceptedAt: claim.acceptedAt ?? now })
        .where(eq(claims.id, claim.id));
      await tx
        .update(tasks)
        .set({ state: moveTask(task, "running"), startedAt: task.startedAt ?? at, attempts: claim.attempt, updatedAt: now })
        .where(eq(tasks.id, task.id));
    }
    await addCost(tx, claim, task, fresh);
    const newAsks = await storeAsks(tx, claim, fresh.filter((r): r is AskRecord => r.kind === "ask"), now);
    const seq = await advanceLastSeq(tx, claim, Math.min(...msg.records.map((r) => r.seq)));
    return { ok: true, value: { seq, fromSeq: claim.lastSeq + 1, started: Boolean(started), asks: newAsks } };
  });
}

/** Cost records are cumulative per attempt: the claim keeps the highest totals, the task the sum over its claims. */
async function addCost(tx: Tx, claim: ClaimRow, task: TaskRow, records: ClaimEvents["records"]): Promise<void> {
  let { costUsd: usd, inputTokens: input, outputTokens: output } = claim;
  for (const r of records) {
    if (r.kind !== "cost") continue;
    usd = Math.max(usd, r.usd);
    input = Math.max(input, r.inputTokens ?? 0);
    output = Math.max(output, r.outputTokens ?? 0);
  }
  if (usd === claim.costUsd && input === claim.inputTokens && output === claim.outputTokens) return;
  await tx.update(claims).set({ costUsd: usd, inputTokens: input, outputTokens: output }).where(eq(claims.id, claim.id));
  await tx
    .update(tasks)
    .set({
      costUsd: sql`${tasks.costUsd} + ${usd - claim.costUsd}`,
      inputTokens: sql`${tasks.inputTokens} + ${input - claim.inputTokens}`,
      outputTokens: sql`${tasks.outputTokens} + ${output - claim.outputTokens}`,
    })
    .where(eq(tasks.id, task.id));
}

/** Moves the claim's contiguous high-water mark past any records that now close the gap. */
async function advanceLastSeq(tx: Tx, claim: ClaimRow, lowestNew: number): Promise<number> {
  if (lowestNew > claim.lastSeq + 1) return claim.lastSeq;
  const rows = await tx
    .select({ seq: claimRecords.seq })
    .from(claimRecords)
    .where(and(eq(claimRecords.claimId, claim.id), gt(claimRecords.seq, claim.lastSeq)))
    .orderBy(asc(claimRecords.seq));
  let last = claim.lastSeq;
  for (const r of rows) {
    if (r.seq !== last + 1) break;
    last = r.seq;
  }
  if (last !== claim.lastSeq) await tx.update(claims).set({ lastSeq: last }).where(eq(claims.id, claim.id));
  return last;
}

/** `repeated`: the result was already stored (the node missed our ack) and nothing changed now. */
export type DoneResult = { stored: true; repeated: boolean; task: TaskRow } | { stored: false; seq: number };

export async function finishClaim(
  db: Db,
  nodeId: string,
  msg: ClaimDone,
  now: Date,
  policy: RetryPolicy,
): Promise<Fenced<DoneResult>> {
  return db.transaction(async (tx) => {
    const cur = await lockCurrentClaim(tx, msg, nodeId);
    if (!cur) {
      const [done] = await tx.select().from(claims).where(eq(claims.id, msg.claimId));
      // The node missed our ack for a result we already stored: acknowledge it again.
      if (done && done.state === "done" && done.token === msg.token && done.nodeId === nodeId) {
        const [task] = await tx.select().from(tasks).where(eq(tasks.id, done.taskId));
        return { ok: true, value: { stored: true, repeated: true, task: task! } };
      }
      return stale(msg);
    }
    const { claim, task } = cur;
    if (msg.lastSeq > claim.lastSeq) return { ok: true, value: { stored: false, seq: claim.lastSeq } };
    const o = withoutNul(msg.outcome);
    const finishedAt = new Date(msg.finishedAt);
    await tx
      .update(claims)
      .set({
        state: "done",
        finishedAt,
        exitCode: o.exitCode,
        signal: o.signal,
        reason: o.reason,
        message: o.message,
        acceptedAt: claim.acceptedAt ?? now,
        workspace: o.workspace,
        verifyResult: o.verify,
      })
      .where(eq(claims.id, claim.id));
    await closeAsks(tx, claim.id, now);
    // Each attempt's result replaces the last one's: a retried attempt that wrote nothing leaves null.
    await tx
      .update(tasks)
      .set({ ...(o.workspace ? { workspace: o.workspace } : {}), ...(o.verify ? { verifyResult: o.verify } : {}), result: o.result ?? null })
      .where(eq(tasks.id, task.id));
    if (o.status === "failed" && o.reason && isRetryable(task, o.reason, policy)) {
      const settled = await requeueOrFail(tx, task, claim, {
        now,
        reason: o.reason,
        message: o.message ?? o.reason,
        exitCode: o.exitCode,
        policy,
      });
      const [row] = await tx.select().from(tasks).where(eq(tasks.id, settled.taskId));
      return { ok: true, value: { stored: true, repeated: false, task: row! } };
    }
    const [updated] = await tx
      .update(tasks)
      .set({
        state: moveTask(task, o.status),
        exitCode: o.exitCode,
        reason: o.reason,
        message: o.message,
        finishedAt,
        attempts: claim.attempt,
        updatedAt: now,
      })
      .where(eq(tasks.id, task.id))
      .returning();
    return { ok: true, value: { stored: true, repeated: false, task: updated! } };
  });
}

export async function rejectClaim(db: Db, nodeId: string, msg: ClaimReject, now: Date): Promise<Fenced<TaskRow>> {
  return db.transaction(async (tx) => {
    const cur = await lockCurrentClaim(tx, msg, nodeId);
    if (!cur) return stale(msg);
    if (cur.claim.state !== "offered") return stale(msg);
    await tx
      .update(claims)
      .set({ state: "rejected", finishedAt: now, reason: "rejected", message: `${msg.reason}: ${msg.message}` })
      .where(eq(claims.id, cur.claim.id));
    const [task] = await tx
      .update(tasks)
      .set({ state: moveTask(cur.task, "queued"), currentClaimId: null, nodeId: null, updatedAt: now })
      .where(eq(tasks.id, cur.task.id))
      .returning();
    return { ok: true, value: task! };
  });
}

export interface CancelResult {
  task: TaskRow;
  /** The node to tell, when a claim was live. */
  revoke: { nodeId: string; message: ClaimRevoke } | null;
}

export async function cancelTask(db: Db, taskId: string, now: Date): Promise<CancelResult> {
  return db.transaction(async (tx) => {
    const [task] = await tx.select().from(tasks).where(eq(tasks.id, taskId)).for("update");
    if (!task) throw new MusterError("not_found", `no task ${taskId}`);
    if (isTerminalTaskState(task.state as TaskState))
      throw new MusterError("invalid_state", `task ${taskId} has already ${task.state}`);
    let revoke: CancelResult["revoke"] = null;
    if (task.currentClaimId) {
      const [claim] = await tx
        .update(claims)
        .set({ state: "revoked", finishedAt: now, reason: "cancelled", message: "cancelled by a user" })
        .where(and(eq(claims.id, task.currentClaimId), eq(claims.taskId, task.id)))
        .returning();
      if (claim) await closeAsks(tx, claim.id, now);
      if (claim)
        revoke = {
          nodeId: claim.nodeId,
          message: { claimId: claim.id, taskId: task.id, token: claim.token, reason: "cancelled" },
        };
    }
    const [updated] = await tx
      .update(tasks)
      .set({ state: moveTask(task, "cancelled"), reason: "cancelled", finishedAt: now, updatedAt: now })
      .where(eq(tasks.id, task.id))
      .returning();
    return { task: updated!, revoke };
  });
}

/** Puts a finished task back in the queue as a new attempt, granting one more attempt if it had used them all. */
export async function retryTask(db: Db, taskId: string, now: Date): Promise<TaskRow> {
  return db.transaction(async (tx) => {
    const [task] = await tx.select().from(tasks).where(eq(tasks.id, taskId)).for("update");
    if (!task) throw new MusterError("not_found", `no task ${taskId}`);
    if (!isTerminalTaskState(task.state as TaskState))
      throw new MusterError("invalid_state", `task ${taskId} is ${task.state}; only a finished task can be retried`);
    const [updated] = await tx
      .update(tasks)
      .set({
        state: "queued",
        currentClaimId: null,
        nodeId: null,
        exitCode: null,
        reason: null,
        message: null,
        finishedAt: null,
        notBefore: null,
        pendingReason: null,
        queuedAt: now,
        maxAttempts: Math.max(task.maxAttempts, task.attempts + 1),
        updatedAt: now,
      })
      .where(eq(tasks.id, task.id))
      .returning();
    return updated!;
  });
}
