// Heartbeat reconciliation (DESIGN §4): diff the claims a node reports against the database, one code path
// for `hello` and every `heartbeat`.
import type { Ack, AskAnswer, ClaimOffer, TellMessage, ClaimReport, ClaimRevoke, TaskState } from "@muster/protocol";
import { LIVE_CLAIM_STATES } from "@muster/protocol";
import { and, eq, inArray, or } from "drizzle-orm";
import type { Db } from "../store/db.js";
import { claims, tasks } from "../store/schema.js";
import type { ClaimRow, TaskRow } from "../claims/fencing.js";
import { isLive } from "../claims/fencing.js";
import { buildOffer } from "../claims/offers.js";
import { answersFor } from "../asks/asks.js";
import { reconcileTells } from "../asks/tells.js";
import { endClaimAndRequeue } from "../claims/expire.js";
import type { RetryPolicy } from "../claims/retry.js";

export interface Reconciliation {
  revoke: ClaimRevoke[];
  offers: ClaimOffer[];
  resend: { claimId: string; token: number; fromSeq: number }[];
  /** Results the node still holds that are already stored: acknowledge them again. */
  doneAcks: Ack[];
  /** Answers to asks the node's workers still wait on. */
  answers: AskAnswer[];
  /** Tells for the node's claims that it does not have yet. */
  tells: TellMessage[];
  /** Claims that vanished from the node, and what became of their tasks. */
  expired: { claim: ClaimRow; taskId: string; state: TaskState }[];
}

export interface ReconcileOptions {
  leaseMs: number;
  now: Date;
  /** On `hello`, ask for records the node has that we lack; on heartbeats they are usually just in flight. */
  askResend: boolean;
  policy: RetryPolicy;
}

export async function reconcileClaims(
  db: Db,
  nodeId: string,
  reports: readonly ClaimReport[],
  opts: ReconcileOptions,
): Promise<Reconciliation> {
  return db.transaction(async (tx) => {
    const out: Reconciliation = { revoke: [], offers: [], resend: [], doneAcks: [], expired: [], answers: [], tells: [] };
    const reportedIds = reports.map((r) => r.claimId);
    const liveHere = and(eq(claims.nodeId, nodeId), inArray(claims.state, [...LIVE_CLAIM_STATES]));
    const claimRows = await tx
      .select()
      .from(claims)
      .where(reportedIds.length ? or(liveHere, inArray(claims.id, reportedIds)) : liveHere);
    const byId = new Map(claimRows.map((c) => [c.id, c]));
    const taskIds = [...new Set(claimRows.map((c) => c.taskId))];
    const taskRows = taskIds.length
      ? await tx.select().from(tasks).where(inArray(tasks.id, taskIds)).orderBy(tasks.id).for("update")
      : [];
    const taskById = new Map(taskRows.map((t) => [t.id, t]));

    for (const r of reports) {
      const claim = byId.get(r.claimId);
      const task = claim ? taskById.get(claim.taskId) : undefined;
      // A node that holds an offered claim has accepted it, even if its accept was lost.
      if (diffReported(out, r, nodeId, claim, task, opts) && claim!.state === "offered") {
        await tx.update(claims).set({ state: "accepted", acceptedAt: opts.now }).where(eq(claims.id, claim!.id));
        await tx.update(tasks).set({ attempts: claim!.attempt, updatedAt: opts.now }).where(eq(tasks.id, task!.id));
      }
    }
    const reported = new Set(reportedIds);
    for (const claim of claimRows) {
      if (reported.has(claim.id) || claim.nodeId !== nodeId || !isLive(claim.state as never)) continue;
      const task = taskById.get(claim.taskId);
      if (!task || task.currentClaimId !== claim.id) continue;
      if (claim.state === "offered") out.offers.push(buildOffer(task, claim, opts.leaseMs));
      else
        out.expired.push({
          claim,
          ...(await endClaimAndRequeue(tx, task, claim, {
            now: opts.now,
            claimState: "expired",
            reason: "interrupted",
            message: "the node no longer holds this claim",
            policy: opts.policy,
          })),
        });
    }
    // Asks and tells are private to the claim's node: a report of another node's claim gets neither.
    const owned = reports.filter((r) => ownedBy(nodeId, r, byId.get(r.claimId)));
    out.answers = await answersFor(tx, owned);
    out.tells = await reconcileTells(tx, owned, opts.now);
    return out;
  });
}

/** The report names a claim of this node, with its token: the same test fencing applies to every claim message. */
function ownedBy(nodeId: string, r: ClaimReport, claim: ClaimRow | undefined): boolean {
  return claim !== undefined && claim.nodeId === nodeId && claim.token === r.token && claim.taskId === r.taskId;
}

function diffReported(
  out: Reconciliation,
  r: ClaimReport,
  nodeId: string,
  claim: ClaimRow | undefined,
  task: TaskRow | undefined,
  opts: ReconcileOptions,
): boolean {
  const ref = { claimId: r.claimId, taskId: r.taskId, token: r.token };
  if (!claim || !task || !ownedBy(nodeId, r, claim)) {
    out.revoke.push({ ...ref, reason: "unknown", message: "the coordinator has no such claim for this node" });
    return false;
  }
  if (claim.state === "done") {
    out.doneAcks.push({ ...ref, seq: claim.lastSeq, done: true });
    return false;
  }
  if (!isLive(claim.state as never) || task.currentClaimId !== claim.id) {
    const reason = task.state === "cancelled" ? "cancelled" : claim.state === "expired" ? "expired" : "stale";
    out.revoke.push({ ...ref, reason });
    return false;
  }
  if (opts.askResend && r.lastSeq > claim.lastSeq)
    out.resend.push({ claimId: claim.id, token: claim.token, fromSeq: claim.lastSeq + 1 });
  return true;
}
