// One node must not read or suppress what belongs to another node's claims: tells, ask answers, records, results.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { databaseKinds } from "../harness/databases.js";
import { api, disposeCoordinator, startCoordinator, type CoordinatorHandle } from "../harness/processes.js";
import { connectedNode, enrolledNode, type RawSocket } from "../harness/raw-node.js";
import { HAND_DRIVEN_TIMINGS, heartbeat, report, runningClaim, sendRecords } from "./claims.js";

const kinds = await databaseKinds();

describe.each(kinds)("claim isolation between nodes on %s", (kind) => {
  let c: CoordinatorHandle;
  let a: RawSocket;
  let b: RawSocket;
  beforeAll(async () => {
    c = await startCoordinator(kind, HAND_DRIVEN_TIMINGS);
    a = await connectedNode(c, await enrolledNode(c, "node-a", { labels: { who: "a" } }));
    b = await connectedNode(c, await enrolledNode(c, "node-b", { labels: { who: "b" } }));
  });
  afterAll(async () => {
    a?.close();
    b?.close();
    if (c) await disposeCoordinator(c);
  });

  // Ending each test's tasks frees node a's slots for the next.
  const cancel = async (taskId: string) => expect((await api(c, "POST", `/v1/tasks/${taskId}/cancel`)).status).toBe(200);

  it("gives another node's tells and answers only to that node, and ignores others' delivery reports", async () => {
    const claim = await runningClaim(c, a, "a");
    await sendRecords(a, claim, [{ kind: "ask", askId: "ask_isolated_1", question: "ship it?", options: ["yes", "no"], gate: null }]);
    const tell = await api<any>(c, "POST", `/v1/tasks/${claim.taskId}/tell`, { text: "for node a only" });
    expect(tell.status).toBe(201);
    expect((await api<any>(c, "POST", "/v1/asks/ask_isolated_1/answer", { answer: "yes" })).status).toBe(200);

    // Node b claims to hold a's claim, waits on its ask and says it received its tell.
    const stolen = await heartbeat(b, [report(claim, { waitingAsks: ["ask_isolated_1"], tellsReceived: [tell.body.id] })]);
    expect(stolen.tells).toEqual([]);
    expect(stolen.answers).toEqual([]);
    expect(stolen.revoke).toEqual([expect.objectContaining({ claimId: claim.claimId, reason: "unknown" })]);
    expect(JSON.stringify(stolen)).not.toContain("for node a only");
    const tells = await api<any>(c, "GET", `/v1/tasks/${claim.taskId}/tells`);
    expect(tells.body.tells).toEqual([expect.objectContaining({ id: tell.body.id, state: "queued" })]);

    // The owner still gets both, and its own report marks the tell delivered.
    const own = await heartbeat(a, [report(claim, { waitingAsks: ["ask_isolated_1"] })]);
    expect(own.tells).toEqual([expect.objectContaining({ tellId: tell.body.id, text: "for node a only" })]);
    expect(own.answers).toEqual([expect.objectContaining({ askId: "ask_isolated_1", answer: "yes" })]);
    await heartbeat(a, [report(claim, { tellsReceived: [tell.body.id] })]);
    const after = await api<any>(c, "GET", `/v1/tasks/${claim.taskId}/tells`);
    expect(after.body.tells[0].state).toBe("delivered");
    await cancel(claim.taskId);
  });

  it("does not mark a tell delivered when the node lists it under another of its own claims", async () => {
    const first = await runningClaim(c, a, "a");
    const second = await runningClaim(c, a, "a");
    const tell = await api<any>(c, "POST", `/v1/tasks/${first.taskId}/tell`, { text: "to the first" });
    await heartbeat(a, [report(first), report(second, { tellsReceived: [tell.body.id] })]);
    const tells = await api<any>(c, "GET", `/v1/tasks/${first.taskId}/tells`);
    expect(tells.body.tells[0].state).toBe("queued");
    await cancel(first.taskId);
    await cancel(second.taskId);
  });

  it("refuses records and results sent with another node's claim and token", async () => {
    const claim = await runningClaim(c, a, "a");
    b.send("claim.events", { claimId: claim.claimId, taskId: claim.taskId, token: claim.token, records: [{ seq: 2, ts: Date.now(), kind: "log", stream: "stdout", text: "forged\n" }] }, "forge-e");
    expect((await b.next((f) => f.type === "claim.revoke" && f.payload.claimId === claim.claimId)).payload.reason).toBeDefined();
    const outcome = { status: "failed", exitCode: 1, signal: null, reason: null, message: null };
    b.send("claim.done", { claimId: claim.claimId, taskId: claim.taskId, token: claim.token, lastSeq: 1, outcome, finishedAt: Date.now() }, "forge-d");
    await b.next((f) => f.type === "claim.revoke" && f.payload.claimId === claim.claimId);
    const logs = await api<any>(c, "GET", `/v1/tasks/${claim.taskId}/logs`);
    expect(JSON.stringify(logs.body)).not.toContain("forged");
    expect((await api<any>(c, "GET", `/v1/tasks/${claim.taskId}`)).body.state).toBe("running");
    await cancel(claim.taskId);
  });
});
