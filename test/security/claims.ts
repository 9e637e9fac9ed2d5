// A claim running on a hand-driven node, for the security tests: offered, accepted and started, the way a real
// node would do it, so the attacks below start from a claim the coordinator believes in.
import { randomUUID } from "node:crypto";
import { api } from "../harness/processes.js";
import type { RawSocket } from "../harness/raw-node.js";

/**
 * Hand-driven nodes heartbeat only when a test says so: a lease long enough that a slow machine never loses them
 * between two steps of a test.
 */
export const HAND_DRIVEN_TIMINGS = { MUSTER_HEARTBEAT_INTERVAL: "1s", MUSTER_LEASE: "10m", MUSTER_LEASE_GRACE: "1m" };

export interface RunningClaim {
  claimId: string;
  taskId: string;
  token: number;
  /** Highest record seq sent so far. */
  seq: number;
}

/** Submits a task that only this node can take (by its `who` label), accepts the offer and starts it. */
export async function runningClaim(c: { url: string; token: string }, ws: RawSocket, who: string): Promise<RunningClaim> {
  const sub = await api<{ id: string }>(c, "POST", "/v1/tasks", { agent: "exec", argv: ["true"], selector: `who=${who}` });
  if (sub.status !== 201) throw new Error(`submit: ${sub.status} ${JSON.stringify(sub.body)}`);
  const offer = await ws.next((f) => f.type === "claim.offer" && f.payload.taskId === sub.body.id);
  const { claimId, taskId, token } = offer.payload as { claimId: string; taskId: string; token: number };
  ws.send("claim.accept", { claimId, taskId, token });
  const id = randomUUID();
  ws.send("claim.events", { claimId, taskId, token, records: [{ seq: 1, ts: Date.now(), kind: "started", pid: 1, command: ["true"], workdir: "/tmp" }] }, id);
  await ws.next((f) => f.type === "ack" && f.re === id);
  return { claimId, taskId, token, seq: 1 };
}

/** Sends records on the claim and waits for their ack. */
export async function sendRecords(ws: RawSocket, claim: RunningClaim, records: object[]): Promise<void> {
  const id = randomUUID();
  const numbered = records.map((r) => ({ seq: ++claim.seq, ts: Date.now(), ...r }));
  ws.send("claim.events", { claimId: claim.claimId, taskId: claim.taskId, token: claim.token, records: numbered }, id);
  const ack = await ws.next((f) => f.re === id);
  if (ack.type !== "ack") throw new Error(`records refused: ${JSON.stringify(ack)}`);
}

/** One heartbeat reporting `claims`; resolves with its ack. */
export async function heartbeat(ws: RawSocket, claims: object[]): Promise<any> {
  const id = randomUUID();
  ws.send("heartbeat", { claims, capacity: 2 }, id);
  return (await ws.next((f) => f.type === "heartbeat.ack" && f.re === id)).payload;
}

export function report(claim: RunningClaim, over: object = {}) {
  return { claimId: claim.claimId, taskId: claim.taskId, token: claim.token, phase: "running", lastSeq: claim.seq, ...over };
}
