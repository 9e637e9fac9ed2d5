// Claim lifecycle and reconciliation on real databases (PGlite, and Postgres when reachable).
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { newId } from "../ids.js";
import type { Store } from "../store/db.js";
import { openTestStore, storeKinds, type TestStore } from "../store/testing.js";
import { claimRecords, claims, nodes, tasks } from "../store/schema.js";
import { answerAsk, answersFor, waitingTasks } from "../asks/asks.js";
import { acceptClaim, cancelTask, finishClaim, rejectClaim, storeRecords } from "./lifecycle.js";
import { reconcileClaims } from "../reconciler/reconcile.js";

const kinds = await storeKinds();

describe.each(kinds)("on %s", (kind) => {
  let store: Store;
  let db: TestStore;
  const now = new Date(1_800_000_000_000);
  const NODE = "nod_a";
  const policy = { backoffMs: 1000, backoffMaxMs: 10_000, random: () => 0.5 };

  beforeAll(async () => {
    db = await openTestStore(kind);
    store = db.store;
    await store.db.insert(nodes).values({ id: NODE, name: "a", publicKey: { kty: "OKP", crv: "Ed25519", x: "x" } });
  });
  afterAll(async () => {
    await db?.dispose();
  });

  let taskId: string;
  let claimId: string;
  beforeEach(async () => {
    taskId = newId("tsk");
    claimId = newId("clm");
    await store.db.insert(tasks).values({
      id: taskId,
      agent: "exec",
      argv: ["true"],
      timeoutMs: 1000,
      maxAttempts: 2,
      state: "assigned",
      lastToken: 1,
      currentClaimId: claimId,
      nodeId: NODE,
    });
    await store.db.insert(claims).values({ id: claimId, taskId, nodeId: NODE, token: 1, attempt: 1 });
  });

  const ref = () => ({ claimId, taskId, token: 1 });
  const log = (seq: number, text = `line ${seq}\n`) => ({ seq, ts: now.getTime(), kind: "log" as const, stream: "stdout" as const, text });
  const started = { seq: 1, ts: now.getTime(), kind: "started" as const, pid: 5, command: ["true"], workdir: "/w" };
  const ok = { status: "succeeded" as const, exitCode: 0, signal: null, reason: null, message: null, workspace: null, verify: null };
  const taskRow = async () => (await store.db.select().from(tasks).where(eq(tasks.id, taskId)))[0]!;
  const claimRow = async () => (await store.db.select().from(claims).where(eq(claims.id, claimId)))[0]!;

  describe("claim lifecycle", () => {
    it("accepts, runs and finishes the current claim", async () => {
      expect((await acceptClaim(store.db, NODE, ref(), now)).ok).toBe(true);
      const stored = await storeRecords(store.db, NODE, { ...ref(), records: [started, log(2)] }, now);
      expect(stored).toEqual({ ok: true, value: { seq: 2, fromSeq: 1, started: true, asks: [] } });
      expect((await taskRow()).state).toBe("running");
      const done = await finishClaim(store.db, NODE, { ...ref(), lastSeq: 2, outcome: ok, finishedAt: now.getTime() }, now, policy);
      expect(done.ok && done.value.stored).toBe(true);
      expect((await taskRow()).state).toBe("succeeded");
      expect((await claimRow()).state).toBe("done");
    });

    it("stores nothing from a stale token or another node", async () => {
      const stale = await storeRecords(store.db, NODE, { ...ref(), token: 2, records: [log(1)] }, now);
      expect(stale.ok).toBe(false);
      const foreign = await storeRecords(store.db, "nod_other", { ...ref(), records: [log(1)] }, now);
      expect(foreign.ok).toBe(false);
      const rows = await store.db.select().from(claimRecords).where(eq(claimRecords.claimId, claimId));
      expect(rows).toHaveLength(0);
    });

    it("stores duplicate records once and tracks the contiguous seq across a gap", async () => {
      await storeRecords(store.db, NODE, { ...ref(), records: [started, log(3)] }, now);
      expect((await claimRow()).lastSeq).toBe(1);
      const res = await storeRecords(store.db, NODE, { ...ref(), records: [log(2), log(3)] }, now);
      expect(res.ok && res.value.seq).toBe(3);
      const rows = await store.db.select().from(claimRecords).where(eq(claimRecords.claimId, claimId));
      expect(rows).toHaveLength(3);
    });

    it("holds a result back until every record before it is stored", async () => {
      await storeRecords(store.db, NODE, { ...ref(), records: [started] }, now);
      const early = await finishClaim(store.db, NODE, { ...ref(), lastSeq: 3, outcome: ok, finishedAt: now.getTime() }, now, policy);
      expect(early).toEqual({ ok: true, value: { stored: false, seq: 1 } });
      expect((await taskRow()).state).toBe("running");
    });

    it("acknowledges a repeated result without changing the task", async () => {
      const done = { ...ref(), lastSeq: 0, outcome: ok, finishedAt: now.getTime() };
      await finishClaim(store.db, NODE, done, now, policy);
      const again = await finishClaim(store.db, NODE, done, now, policy);
      expect(again.ok && again.value.stored).toBe(true);
      const late = await storeRecords(store.db, NODE, { ...ref(), records: [log(1)] }, now);
      expect(late.ok).toBe(false);
    });

    it("re-queues a task whose worker was interrupted, after a backoff, and fails it when attempts run out", async () => {
      await storeRecords(store.db, NODE, { ...ref(), records: [started] }, now);
      const interrupted = { status: "failed" as const, exitCode: null, signal: null, reason: "interrupted" as const, message: "restart", workspace: null, verify: null };
      const res = await finishClaim(store.db, NODE, { ...ref(), lastSeq: 1, outcome: interrupted, finishedAt: now.getTime() }, now, policy);
      expect(res.ok && res.value.stored && res.value.task.state).toBe("queued");
      const t = await taskRow();
      expect(t.notBefore?.getTime()).toBe(now.getTime() + 500);
      expect(t.currentClaimId).toBeNull();
      expect((await claimRow()).state).toBe("done");
      // The second and last attempt.
      const second = newId("clm");
      await store.db.update(tasks).set({ state: "running", currentClaimId: second, lastToken: 2 }).where(eq(tasks.id, taskId));
      await store.db.insert(claims).values({ id: second, taskId, nodeId: NODE, token: 2, attempt: 2, state: "running" });
      const ref2 = { claimId: second, taskId, token: 2 };
      const last = await finishClaim(store.db, NODE, { ...ref2, lastSeq: 0, outcome: interrupted, finishedAt: now.getTime() }, now, policy);
      expect(last.ok && last.value.stored && last.value.task.state).toBe("failed");
      expect((await taskRow()).reason).toBe("interrupted");
    });

    it("does not retry a non-zero exit", async () => {
      const failed = { status: "failed" as const, exitCode: 2, signal: null, reason: "exit_code" as const, message: null, workspace: null, verify: null };
      const res = await finishClaim(store.db, NODE, { ...ref(), lastSeq: 0, outcome: failed, finishedAt: now.getTime() }, now, policy);
      expect(res.ok && res.value.stored && res.value.task.state).toBe("failed");
    });

    it("re-queues a task whose offer was rejected", async () => {
      const res = await rejectClaim(store.db, NODE, { ...ref(), reason: "no_capacity", message: "full" }, now);
      expect(res.ok).toBe(true);
      const t = await taskRow();
      expect(t.state).toBe("queued");
      expect(t.currentClaimId).toBeNull();
      expect((await claimRow()).state).toBe("rejected");
    });

    it("cancels a running task and says which claim to revoke", async () => {
      await storeRecords(store.db, NODE, { ...ref(), records: [started] }, now);
      const res = await cancelTask(store.db, taskId, now);
      expect(res.task.state).toBe("cancelled");
      expect(res.revoke).toEqual({ nodeId: NODE, message: { ...ref(), reason: "cancelled" } });
      await expect(cancelTask(store.db, taskId, now)).rejects.toThrow(/already cancelled/);
      const late = await finishClaim(store.db, NODE, { ...ref(), lastSeq: 1, outcome: ok, finishedAt: now.getTime() }, now, policy);
      expect(late.ok).toBe(false);
    });
  });

  describe("asks", () => {
    const askRecord = (seq: number, askId: string) => ({
      seq,
      ts: now.getTime(),
      kind: "ask" as const,
      askId,
      question: "merge it?",
      options: ["yes", "no"],
      gate: "merge",
    });

    it("stores an ask once, answers it within its options, and hands the answer to the waiting node", async () => {
      const askId = newId("ask");
      const first = await storeRecords(store.db, NODE, { ...ref(), records: [started, askRecord(2, askId)] }, now);
      expect(first.ok && first.value.asks.map((a) => a.id)).toEqual([askId]);
      const again = await storeRecords(store.db, NODE, { ...ref(), records: [askRecord(2, askId)] }, now);
      expect(again.ok && again.value.asks).toEqual([]);
      await expect(answerAsk(store.db, askId, { answer: "maybe", force: false }, "ops", now)).rejects.toThrow(/one of: yes, no/);
      const answered = await answerAsk(store.db, askId, { answer: "yes", force: false }, "ops", now);
      expect(answered).toMatchObject({ state: "answered", answer: "yes", answeredBy: "ops" });
      await expect(answerAsk(store.db, askId, { answer: "no", force: false }, "ops", now)).rejects.toThrow(/already answered/);
      expect((await answerAsk(store.db, askId, { answer: "no", force: true }, "lead", now)).answer).toBe("no");
      const report = { ...ref(), phase: "running" as const, lastSeq: 2, waitingAsks: [askId], tellsReceived: [] };
      expect(await answersFor(store.db, [report])).toEqual([{ askId, claimId, answer: "no", answeredBy: "lead" }]);
      expect(await answersFor(store.db, [{ ...report, claimId: "clm_other" }])).toEqual([]);
    });

    it("cancels the pending asks of a claim that ends, and refuses answers to them", async () => {
      const askId = newId("ask");
      await storeRecords(store.db, NODE, { ...ref(), records: [started, askRecord(2, askId)] }, now);
      expect(await waitingTasks(store.db, [taskId])).toEqual(new Set([taskId]));
      await finishClaim(store.db, NODE, { ...ref(), lastSeq: 2, outcome: ok, finishedAt: now.getTime() }, now, policy);
      expect(await waitingTasks(store.db, [taskId])).toEqual(new Set());
      await expect(answerAsk(store.db, askId, { answer: "yes", force: true }, "ops", now)).rejects.toThrow(/cancelled/);
    });
  });

  describe("reconcileClaims", () => {
    const opts = { leaseMs: 1000, now, askResend: true, policy };

    it("re-sends an offer the node does not hold", async () => {
      const rec = await reconcileClaims(store.db, NODE, [], opts);
      expect(rec.offers.map((o) => o.claimId)).toContain(claimId);
    });

    it("takes a reported offered claim as accepted and asks for missing records", async () => {
      const rec = await reconcileClaims(store.db, NODE, [{ ...ref(), phase: "running", lastSeq: 4, waitingAsks: [], tellsReceived: [] }], opts);
      expect(rec.resend).toEqual([{ claimId, token: 1, fromSeq: 1 }]);
      expect((await claimRow()).state).toBe("accepted");
    });

    it("re-queues a task whose accepted claim the node no longer holds", async () => {
      await acceptClaim(store.db, NODE, ref(), now);
      const rec = await reconcileClaims(store.db, NODE, [], opts);
      expect(rec.expired.map((e) => [e.taskId, e.state])).toContainEqual([taskId, "queued"]);
      expect((await claimRow()).state).toBe("expired");
    });

    it("revokes a cancelled task's claim and re-acknowledges a stored result", async () => {
      await cancelTask(store.db, taskId, now);
      const rec = await reconcileClaims(store.db, NODE, [{ ...ref(), phase: "running", lastSeq: 0, waitingAsks: [], tellsReceived: [] }], opts);
      expect(rec.revoke).toEqual([{ ...ref(), reason: "cancelled" }]);
    });

    it("acknowledges again a result the node still reports", async () => {
      await finishClaim(store.db, NODE, { ...ref(), lastSeq: 0, outcome: ok, finishedAt: now.getTime() }, now, policy);
      const rec = await reconcileClaims(store.db, NODE, [{ ...ref(), phase: "exited", lastSeq: 0, waitingAsks: [], tellsReceived: [] }], opts);
      expect(rec.doneAcks).toEqual([{ ...ref(), seq: 0, done: true }]);
    });
  });
});
