// The coordinator's edges, driven by hand: join keys, websocket upgrade auth, malformed frames, fencing, bad bodies.
import { generateKeyPair } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { databaseKinds } from "./harness/databases.js";
import { api, disposeCoordinator, startCoordinator, type CoordinatorHandle } from "./harness/processes.js";
import {
  connectedNode,
  createJoinKey,
  enrol,
  enrolledNode,
  helloPayload,
  openSocket,
  signNodeJwt,
  type RawIdentity,
} from "./harness/raw-node.js";

const kinds = await databaseKinds();

describe.each(kinds)("coordinator edges on %s", (kind) => {
  let c: CoordinatorHandle;
  beforeAll(async () => {
    c = await startCoordinator(kind);
  });
  afterAll(async () => {
    if (c) await disposeCoordinator(c);
  });

  const node = (name?: string): Promise<RawIdentity> => enrolledNode(c, name);
  const connected = (id: RawIdentity) => connectedNode(c, id);

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
      const huge = await api<any>(c, "POST", "/v1/tasks", { agent: "exec", argv: ["x".repeat(2 * 1024 * 1024)] }).catch(() => null);
      // The coordinator may answer and close before the client has written it all (EPIPE); it never accepts it.
      if (huge !== null) {
        expect(huge.status).toBe(413);
        expect(huge.body.error.code).toBe("payload_too_large");
      }
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
