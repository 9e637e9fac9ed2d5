// Checks on task ends and fencing: every task ends once, and nothing from a claim that is not current is accepted,
// by the history's order and by the database.
import { describeEvent, type Logged } from "./history.js";
import { lastClaim, LIVE_CLAIM, summarize, TERMINAL, type DbClaim, type DbRecord, type FinalTask, type Submitted, type Violation } from "./observation.js";

// ---- every task ends exactly once ----------------------------------------------------------------

export function checkEndsOnce(submitted: readonly Submitted[], tasks: readonly FinalTask[], history: readonly Logged[]): Violation[] {
  const out: Violation[] = [];
  const v = (taskId: string, message: string) => out.push({ check: "ends-once", taskId, message });
  const byId = new Map(tasks.map((t) => [t.id, t]));
  for (const s of submitted) {
    const t = byId.get(s.taskId);
    if (!t) v(s.taskId, `task ${s.taskId} was submitted but the coordinator does not know it`);
    else if (!TERMINAL.has(t.state)) v(t.id, `task ${t.id} is stuck in state ${t.state}`);
    else
      for (const c of t.claims)
        if (LIVE_CLAIM.has(c.state)) v(t.id, `task ${t.id} is ${t.state} but its claim ${c.claimId} is still ${c.state}`);
  }
  const ended = new Map<string, Logged>();
  for (const e of history) {
    if (e.ev !== "state") continue;
    const first = ended.get(e.taskId);
    if (first) {
      v(e.taskId, `task ${e.taskId} changed state after it ended: ${describeEvent(first)} then ${describeEvent(e)}`);
      continue;
    }
    if (TERMINAL.has(e.state)) ended.set(e.taskId, e);
  }
  for (const [taskId, e] of ended) {
    const t = byId.get(taskId);
    if (e.ev === "state" && t && t.state !== e.state)
      v(taskId, `task ${taskId} ended ${e.state} in the history but is ${t.state} in the database`);
  }
  return out;
}

// ---- fencing: nothing is accepted from a claim that is not current --------------------------------

interface TaskFence {
  latestToken: number;
  tokens: Map<string, number>;
  expired: Set<string>;
  ended: Logged | null;
}

/**
 * Walks the history in order; records, results and accepts must come from the task's latest, live claim.
 * Repeats (one claim's many record batches) are folded into one violation per claim and cause.
 */
export function checkFencingHistory(history: readonly Logged[]): Violation[] {
  const fences = new Map<string, TaskFence>();
  const found = new Map<string, { first: Logged & { taskId: string }; why: string; count: number }>();
  const fence = (taskId: string): TaskFence => {
    let f = fences.get(taskId);
    if (!f) fences.set(taskId, (f = { latestToken: 0, tokens: new Map(), expired: new Set(), ended: null }));
    return f;
  };
  const v = (e: Logged & { taskId: string; claimId: string | null }, cause: string, why: string) => {
    const key = `${e.claimId}|${e.ev}|${cause}`;
    const seen = found.get(key);
    if (seen) seen.count += 1;
    else found.set(key, { first: e, why, count: 1 });
  };
  for (const e of history) {
    switch (e.ev) {
      case "offer": {
        const f = fence(e.taskId);
        f.tokens.set(e.claimId, e.token);
        f.latestToken = Math.max(f.latestToken, e.token);
        break;
      }
      case "expire":
        fence(e.taskId).expired.add(e.claimId);
        break;
      case "accept":
      case "records":
      case "result": {
        const f = fence(e.taskId);
        f.tokens.set(e.claimId, e.token);
        if (e.token < f.latestToken) v(e, "older", `from token ${e.token} while token ${f.latestToken} was already offered`);
        else if (f.expired.has(e.claimId)) v(e, "expired", `after claim ${e.claimId} had expired`);
        else if (f.ended) v(e, "ended", `after the task ended (${describeEvent(f.ended)})`);
        break;
      }
      case "state": {
        const f = fence(e.taskId);
        const token = e.claimId ? f.tokens.get(e.claimId) : undefined;
        if (token !== undefined && token < f.latestToken)
          v(e, "older", `from claim ${e.claimId} (token ${token}) while token ${f.latestToken} was already offered`);
        if (TERMINAL.has(e.state) && !f.ended) f.ended = e;
        break;
      }
      default:
        break;
    }
  }
  return [...found.values()].map(({ first, why, count }) => ({
    check: "fencing-history" as const,
    taskId: first.taskId,
    message: `${describeEvent(first)} was accepted ${why}${count > 1 ? ` (and ${count - 1} more ${first.ev} events of this claim like it)` : ""}`,
  }));
}

