// The lease sweeper on real databases (PGlite, and Postgres when reachable), with a hand-moved clock.
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { newId } from "../ids.js";
import type { Store } from "../store/db.js";
import { openTestStore, storeKinds, type TestStore } from "../store/testing.js";
import { claims, nodes, tasks } from "../store/schema.js";
import { LeaseWriter } from "./lease-writer.js";
import { sweep } from "./sweeper.js";

const kinds = await storeKinds();

describe.each(kinds)("on %s", (kind) => {
  let store: Store;
  let db: TestStore;
  let t = 1_800_000_000_000;
  const clock = { now: () => t };
  const policy = { backoffMs: 1000, backoffMaxMs: 60_000, random: () => 1 };
  const opts = { clock, leaseGraceMs: 500, policy };

  beforeAll(async () => {
    db = await openTestStore(kind);
    store = db.store;
  });
  afterAll(async () => {
    await db?.dispose();
  });

  let nodeId: string;
  let taskId: string;
  let claimId: string;
  beforeEach(async () => {
    nodeId = newId("nod");
    taskId = newId("tsk");
    claimId = newId("clm");
    await store.db.insert(nodes).values({
      id: nodeId,
      name: nodeId,
      publicKey: { kty: "OKP", crv: "Ed25519", x: "x" },
      state: "ready",
      sessionId: "ses_1",
      leaseExpiresAt: new Date(t + 1000),
    });
    await store.db.insert(tasks).values({
      id: taskId,
      agent: "exec",
      timeoutMs: 1000,
      maxAttempts: 2,
      state: "running",
      attempts: 1,
      lastToken: 1,
      currentClaimId: claimId,
      nodeId,
    });
    await store.db.insert(claims).values({ id: claimId, taskId, nodeId, token: 1, attempt: 1, state: "running" });
  });

  const node = async () => (await store.db.select().from(nodes).where(eq(nodes.id, nodeId)))[0]!;
  const task = async () => (await store.db.select().from(tasks).where(eq(tasks.id, taskId)))[0]!;
  const claim = async () => (await store.db.select().from(claims).where(eq(claims.id, claimId)))[0]!;

  describe("lease sweeper", () => {
    it("leaves a node alone while its lease holds", async () => {
      const res = await sweep(store.db, opts);
      expect(res?.lost).not.toContain(nodeId);
      expect((await node()).state).toBe("ready");
    });

    it("marks a node lost when its lease lapses, and keeps its claims through the grace", async () => {
      t += 1200;
      const res = await sweep(store.db, opts);
      expect(res?.lost).toContain(nodeId);
      expect((await node()).state).toBe("lost");
      expect((await claim()).state).toBe("running");
    });

    it("expires the claims after the grace and re-queues the task with a backoff", async () => {
      t += 1600;
      const res = await sweep(store.db, opts);
      expect(res?.expired.map((e) => [e.taskId, e.state])).toContainEqual([taskId, "queued"]);
      const c = await claim();
      expect(c.state).toBe("expired");
      expect(c.reason).toBe("lost");
      const tk = await task();
      expect(tk.state).toBe("queued");
      expect(tk.currentClaimId).toBeNull();
      expect(tk.notBefore!.getTime()).toBe(t + 1000);
    });

    it("fails the task with reason lost when no attempts remain", async () => {
      await store.db.update(claims).set({ attempt: 2 }).where(eq(claims.id, claimId));
      t += 1600;
      await sweep(store.db, opts);
      const tk = await task();
      expect(tk.state).toBe("failed");
      expect(tk.reason).toBe("lost");
    });

    it("does not spend an attempt on an offer the lost node never accepted", async () => {
      await store.db.update(claims).set({ state: "offered", attempt: 2 }).where(eq(claims.id, claimId));
      await store.db.update(tasks).set({ state: "assigned" }).where(eq(tasks.id, taskId));
      t += 1600;
      await sweep(store.db, opts);
      const tk = await task();
      expect(tk.state).toBe("queued");
      expect(tk.notBefore!.getTime()).toBe(t);
    });

    it("lets a node that renews in time keep its claims, and brings it back from lost", async () => {
      t += 1200;
      await sweep(store.db, opts);
      const writer = new LeaseWriter(store.db);
      const renewed = await writer.renew({
        nodeId,
        sessionId: "ses_1",
        seenAt: new Date(t),
        expiresAt: new Date(t + 1000),
        capacity: 2,
        draining: false,
      });
      expect(renewed).toMatchObject({ state: "ready", previousState: "lost" });
      t += 400;
      await sweep(store.db, opts);
      expect((await claim()).state).toBe("running");
    });
  });

  describe("lease writer", () => {
    it("writes many renewals in one batch and refuses a session that no longer owns the node", async () => {
      const writer = new LeaseWriter(store.db);
      const renewal = (sessionId: string) => ({
        nodeId,
        sessionId,
        seenAt: new Date(t),
        expiresAt: new Date(t + 5000),
        capacity: 3,
        draining: false,
      });
      const [a, b, stale] = await Promise.all([writer.renew(renewal("ses_1")), writer.renew(renewal("ses_1")), writer.renew({ ...renewal("ses_old"), nodeId: "nod_missing" })]);
      expect(a?.state).toBe("ready");
      expect(b?.state).toBe("ready");
      expect(stale).toBeNull();
      const n = await node();
      expect(n.capacity).toBe(3);
      expect(n.leaseExpiresAt!.getTime()).toBe(t + 5000);
    });

    it("reports draining when the node says it drains", async () => {
      const writer = new LeaseWriter(store.db);
      const res = await writer.renew({ nodeId, sessionId: "ses_1", seenAt: new Date(t), expiresAt: new Date(t + 5000), capacity: 1, draining: true });
      expect(res?.state).toBe("draining");
    });
  });
  describe.runIf(kind === "postgres")("with several coordinators on one database", () => {
    it("lets only one sweeper act at a time", async () => {
      const other = await db.second();
      t += 1600;
      let blocked: unknown = "not run";
      await other.db.transaction(async (tx) => {
        await tx.execute(sql`select pg_advisory_xact_lock(7391002)`);
        blocked = await sweep(store.db, opts);
      });
      expect(blocked).toBeNull();
      expect((await claim()).state).toBe("running");
      const after = await sweep(store.db, opts);
      expect(after?.expired.map((e) => e.taskId)).toContain(taskId);
    });
  });
});
