// What a node can send down its socket: every bad frame gets an error frame or a close, never a silent drop or a
// crash, and nothing a zombie or a broken frame sends is stored or logged.
import { randomUUID } from "node:crypto";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { databaseKinds } from "../harness/databases.js";
import { api, disposeCoordinator, eventually, startCoordinator, type CoordinatorHandle } from "../harness/processes.js";
import { connectedNode, enrolledNode, helloPayload, openSocket, signNodeJwt, type RawSocket } from "../harness/raw-node.js";
import { HAND_DRIVEN_TIMINGS, heartbeat, report, runningClaim, sendRecords, type RunningClaim } from "./claims.js";

const kinds = await databaseKinds();
const outcome = { status: "succeeded", exitCode: 0, signal: null, reason: null, message: null };

describe.each(kinds)("node frames on %s", (kind) => {
  let c: CoordinatorHandle;
  let ws: RawSocket;
  beforeAll(async () => {
    c = await startCoordinator(kind, HAND_DRIVEN_TIMINGS);
    ws = await connectedNode(c, await enrolledNode(c, "frames-node", { labels: { who: "f" } }));
  });
  afterAll(async () => {
    ws?.close();
    if (c) await disposeCoordinator(c);
  });

  /** Sends a frame and resolves with the reply to it. */
  const reply = async (type: string, payload: unknown) => {
    const id = randomUUID();
    ws.send(type, payload, id);
    return ws.next((f) => f.re === id);
  };
  const stillServes = async () => expect((await heartbeat(ws, [])).leaseMs).toBeGreaterThan(0);
  const logs = async (claim: RunningClaim) => JSON.stringify((await api<any>(c, "GET", `/v1/tasks/${claim.taskId}/logs`)).body);

  it("answers non-JSON, a bad envelope, a binary frame and an unknown type with error frames", async () => {
    const { ws: s } = await openSocket(c.url, await signNodeJwt(await enrolledNode(c)));
    s!.raw("{not json");
    expect((await s!.type("error")).payload.code).toBe("malformed_frame");
    s!.raw(JSON.stringify({ v: 1, payload: {} }));
    expect((await s!.type("error")).payload.code).toBe("malformed_frame");
    s!.raw(Buffer.from([0, 1, 2]));
    expect((await s!.type("error")).payload.code).toBe("malformed_frame");
    s!.send("claim.teleport", {}, "u1");
    expect(await s!.type("error")).toMatchObject({ re: "u1", payload: { code: "unknown_type" } });
    s!.send("hello", helloPayload("nod_someone_else"), "h");
    expect((await s!.type("error")).payload.code).toBe("invalid_payload");
    s!.close();
  });

  it("closes the socket with 1009 on a frame over 1 MiB", async () => {
    const { ws: s } = await openSocket(c.url, await signNodeJwt(await enrolledNode(c)));
    s!.raw(JSON.stringify({ v: 1, type: "heartbeat", payload: { pad: "x".repeat(1024 * 1024) } }));
    expect((await s!.closed).code).toBe(1009);
  });

  const overflows: [string, (cl: RunningClaim) => [string, object]][] = [
    ["a seq past int4", (cl: RunningClaim) => ["claim.events", { ...ref(cl), records: [{ seq: 2 ** 31, ts: Date.now(), kind: "log", stream: "stdout", text: "overflow-seq\n" }] }]],
    ["a record time past year 9999", (cl: RunningClaim) => ["claim.events", { ...ref(cl), records: [{ seq: cl.seq + 1, ts: 9e15, kind: "log", stream: "stdout", text: "overflow-ts\n" }] }]],
    ["an exit code past int4", (cl: RunningClaim) => ["claim.done", { ...ref(cl), lastSeq: cl.seq, outcome: { ...outcome, exitCode: 2 ** 40 }, finishedAt: Date.now() }]],
    ["a finish time past year 9999", (cl: RunningClaim) => ["claim.done", { ...ref(cl), lastSeq: cl.seq, outcome, finishedAt: 9e15 }]],
    ["a token past int4", (cl: RunningClaim) => ["claim.done", { ...ref(cl), token: 2 ** 31, lastSeq: cl.seq, outcome, finishedAt: Date.now() }]],
    ["a heartbeat's lastSeq past int4", (cl: RunningClaim) => ["heartbeat", { claims: [report(cl, { lastSeq: 2 ** 31 })], capacity: 2 }]],
  ];
  it.each(overflows)("refuses %s with invalid_payload and stores nothing", async (_what, frame) => {
    const claim = await runningClaim(c, ws, "f");
    const [type, payload] = frame(claim);
    const res = await reply(type, payload);
    expect(res.type).toBe("error");
    expect(res.payload.code).toBe("invalid_payload");
    expect(await logs(claim)).not.toContain("overflow");
    expect((await api<any>(c, "GET", `/v1/tasks/${claim.taskId}`)).body.state).toBe("running");
    await stillServes();
    await api(c, "POST", `/v1/tasks/${claim.taskId}/cancel`);
  });

  it("stores a worker's NUL characters as U+FFFD, which Postgres can keep", async () => {
    const claim = await runningClaim(c, ws, "f");
    await sendRecords(ws, claim, [{ kind: "log", stream: "stdout", text: "nul\u0000here\n" }]);
    expect(await logs(claim)).toContain("nul\ufffdhere");
    await stillServes();
    await api(c, "POST", `/v1/tasks/${claim.taskId}/cancel`);
  });

  // A valid frame the database refuses: on Postgres a trigger makes the insert fail (PGlite runs inside the
  // coordinator, where the test cannot reach its tables).
  it.skipIf(kind === "pglite")("answers a frame the database cannot store with an error frame, and logs none of its text", async () => {
    const sql = postgres(c.db.url!, { max: 1, onnotice: () => {} });
    try {
      await sql.unsafe(`create or replace function refuse_poison() returns trigger language plpgsql as $$
        begin if new.record::text like '%poison%' then raise exception 'refused by test trigger'; end if; return new; end $$`);
      await sql.unsafe("create trigger refuse_poison before insert on claim_records for each row execute function refuse_poison()");
      const claim = await runningClaim(c, ws, "f");
      const secret = `private worker output ${randomUUID()} poison`;
      const res = await reply("claim.events", { ...ref(claim), records: [{ seq: claim.seq + 1, ts: Date.now(), kind: "log", stream: "stdout", text: secret }] });
      expect(res.type).toBe("error");
      expect(res.payload.code).toBe("internal");
      await eventually(() => (c.proc.lines.some((l) => l.includes("frame could not be applied")) ? true : undefined), 10_000, "the failure in the log");
      expect(c.proc.lines.filter((l) => l.includes(secret))).toEqual([]);
      expect(c.proc.lines.filter((l) => l.includes("claim_records"))).toEqual([]);
      // The socket carries on and the claim takes further records.
      await sendRecords(ws, claim, [{ kind: "log", stream: "stdout", text: "after\n" }]);
      await stillServes();
      const stored = await logs(claim);
      expect(stored).not.toContain(secret);
      expect(stored).toContain("after");
      await api(c, "POST", `/v1/tasks/${claim.taskId}/cancel`);
    } finally {
      await sql.unsafe("drop trigger if exists refuse_poison on claim_records").catch(() => {});
      await sql.end({ timeout: 1 });
    }
  });

  it("stores nothing from a stale claim token and revokes it", async () => {
    const claim = await runningClaim(c, ws, "f");
    const stale = { ...ref(claim), token: claim.token + 1 };
    ws.send("claim.events", { ...stale, records: [{ seq: 2, ts: Date.now(), kind: "log", stream: "stdout", text: "zombie output\n" }] });
    expect((await ws.next((f) => f.type === "claim.revoke" && f.payload.claimId === claim.claimId)).payload.reason).toBe("stale");
    ws.send("claim.done", { ...stale, lastSeq: 2, outcome: { ...outcome, status: "failed", exitCode: 9 }, finishedAt: Date.now() });
    expect((await ws.next((f) => f.type === "claim.revoke" && f.payload.claimId === claim.claimId)).payload.reason).toBe("stale");
    expect(await logs(claim)).not.toContain("zombie output");
    const task = await api<any>(c, "GET", `/v1/tasks/${claim.taskId}`);
    expect(task.body.state).toBe("running");
    expect(task.body.exitCode).toBeNull();
    await api(c, "POST", `/v1/tasks/${claim.taskId}/cancel`);
  });
});

function ref(claim: RunningClaim) {
  return { claimId: claim.claimId, taskId: claim.taskId, token: claim.token };
}
