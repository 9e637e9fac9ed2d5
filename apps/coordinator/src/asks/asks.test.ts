// Tool asks on real databases: stored with their call and deadline, answered with a reason, expired past it.
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { finishClaim, storeRecords } from "../claims/lifecycle.js";
import { newId } from "../ids.js";
import type { Store } from "../store/db.js";
import { asks, claims, nodes, tasks } from "../store/schema.js";
import { openTestStore, storeKinds, type TestStore } from "../store/testing.js";
import { answerAsk, answersFor, expireAsks, toAskView, waitingTasks } from "./asks.js";

const kinds = await storeKinds();

describe.each(kinds)("tool asks on %s", (kind) => {
  let store: Store;
  let db: TestStore;
  const t0 = 1_800_000_000_000;
  const at = (ms: number) => new Date(t0 + ms);
  const NODE = "nod_a";

  beforeAll(async () => {
    db = await openTestStore(kind);
    store = db.store;
    await store.db.insert(nodes).values({ id: NODE, name: "a", publicKey: { kty: "OKP", crv: "Ed25519", x: "x" } });
  }, 60_000);
  afterAll(async () => {
    await db?.dispose();
  });

  let taskId: string;
  let claimId: string;
  beforeEach(async () => {
    taskId = newId("tsk");
    claimId = newId("clm");
    await store.db.insert(tasks).values({ id: taskId, agent: "claude", prompt: "x", timeoutMs: 1000, maxAttempts: 1, state: "running", lastToken: 1, currentClaimId: claimId, nodeId: NODE });
    await store.db.insert(claims).values({ id: claimId, taskId, nodeId: NODE, token: 1, attempt: 1, state: "running" });
  });

  const ref = () => ({ claimId, taskId, token: 1 });
  const tool = { name: "Write", input: { file_path: "a.txt", content: "b\n" }, diff: "--- a.txt\n+++ a.txt\n@@ -1 +1 @@\n-a\n+b\n" };
  const raise = async (askId: string, expiresIn = 60_000) => {
    const record = { seq: 1, ts: t0, kind: "ask" as const, askId, question: "Allow Write: a.txt", options: ["allow", "deny", "allow-for-task"], gate: null, tool, expiresAt: t0 + expiresIn };
    const res = await storeRecords(store.db, NODE, { ...ref(), records: [record] }, at(0));
    if (!res.ok) throw new Error("records refused");
  };

  it("stores the tool call and its deadline, and hands a denial's reason to the node", async () => {
    const askId = newId("ask");
    await raise(askId);
    const row = await answerAsk(store.db, askId, { answer: "deny", force: false, reason: "no" }, "ana", at(1000));
    expect(toAskView(row, "a")).toMatchObject({ tool, reason: "no", expiresAt: at(60_000).toISOString(), state: "answered" });
    const report = { ...ref(), phase: "running" as const, lastSeq: 1, waitingAsks: [askId], tellsReceived: [] };
    expect(await answersFor(store.db, [report])).toEqual([{ askId, claimId, answer: "deny", answeredBy: "ana", reason: "no" }]);
  });

  it("expires a pending ask past its deadline and refuses a late answer; the task no longer waits", async () => {
    const askId = newId("ask");
    await raise(askId, 5000);
    expect(await waitingTasks(store.db, [taskId], at(4999))).toEqual(new Set([taskId]));
    expect(await waitingTasks(store.db, [taskId], at(5000))).toEqual(new Set());
    await expect(answerAsk(store.db, askId, { answer: "allow", force: false }, "ana", at(5000))).rejects.toThrow(/expired at .* without an answer/);
    expect((await expireAsks(store.db, at(4999))).map((r) => r.id)).not.toContain(askId);
    expect((await expireAsks(store.db, at(5000))).map((r) => r.id)).toContain(askId);
    await expect(answerAsk(store.db, askId, { answer: "allow", force: true }, "ana", at(6000))).rejects.toThrow(/expired at/);
  });

  it("marks an ask past its deadline expired, not cancelled, when its claim ends", async () => {
    const late = newId("ask");
    await raise(late, 1000);
    const ok = { status: "succeeded" as const, exitCode: 0, signal: null, reason: null, message: null, workspace: null, verify: null };
    await finishClaim(store.db, NODE, { ...ref(), lastSeq: 1, outcome: ok, finishedAt: t0 + 2000 }, at(2000), { backoffMs: 1000, backoffMaxMs: 1000, random: () => 0.5 });
    const [row] = await store.db.select().from(asks).where(eq(asks.id, late));
    expect(row?.state).toBe("expired");
  });
});
