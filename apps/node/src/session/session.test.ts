import { importJWK, jwtVerify } from "jose";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { generateNodeKeyPair, type NodeKeyPair } from "../identity/keys.js";
import { DESIRED, FakeCoordinator } from "./coordinator.fake.js";
import { isAlive, NODE, offer, ref, sleeper, startTestNode } from "./node.fake.js";
import type { NodeSession, SessionEnd } from "./session.js";

let coord: FakeCoordinator;
let keys: NodeKeyPair;
let running: Promise<SessionEnd> | null;
let current: NodeSession | null;

beforeEach(async () => {
  coord = new FakeCoordinator();
  await coord.start();
  keys = await generateNodeKeyPair();
  running = null;
  current = null;
});

// Workers lead their own process groups, so a session left running would leave them behind.
afterEach(async () => {
  current?.stopWorkers();
  await running;
  await coord.stop();
});

async function startNode({ capacity = 2 } = {}) {
  const node = await startTestNode(coord, keys, { capacity });
  current = node.session;
  running = node.running;
  return node;
}

describe("node session", () => {
  it("says hello with a fresh signed token, runs an offered claim, and forgets it once its result is acked", async () => {
    await startNode();
    const hello = await coord.welcome();
    expect(hello.payload).toMatchObject({ nodeId: "nod_1", protocol: 1, capacity: 2, labels: { zone: "a" }, claims: [], draining: false });
    expect(hello.payload.agents).toContainEqual({ name: "exec", kind: "exec", version: null, limit: null });
    const jwt = coord.authorizations[0]!.replace(/^Bearer /, "");
    const { payload } = await jwtVerify(jwt, await importJWK(keys.publicKey, "EdDSA"), { issuer: "nod_1", audience: "muster:test" });
    expect(payload.exp! - payload.iat!).toBeLessThanOrEqual(60);

    expect((await coord.take("heartbeat")).payload).toEqual({ claims: [], capacity: 2, draining: false });
    coord.send("claim.offer", offer(1, [NODE, "-e", "console.log('hello')"]), { id: "o1" });
    const accept = await coord.take("claim.accept");
    expect(accept).toMatchObject({ re: "o1", payload: ref(1) });

    const records = await coord.collectEvents((text) => text.includes("hello"));
    expect(records[0]).toMatchObject({ seq: 1, kind: "started" });
    expect(records.map((r) => r.seq)).toEqual(records.map((_, i) => i + 1));
    const done = await coord.take("claim.done");
    expect(done.payload).toMatchObject({ ...ref(1), lastSeq: records.length, outcome: { status: "succeeded", exitCode: 0 } });

    coord.inbox.length = 0;
    const exited = (await coord.take("heartbeat")).payload.claims;
    expect(exited).toEqual([{ ...ref(1), phase: "exited", lastSeq: records.length, waitingAsks: [], tellsReceived: [] }]);
    coord.send("ack", { ...ref(1), seq: records.length, done: true }, { re: done.id! });
    await expect.poll(async () => (await coord.take("heartbeat")).payload.claims, { timeout: 2000, interval: 1 }).toEqual([]);
  });

  it("answers a bad frame with an error frame and keeps going", async () => {
    await startNode();
    await coord.welcome();
    coord.sendRaw("not json");
    expect((await coord.take("error")).payload.code).toBe("malformed_frame");
    coord.sendRaw(JSON.stringify({ v: 1, type: "bogus", id: "x1", payload: {} }));
    expect(await coord.take("error")).toMatchObject({ re: "x1", payload: { code: "unknown_type" } });
    coord.sendRaw(JSON.stringify({ v: 1, type: "claim.offer", id: "x2", payload: { claimId: "c" } }));
    expect(await coord.take("error")).toMatchObject({ re: "x2", payload: { code: "invalid_payload" } });
    coord.send("claim.offer", sleeper(1), { id: "o1" });
    expect(await coord.take("claim.accept")).toMatchObject({ re: "o1" });
  });

  it("accepts a repeated offer again without a second worker, and rejects what it cannot run", async () => {
    await startNode({ capacity: 1 });
    await coord.welcome();
    coord.send("claim.offer", sleeper(1), { id: "o1" });
    await coord.take("claim.accept");
    coord.send("heartbeat.ack", { leaseMs: 5000, desired: DESIRED, offers: [sleeper(1), sleeper(2)] });
    expect(await coord.take("claim.accept")).toMatchObject({ payload: ref(1) });
    expect(await coord.take("claim.reject")).toMatchObject({ payload: { ...ref(2), reason: "no_capacity" } });
    coord.send("claim.offer", offer(3, [], { agent: "claude", prompt: "p" }), { id: "o3" });
    expect(await coord.take("claim.reject")).toMatchObject({ re: "o3", payload: { reason: "agent_unavailable" } });
    const records = await coord.collectEvents((text) => text.includes("up"));
    expect(records.filter((r) => r.kind === "started")).toHaveLength(1);
  });

  it("kills a revoked claim's process group and sends no result for it", async () => {
    await startNode();
    await coord.welcome();
    coord.send("claim.offer", sleeper(1), { id: "o1" });
    const started = (await coord.collectEvents((text) => text.includes("up")))[0]!;
    const pid = started.kind === "started" ? started.pid! : 0;
    expect(isAlive(pid)).toBe(true);
    coord.send("claim.revoke", { ...ref(1), reason: "cancelled" });
    await expect.poll(() => isAlive(pid), { timeout: 3000, interval: 10 }).toBe(false);
    coord.inbox.length = 0;
    expect((await coord.take("heartbeat")).payload.claims).toEqual([]);
    // A result would have been sent before the node next reports its state.
    await coord.take("heartbeat");
    expect(coord.inbox.filter((m) => m.type === "claim.done")).toEqual([]);
  });

  it("keeps the worker through a reconnect, reports it in hello and re-sends what was not acked", async () => {
    await startNode();
    await coord.welcome();
    coord.send("claim.offer", offer(1, [NODE, "-e", "console.log('a'); setTimeout(() => console.log('b'), 400)"]), { id: "o1" });
    const before = await coord.collectEvents((text) => text.includes("a"), { ack: false });
    coord.socket!.terminate();

    const hello = await coord.welcome();
    expect(coord.authorizations).toHaveLength(2);
    expect(coord.authorizations[1]).not.toBe(coord.authorizations[0]);
    expect(hello.payload.claims).toEqual([{ ...ref(1), phase: "running", lastSeq: before.at(-1)!.seq, waitingAsks: [], tellsReceived: [] }]);
    const after = await coord.collectEvents((text) => text.includes("b"));
    expect(after[0]).toMatchObject({ seq: 1, kind: "started" });
    expect((await coord.take("claim.done")).payload.outcome.status).toBe("succeeded");
  });

  it("re-sends records from the seq a heartbeat.ack asks for", async () => {
    await startNode();
    await coord.welcome();
    coord.send("claim.offer", offer(1, [NODE, "-e", "console.log('x')"]), { id: "o1" });
    const records = await coord.collectEvents((text) => text.includes("x"), { ack: false });
    await coord.take("claim.done");
    coord.send("heartbeat.ack", { leaseMs: 5000, desired: DESIRED, resend: [{ claimId: "clm_1", token: 1, fromSeq: 2 }] });
    const again = await coord.collectEvents((text) => text.includes("x"));
    expect(again.map((r) => r.seq)).toEqual(records.slice(1).map((r) => r.seq));
    expect((await coord.take("claim.done")).payload.lastSeq).toBe(records.length);
  });

  it("rejects offers with draining once the coordinator asks it to drain", async () => {
    await startNode();
    await coord.welcome();
    coord.send("claim.offer", sleeper(1), { id: "o1" });
    await coord.take("claim.accept");
    coord.send("node.drain", { deadlineMs: null });
    await expect.poll(async () => (await coord.take("heartbeat")).payload.draining, { timeout: 2000, interval: 1 }).toBe(true);
    coord.send("claim.offer", sleeper(2), { id: "o2" });
    expect(await coord.take("claim.reject")).toMatchObject({ re: "o2", payload: { reason: "draining" } });
  });

  it("on shutdown waits for the running claim's result to be acked, then closes with 1000", async () => {
    const { session } = await startNode();
    await coord.welcome();
    coord.send("claim.offer", offer(1, [NODE, "-e", "setTimeout(() => console.log('finished'), 300)"]), { id: "o1" });
    await coord.take("claim.accept");
    session.drain();
    await expect.poll(async () => (await coord.take("heartbeat")).payload.draining, { timeout: 2000, interval: 1 }).toBe(true);
    coord.send("claim.offer", sleeper(2), { id: "o2" });
    expect(await coord.take("claim.reject")).toMatchObject({ payload: { reason: "draining" } });
    await coord.collectEvents((text) => text.includes("finished"));
    const done = await coord.take("claim.done");
    expect(coord.closes).toEqual([]);
    coord.send("ack", { ...ref(1), seq: done.payload.lastSeq, done: true });
    expect(await running).toEqual({ exitCode: 0 });
    await expect.poll(() => coord.closes, { timeout: 2000, interval: 5 }).toEqual([1000]);
  });

  it("on a second signal kills the workers and reports them interrupted", async () => {
    const { session } = await startNode();
    await coord.welcome();
    coord.send("claim.offer", sleeper(1), { id: "o1" });
    await coord.collectEvents((text) => text.includes("up"));
    session.drain();
    session.stopWorkers();
    const done = await coord.take("claim.done");
    expect(done.payload.outcome).toMatchObject({ status: "failed", reason: "interrupted" });
    coord.send("ack", { ...ref(1), seq: done.payload.lastSeq, done: true });
    expect(await running).toEqual({ exitCode: 0 });
  });

  it("keeps retrying after a 401 at the upgrade and connects once the coordinator lets it", async () => {
    coord.refuseWith = 401;
    const { session } = await startNode();
    await expect.poll(() => coord.authorizations.length, { timeout: 3000, interval: 5 }).toBeGreaterThanOrEqual(3);
    coord.refuseWith = null;
    await coord.welcome();
    session.drain();
    expect(await running).toEqual({ exitCode: 0 });
  });

  it("stops with exit code 1 when the coordinator refuses the node with 403", async () => {
    coord.refuseWith = 403;
    await startNode();
    const end = await running!;
    expect(end).toMatchObject({ exitCode: 1, message: expect.stringMatching(/403 node_revoked/) });
    expect(coord.authorizations).toHaveLength(1);
  });

  it("stops with exit code 1 when revoked while connected (close 4001)", async () => {
    await startNode();
    await coord.welcome();
    coord.socket!.close(4001, "node revoked");
    expect(await running!).toMatchObject({ exitCode: 1, message: expect.stringMatching(/revoked/) });
  });
});
