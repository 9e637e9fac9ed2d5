// The coordinator's edges, driven by hand: join keys, websocket upgrade auth, malformed frames, fencing, bad bodies.
import { randomUUID } from "node:crypto";
import { generateKeyPair } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { databaseKinds } from "./harness/databases.js";
import { api, disposeCoordinator, eventually, startCoordinator, type CoordinatorHandle } from "./harness/processes.js";
import { createJoinKey, enrol, helloPayload, openSocket, signNodeJwt, type RawIdentity } from "./harness/raw-node.js";

const kinds = await databaseKinds();

describe.each(kinds)("coordinator edges on %s", (kind) => {
  let c: CoordinatorHandle;
  beforeAll(async () => {
    c = await startCoordinator(kind);
  });
  afterAll(async () => {
    if (c) await disposeCoordinator(c);
  });

  async function node(name = `n-${randomUUID().slice(0, 8)}`): Promise<RawIdentity> {
    const res = await enrol(c, await createJoinKey(c), name);
    expect(res.status).toBe(201);
    return res.identity!;
  }

  async function connected(id: RawIdentity) {
    const { ws } = await openSocket(c.url, await signNodeJwt(id));
    ws!.send("hello", helloPayload(id.nodeId), "h1");
    const welcome = await ws!.type("welcome");
    expect(welcome.re).toBe("h1");
    await ws!.type("heartbeat.ack");
    return ws!;
  }

  describe("join keys", () => {
    it("refuses an unknown or malformed join key", async () => {
      const unknown = await enrol(c, "mjk_AAAAAAAAAAAAAAAA_bm90LWEtcmVhbC1zZWNyZXQtYXQtYWxsLXJlYWxseQ", "x1");
      expect(unknown.status).toBe(401);
      expect(unknown.body.error.code).toBe("join_key_invalid");
      const malformed = await enrol(c, "not-a-key", "x2");
      expect(malformed.status).toBe(401);
      expect(malformed.body.error.code).toBe("join_key_invalid");
    });

    it("refuses a join key that is used up", async () => {
      const key = await createJoinKey(c, { uses: 1 });
      expect((await enrol(c, key, "once-a")).status).toBe(201);
      const second = await enrol(c, key, "once-b");
      expect(second.status).toBe(401);
      expect(second.body.error.code).toBe("join_key_exhausted");
    });

    it("refuses an expired join key", async () => {
      const key = await createJoinKey(c, { ttlMs: 1000 });
      await new Promise((r) => setTimeout(r, 1100));
      const res = await enrol(c, key, "late");
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe("join_key_expired");
    });

    it("refuses a revoked join key and lists it as revoked", async () => {
      const created = await api<any>(c, "POST", "/v1/join-keys", {});
      const del = await api<any>(c, "DELETE", `/v1/join-keys/${created.body.id}`);
      expect(del.body.state).toBe("revoked");
      const res = await enrol(c, created.body.key, "after-revoke");
      expect(res.body.error.code).toBe("join_key_invalid");
      const list = await api<any>(c, "GET", "/v1/join-keys");
      const listed = list.body.joinKeys.find((k: any) => k.id === created.body.id);
      expect(listed.state).toBe("revoked");
      expect(JSON.stringify(list.body)).not.toContain(created.body.key);
    });

    it("refuses a second live node with the same name", async () => {
      await node("twin");
      const res = await enrol(c, await createJoinKey(c), "twin");
      expect(res.status).toBe(409);
      expect(res.body.error.code).toBe("name_taken");
    });

    it("validates the join body", async () => {
      const res = await api<any>(c, "POST", "/v1/nodes/join", { key: "x", name: "bad name!", publicKey: { kty: "RSA" } }, null);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe("validation_failed");
    });
  });

  describe("websocket upgrade", () => {
    it("answers an upgrade without a token with 401 and no socket", async () => {
      const res = await openSocket(c.url, null);
      expect(res.ws).toBeUndefined();
      expect(res.status).toBe(401);
      expect(JSON.parse(res.body!).error.code).toBe("unauthorized");
    });

    it("refuses garbage, a foreign signature, a wrong audience, an expired or long-lived token", async () => {
      const id = await node();
      const other = (await generateKeyPair("EdDSA", { crv: "Ed25519" })).privateKey;
      const bad = [
        "garbage",
        await signNodeJwt(id, { key: other }),
        await signNodeJwt(id, { aud: "muster:someone-else" }),
        await signNodeJwt(id, { iatOffsetS: -200, ttlS: 30 }),
        await signNodeJwt(id, { ttlS: 3600 }),
        await signNodeJwt(id, { iss: "nod_unknown" }),
      ];
      for (const jwt of bad) {
        const res = await openSocket(c.url, jwt);
        expect(res.ws, jwt).toBeUndefined();
        expect(res.status).toBe(401);
      }
    });

    it("refuses a replayed token", async () => {
      const id = await node();
      const jwt = await signNodeJwt(id);
      const first = await openSocket(c.url, jwt);
      expect(first.ws).toBeDefined();
      first.ws!.close();
      const replay = await openSocket(c.url, jwt);
      expect(replay.status).toBe(401);
      expect(JSON.parse(replay.body!).error.message).toMatch(/already used/);
    });

    it("closes a revoked node's socket at once and refuses it afterwards", async () => {
      const id = await node();
      const ws = await connected(id);
      const res = await api<any>(c, "POST", `/v1/nodes/${id.nodeId}/revoke`);
      expect(res.status).toBe(200);
      expect(res.body.state).toBe("revoked");
      expect((await ws.closed).code).toBe(4001);
      const again = await openSocket(c.url, await signNodeJwt(id));
      expect(again.status).toBe(403);
      expect(JSON.parse(again.body!).error.code).toBe("node_revoked");
    });
  });

  describe("frames", () => {
    it("answers bad frames with error frames and keeps the socket", async () => {
      const id = await node();
      const { ws } = await openSocket(c.url, await signNodeJwt(id));
      const s = ws!;
      s.send("heartbeat", { claims: [], capacity: 1 }, "early");
      expect((await s.type("error")).payload.code).toBe("not_ready");
      s.raw("{not json");
      expect((await s.type("error")).payload.code).toBe("malformed_frame");
      s.raw(JSON.stringify({ v: 1, payload: {} }));
      expect((await s.type("error")).payload.code).toBe("malformed_frame");
      s.raw(Buffer.from([1, 2, 3]));
      expect((await s.type("error")).payload.code).toBe("malformed_frame");
      s.send("claim.teleport", {}, "u1");
      const unknown = await s.type("error");
      expect(unknown.payload.code).toBe("unknown_type");
      expect(unknown.re).toBe("u1");
      s.send("hello", { nodeId: id.nodeId, capacity: "lots" }, "bad-hello");
      expect((await s.type("error")).payload.code).toBe("invalid_payload");
      s.send("hello", helloPayload(id.nodeId), "good-hello");
      expect((await s.type("welcome")).re).toBe("good-hello");
      s.send("heartbeat", { claims: [{ claimId: "x" }], capacity: 1 }, "hb");
      expect((await s.type("error")).payload.code).toBe("invalid_payload");
      s.close();
    });

    it("closes with 4000 on a protocol version mismatch", async () => {
      const id = await node();
      const { ws } = await openSocket(c.url, await signNodeJwt(id));
      ws!.send("hello", helloPayload(id.nodeId, { protocol: 2 }), "h");
      expect((await ws!.closed).code).toBe(4000);
    });

    it("closes with 1009 on a frame over 1 MiB", async () => {
      const id = await node();
      const { ws } = await openSocket(c.url, await signNodeJwt(id));
      ws!.raw("x".repeat(1024 * 1024 + 10));
      expect((await ws!.closed).code).toBe(1009);
    });
  });

  describe("claims", () => {
    it("runs offer, accept, events, done with the fencing token and refuses a stale token", async () => {
      const id = await node();
      const ws = await connected(id);
      const sub = await api<any>(c, "POST", "/v1/tasks", { agent: "exec", argv: ["true"], labels: {} });
      expect(sub.status).toBe(201);
      const offer = await ws.type("claim.offer");
      const { claimId, taskId, token } = offer.payload;
      expect(taskId).toBe(sub.body.id);
      expect(token).toBe(1);
      ws.send("claim.accept", { claimId, taskId, token }, undefined);
      const ts = Date.now();
      ws.send("claim.events", { claimId, taskId, token: token + 1, records: [{ seq: 1, ts, kind: "log", stream: "stdout", text: "zombie\n" }] }, "e0");
      const revoke = await ws.type("claim.revoke");
      expect(revoke.payload.reason).toBe("stale");
      ws.send(
        "claim.events",
        {
          claimId,
          taskId,
          token,
          records: [
            { seq: 1, ts, kind: "started", pid: 1, command: ["true"], workdir: "/tmp" },
            { seq: 2, ts, kind: "log", stream: "stdout", text: "hello\n" },
          ],
        },
        "e1",
      );
      const ack = await ws.type("ack");
      expect(ack.re).toBe("e1");
      expect(ack.payload.seq).toBe(2);
      const outcome = { status: "succeeded", exitCode: 0, signal: null, reason: null, message: null };
      ws.send("claim.done", { claimId, taskId, token, lastSeq: 2, outcome, finishedAt: Date.now() }, "d1");
      const done = await ws.type("ack");
      expect(done.payload.done).toBe(true);
      const task = await api<any>(c, "GET", `/v1/tasks/${taskId}`);
      expect(task.body.state).toBe("succeeded");
      expect(task.body.claims[0].token).toBe(1);
      expect(task.body.claims[0].nodeId).toBe(id.nodeId);
      const logs = await api<any>(c, "GET", `/v1/tasks/${taskId}/logs`);
      expect(logs.body.entries.map((e: any) => e.record.text ?? e.record.kind)).toEqual(["started", "hello\n"]);
      expect(logs.body.complete).toBe(true);
      ws.send("claim.done", { claimId, taskId, token: 7, lastSeq: 2, outcome, finishedAt: Date.now() }, "d2");
      expect((await ws.type("claim.revoke")).payload.reason).toBe("stale");
      ws.close();
    });

    it("revokes claims a node reports that the coordinator does not know", async () => {
      const id = await node();
      const { ws } = await openSocket(c.url, await signNodeJwt(id));
      const ghost = { claimId: "clm_ghost", taskId: "tsk_ghost", token: 3, phase: "running", lastSeq: 4 };
      ws!.send("hello", helloPayload(id.nodeId, { claims: [ghost] }), "h");
      await ws!.type("welcome");
      const ack = await ws!.type("heartbeat.ack");
      expect(ack.payload.revoke).toEqual([expect.objectContaining({ claimId: "clm_ghost", reason: "unknown" })]);
      ws!.close();
    });
  });

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
        const codex = await api<any>(c, "POST", "/v1/tasks", { agent: "codex", prompt: "hi" });
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

  describe("HTTP API", () => {
    it("needs a valid bearer token", async () => {
      expect((await api<any>(c, "GET", "/v1/status", undefined, null)).status).toBe(401);
      const bad = await api<any>(c, "GET", "/v1/status", undefined, "mat_nope_nopenopenopenopenopenope");
      expect(bad.status).toBe(401);
      expect(bad.body.error.code).toBe("unauthorized");
    });

    it.each([
      ["no agent", { argv: ["x"] }],
      ["exec without argv", { agent: "exec" }],
      ["claude without prompt", { agent: "claude" }],
      ["an unknown field", { agent: "exec", argv: ["x"], colour: "red" }],
      ["a bad selector", { agent: "exec", argv: ["x"], selector: "zone in (a," }],
      ["a bad label", { agent: "exec", argv: ["x"], labels: { "bad key": "v" } }],
      ["a string priority", { agent: "exec", argv: ["x"], priority: "high" }],
      ["a negative timeout", { agent: "exec", argv: ["x"], timeoutMs: -5 }],
    ])("rejects a task with %s", async (_what, body) => {
      const res = await api<any>(c, "POST", "/v1/tasks", body);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe("validation_failed");
      expect(res.body.error.message.length).toBeGreaterThan(0);
    });

    it("rejects a body that is not JSON, and one over the size limit", async () => {
      const notJson = await api<any>(c, "POST", "/v1/tasks", "{nope");
      expect(notJson.status).toBe(400);
      expect(notJson.body.error.code).toBe("bad_request");
      const huge = await api<any>(c, "POST", "/v1/tasks", { agent: "exec", argv: ["x".repeat(2 * 1024 * 1024)] });
      expect(huge.status).toBe(413);
      expect(huge.body.error.code).toBe("payload_too_large");
    });

    it("answers unknown routes and tasks with 404, and a second cancel with 409", async () => {
      expect((await api<any>(c, "GET", "/v1/nope")).body.error.code).toBe("not_found");
      expect((await api<any>(c, "GET", "/v1/tasks/tsk_missing")).status).toBe(404);
      const t = await api<any>(c, "POST", "/v1/tasks", { agent: "exec", argv: ["true"], selector: "nowhere=true" });
      expect((await api<any>(c, "POST", `/v1/tasks/${t.body.id}/cancel`)).body.state).toBe("cancelled");
      const again = await api<any>(c, "POST", `/v1/tasks/${t.body.id}/cancel`);
      expect(again.status).toBe(409);
      expect(again.body.error.code).toBe("invalid_state");
    });
  });
});
