// Leases, scheduling and people, driven by hand through raw node sockets: re-routing a silent node's claims,
// cordon and drain, explanations, group limits, retries, asks and tells.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { databaseKinds } from "./harness/databases.js";
import { api, disposeCoordinator, eventually, startCoordinator, type CoordinatorHandle } from "./harness/processes.js";
import { connectedNode, createJoinKey, enrol, enrolledNode, type RawIdentity } from "./harness/raw-node.js";

const kinds = await databaseKinds();

describe.each(kinds)("coordinator scheduling on %s", (kind) => {
  let c: CoordinatorHandle;
  beforeAll(async () => {
    c = await startCoordinator(kind);
  });
  afterAll(async () => {
    if (c) await disposeCoordinator(c);
  });

  const node = (name?: string): Promise<RawIdentity> => enrolledNode(c, name);
  const connected = (id: RawIdentity) => connectedNode(c, id);

  describe("leases", () => {
    it("re-routes a silent node's claim with a higher token and refuses the zombie afterwards", async () => {
      const pool = { labels: { pool: "lease" } };
      const enrolled = async (name: string) => (await enrol(c, await createJoinKey(c), name, pool)).identity!;
      const zombie = await enrolled("zombie");
      const zs = await connected(zombie);
      const sub = await api<any>(c, "POST", "/v1/tasks", { agent: "exec", argv: ["true"], selector: "pool=lease" });
      const offer = (await zs.type("claim.offer")).payload;
      const ref = { claimId: offer.claimId, taskId: offer.taskId, token: offer.token };
      zs.send("claim.accept", ref);
      const started = { seq: 1, ts: Date.now(), kind: "started", pid: 1, command: ["true"], workdir: "/w" };
      zs.send("claim.events", { ...ref, records: [started] }, "z1");
      expect((await zs.type("ack")).payload.seq).toBe(1);
      // The zombie never heartbeats: lease (1.5 s) and grace (0.5 s) lapse, and the task goes back to the queue.
      const requeued = await eventually(async () => {
        const t = await api<any>(c, "GET", `/v1/tasks/${sub.body.id}`);
        return t.body.claims[0]?.state === "expired" ? t.body : undefined;
      }, 10_000, "the zombie's claim to expire");
      expect(requeued.claims[0].reason).toBe("lost");
      expect((await api<any>(c, "GET", `/v1/nodes/${zombie.nodeId}`)).body.state).toBe("lost");

      const rescuer = await enrolled("rescuer");
      const rs = await connected(rescuer);
      // A well-behaved node reports every claim it holds in each heartbeat.
      const held: object[] = [];
      const beat = setInterval(() => rs.send("heartbeat", { claims: held, capacity: 2 }, "hb"), 200);
      try {
        const second = (await rs.type("claim.offer", 10_000)).payload;
        expect(second.token).toBe(2);
        expect(second.attempt).toBe(2);
        const ref2 = { claimId: second.claimId, taskId: second.taskId, token: second.token };
        held.push({ ...ref2, phase: "running", lastSeq: 0 });
        rs.send("claim.accept", ref2);

        zs.send("claim.events", { ...ref, records: [{ seq: 2, ts: Date.now(), kind: "log", stream: "stdout", text: "zombie\n" }] }, "z2");
        expect((await zs.type("claim.revoke")).payload.claimId).toBe(ref.claimId);
        const ok = { status: "succeeded", exitCode: 0, signal: null, reason: null, message: null };
        zs.send("claim.done", { ...ref, lastSeq: 2, outcome: ok, finishedAt: Date.now() }, "z3");
        expect((await zs.type("claim.revoke")).payload.claimId).toBe(ref.claimId);

        rs.send("claim.events", { ...ref2, records: [{ ...started, seq: 1 }, { seq: 2, ts: Date.now(), kind: "log", stream: "stdout", text: "rescued\n" }] }, "r1");
        await rs.next((f) => f.type === "ack" && f.re === "r1");
        rs.send("claim.done", { ...ref2, lastSeq: 2, outcome: ok, finishedAt: Date.now() }, "r2");
        expect((await rs.next((f) => f.type === "ack" && f.re === "r2")).payload.done).toBe(true);
      } finally {
        clearInterval(beat);
      }
      const done = await api<any>(c, "GET", `/v1/tasks/${sub.body.id}`);
      expect(done.body.state).toBe("succeeded");
      expect(done.body.claims.map((x: any) => [x.token, x.state])).toEqual([[1, "expired"], [2, "done"]]);
      const logs = await api<any>(c, "GET", `/v1/tasks/${sub.body.id}/logs`);
      const texts = logs.body.entries.map((e: any) => e.record.text).filter(Boolean);
      expect(texts).toEqual(["rescued\n"]);
      zs.close();
      rs.close();
    });

    it("cordons, drains and uncordons a node, telling its session", async () => {
      const id = await node();
      const ws = await connected(id);
      const cordoned = await api<any>(c, "POST", `/v1/nodes/${id.nodeId}/cordon`);
      expect(cordoned.body).toMatchObject({ state: "cordoned", cordoned: true });
      const drained = await api<any>(c, "POST", `/v1/nodes/${id.nodeId}/drain`, { deadlineMs: 60_000 });
      expect(drained.body).toMatchObject({ state: "draining", draining: true });
      expect((await ws.type("node.drain")).payload.deadlineMs).toBe(60_000);
      ws.send("heartbeat", { claims: [], capacity: 2 }, "hb1");
      expect((await ws.next((f) => f.re === "hb1")).payload.desired).toMatchObject({ draining: true, cordoned: true });
      const back = await api<any>(c, "POST", `/v1/nodes/${id.nodeId}/uncordon`);
      expect(back.body).toMatchObject({ state: "ready", cordoned: false, draining: false });
      const bad = await api<any>(c, "POST", `/v1/nodes/${id.nodeId}/drain`, { deadlineMs: "soon" });
      expect(bad.status).toBe(400);
      ws.close();
    });
  });

  describe("scheduling", () => {
    const task = async (id: string) => (await api<any>(c, "GET", `/v1/tasks/${id}`)).body;
    const pendingOf = (id: string, re: RegExp) =>
      eventually(async () => {
        const t = await task(id);
        return re.test(t.pending ?? "") ? t.pending : undefined;
      }, 10_000, `task ${id} to say ${re}`);

    it("says why a task cannot be placed, in the task and the list", async () => {
      const id = await node();
      const ws = await connected(id);
      const beat = setInterval(() => ws.send("heartbeat", { claims: [], capacity: 2 }, "hb"), 200);
      try {
        const gpu = await api<any>(c, "POST", "/v1/tasks", { agent: "exec", argv: ["x"], selector: "gpu=true" });
        expect(await pendingOf(gpu.body.id, /no node has label gpu=true/)).toBe("no node has label gpu=true");
        const codex = await api<any>(c, "POST", "/v1/tasks", { agent: "codex", prompt: "hi", allowUnknownAgent: true });
        await pendingOf(codex.body.id, /agent codex on no connected node/);
        const list = await api<any>(c, "GET", "/v1/tasks?state=queued");
        expect(list.body.tasks.find((t: any) => t.id === gpu.body.id).pending).toBe("no node has label gpu=true");
        for (const t of [gpu, codex]) await api(c, "POST", `/v1/tasks/${t.body.id}/cancel`);
      } finally {
        clearInterval(beat);
        ws.close();
      }
    });

    it("keeps a concurrency group to its limit and explains the wait", async () => {
      const id = (await enrol(c, await createJoinKey(c), "grouped", { labels: { pool: "group" }, capacity: 4 })).identity!;
      const ws = await connected(id);
      const held: object[] = [];
      const beat = setInterval(() => ws.send("heartbeat", { claims: held, capacity: 4 }, "hb"), 200);
      try {
        const body = { agent: "exec", argv: ["x"], selector: "pool=group", group: "repo:acme/web", groupLimit: 1 };
        const first = await api<any>(c, "POST", "/v1/tasks", body);
        const second = await api<any>(c, "POST", "/v1/tasks", body);
        const offer = (await ws.type("claim.offer")).payload;
        expect(offer.taskId).toBe(first.body.id);
        held.push({ claimId: offer.claimId, taskId: offer.taskId, token: offer.token, phase: "running", lastSeq: 0 });
        ws.send("claim.accept", { claimId: offer.claimId, taskId: offer.taskId, token: offer.token });
        expect(await pendingOf(second.body.id, /group/)).toBe("group repo:acme/web is at its limit (1 of 1 running)");
        await api(c, "POST", `/v1/tasks/${first.body.id}/cancel`);
        held.length = 0;
        expect((await ws.type("claim.offer", 10_000)).payload.taskId).toBe(second.body.id);
        await api(c, "POST", `/v1/tasks/${second.body.id}/cancel`);
      } finally {
        clearInterval(beat);
        ws.close();
      }
    });

    it("retries a finished task as a new attempt, and refuses to retry one still queued", async () => {
      const t = await api<any>(c, "POST", "/v1/tasks", { agent: "exec", argv: ["x"], selector: "nowhere=true" });
      const early = await api<any>(c, "POST", `/v1/tasks/${t.body.id}/retry`);
      expect(early.status).toBe(409);
      await api(c, "POST", `/v1/tasks/${t.body.id}/cancel`);
      const again = await api<any>(c, "POST", `/v1/tasks/${t.body.id}/retry`);
      expect(again.status).toBe(200);
      expect(again.body).toMatchObject({ state: "queued", finishedAt: null, reason: null });
      await api(c, "POST", `/v1/tasks/${t.body.id}/cancel`);
    });

    it.each([
      ["a group limit without a group", { groupLimit: 2 }],
      ["spread without a label", { policy: "spread" }],
      ["an unknown policy", { policy: "fastest" }],
      ["a negative cost limit", { maxCostUsd: -1 }],
      ["an unknown retry reason", { retryOn: ["bad_luck"] }],
      ["keep without idempotent", { onDisconnect: "keep" }],
    ])("rejects %s", async (_what, extra) => {
      const res = await api<any>(c, "POST", "/v1/tasks", { agent: "exec", argv: ["x"], ...extra });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe("validation_failed");
    });
  });

  describe("humans in the loop", () => {
    it("stores a worker's ask, takes an answer within its options, and hands it to the node until it has it", async () => {
      const id = await node();
      const ws = await connected(id);
      const sub = await api<any>(c, "POST", "/v1/tasks", { agent: "exec", argv: ["x"] });
      const offer = (await ws.type("claim.offer")).payload;
      expect(offer.taskId).toBe(sub.body.id);
      const ref = { claimId: offer.claimId, taskId: offer.taskId, token: offer.token };
      ws.send("claim.accept", ref);
      const ask = { seq: 2, ts: Date.now(), kind: "ask", askId: "ask_e2e_1", question: "merge?", options: ["yes", "no"], gate: "merge" };
      const started = { seq: 1, ts: Date.now(), kind: "started", pid: 1, command: ["x"], workdir: "/w" };
      ws.send("claim.events", { ...ref, records: [started, ask] }, "e1");
      await ws.next((f) => f.re === "e1");
      const pending = await api<any>(c, "GET", "/v1/asks?state=pending");
      expect(pending.body.asks.map((a: any) => a.id)).toContain("ask_e2e_1");
      expect((await api<any>(c, "GET", `/v1/tasks/${sub.body.id}`)).body.waiting).toBe(true);

      const bad = await api<any>(c, "POST", "/v1/asks/ask_e2e_1/answer", { answer: "maybe" });
      expect(bad.status).toBe(400);
      expect(bad.body.error.message).toMatch(/one of: yes, no/);
      const good = await api<any>(c, "POST", "/v1/asks/ask_e2e_1/answer", { answer: "yes" });
      expect(good.body).toMatchObject({ state: "answered", answer: "yes" });
      expect((await ws.type("ask.answer")).payload).toMatchObject({ askId: "ask_e2e_1", answer: "yes" });
      const again = await api<any>(c, "POST", "/v1/asks/ask_e2e_1/answer", { answer: "no" });
      expect(again.status).toBe(409);
      // Level-triggered: while the node says its worker waits, every heartbeat ack carries the answer.
      const report = { ...ref, phase: "running", lastSeq: 2, waitingAsks: ["ask_e2e_1"] };
      ws.send("heartbeat", { claims: [report], capacity: 2 }, "hb1");
      expect((await ws.next((f) => f.re === "hb1")).payload.answers).toEqual([
        expect.objectContaining({ askId: "ask_e2e_1", answer: "yes" }),
      ]);

      const tell = await api<any>(c, "POST", `/v1/tasks/${sub.body.id}/tell`, { text: "use the staging db" });
      expect(tell.status).toBe(201);
      expect((await ws.type("tell")).payload).toMatchObject({ text: "use the staging db", tellId: tell.body.id });
      ws.send("heartbeat", { claims: [{ ...report, waitingAsks: [] }], capacity: 2 }, "hb2");
      expect((await ws.next((f) => f.re === "hb2")).payload.tells.map((t: any) => t.tellId)).toEqual([tell.body.id]);
      ws.send("heartbeat", { claims: [{ ...report, waitingAsks: [], tellsReceived: [tell.body.id] }], capacity: 2 }, "hb3");
      expect((await ws.next((f) => f.re === "hb3")).payload.tells).toEqual([]);
      const tells = await api<any>(c, "GET", `/v1/tasks/${sub.body.id}/tells`);
      expect(tells.body.tells[0].state).toBe("delivered");

      await api(c, "POST", `/v1/tasks/${sub.body.id}/cancel`);
      const noWorker = await api<any>(c, "POST", `/v1/tasks/${sub.body.id}/tell`, { text: "too late" });
      expect(noWorker.status).toBe(409);
      ws.close();
    });

    it("answers a long poll as soon as an ask is pending, and after the wait when none is", async () => {
      const started = Date.now();
      const none = await api<any>(c, "GET", "/v1/asks?state=expired&waitMs=300");
      expect(none.body.asks).toEqual([]);
      expect(Date.now() - started).toBeGreaterThanOrEqual(280);
      expect((await api<any>(c, "POST", "/v1/asks/ask_missing/answer", { answer: "x" })).status).toBe(404);
    });
  });
});