/**
 * The database agrees: no record of an expired or revoked claim was stored after the claim ended, and a task's
 * result is its last claim's. `toleranceMs` absorbs the gap between the coordinator's clock and the database's.
 */
export function checkFencingDb(
  tasks: readonly FinalTask[],
  claims: readonly DbClaim[],
  records: readonly DbRecord[],
  toleranceMs = 0,
): Violation[] {
  const out: Violation[] = [];
  const ended = new Map(claims.filter((c) => (c.state === "expired" || c.state === "revoked") && c.finishedAt !== null).map((c) => [c.id, c]));
  const late = new Map<string, DbRecord[]>();
  for (const r of records) {
    const c = ended.get(r.claimId);
    if (c && r.storedAt > c.finishedAt! + toleranceMs) late.set(c.id, [...(late.get(c.id) ?? []), r]);
  }
  for (const [claimId, rs] of late) {
    const c = ended.get(claimId)!;
    const seqs = rs.map((r) => r.seq).sort((a, b) => a - b);
    const worst = Math.max(...rs.map((r) => r.storedAt)) - c.finishedAt!;
    out.push({
      check: "fencing-db",
      taskId: c.taskId,
      message: `claim ${claimId} (token ${c.token}) was ${c.state} at ${new Date(c.finishedAt!).toISOString()} but records ${summarize(seqs)} were stored after it, up to ${worst} ms later`,
    });
  }
  for (const t of tasks) {
    if (t.state !== "succeeded" && t.state !== "failed") continue;
    const last = lastClaim(t);
    if (!last) {
      out.push({ check: "fencing-db", taskId: t.id, message: `task ${t.id} is ${t.state} without any claim` });
      continue;
    }
    if (last.exitCode !== t.exitCode || last.reason !== t.reason)
      out.push({
        check: "fencing-db",
        taskId: t.id,
        message: `task ${t.id} shows exitCode ${t.exitCode} reason ${t.reason} but its last claim ${last.claimId} (token ${last.token}) has exitCode ${last.exitCode} reason ${last.reason}`,
      });
    if (t.state === "succeeded" && (last.state !== "done" || last.exitCode !== 0))
      out.push({ check: "fencing-db", taskId: t.id, message: `task ${t.id} succeeded but its last claim ${last.claimId} is ${last.state} with exit code ${last.exitCode}` });
    for (const c of t.claims)
      if (c !== last && c.state === "done" && c.exitCode === 0 && c.reason === null)
        out.push({ check: "fencing-db", taskId: t.id, message: `task ${t.id} ran again (claim ${last.claimId}) after claim ${c.claimId} had succeeded` });
  }
  return out;
}

// ---- the history itself --------------------------------------------------------------------

const CLAIM_EVENTS = new Set(["offer", "accept", "records", "result", "refused", "expire"]);

/**
 * Claim events must carry their numeric fencing token. Where one does not (a log redaction, say), the token is
 * taken from the claims table so the ordering checks still run, and the gap is reported.
 */
export function normalizeHistory(history: readonly Logged[], claims: readonly DbClaim[]): { events: Logged[]; violations: Violation[] } {
  const tokenOf = new Map(claims.map((c) => [c.id, c.token]));
  const bad: Logged[] = [];
  const events = history.map((e) => {
    if (!CLAIM_EVENTS.has(e.ev) || !("token" in e) || typeof e.token === "number") return e;
    bad.push(e);
    const token = tokenOf.get(e.claimId);
    return token === undefined ? e : ({ ...e, token } as Logged);
  });
  const violations: Violation[] = bad.length
    ? [
        {
          check: "history",
          message: `${bad.length} history claim events carry no numeric token, e.g. ${describeEvent(bad[0]!)}; their tokens were read from the claims table instead`,
        },
      ]
    : [];
  return { events, violations };
}
