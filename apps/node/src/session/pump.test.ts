import { describe, expect, it } from "vitest";
import type { ClaimDone, ClaimRecord } from "@muster/protocol";
import { MemoryOutbox } from "./outbox.fake.js";
import { EventPump, type PumpClaim, type PumpFrame } from "./pump.js";

const log = (seq: number, text = `line ${seq}`): ClaimRecord => ({ seq, ts: 0, kind: "log", stream: "stdout", text });
const done = (lastSeq: number): ClaimDone => ({
  claimId: "c1",
  taskId: "t1",
  token: 1,
  lastSeq,
  outcome: { status: "succeeded", exitCode: 0, signal: null, reason: null, message: null, workspace: null, verify: null },
  finishedAt: 1,
});

function setup(opts: { frameBytes?: number; maxRecords?: number; accept?: () => boolean } = {}) {
  const outbox = new MemoryOutbox();
  const claim: PumpClaim = { claimId: "c1", taskId: "t1", token: 1, done: null };
  const frames: PumpFrame[] = [];
  const pump = new EventPump({
    outbox,
    claims: () => [claim],
    send: (frame) => {
      if (opts.accept && !opts.accept()) return false;
      frames.push(frame);
      return true;
    },
    flushIntervalMs: 5,
    ...opts,
  });
  const add = (record: ClaimRecord) => {
    outbox.append("c1", record);
    pump.recordAdded(record);
  };
  const seqs = () => frames.map((f) => (f.type === "claim.events" ? f.payload.records.map((r) => r.seq) : "done"));
  return { outbox, claim, frames, pump, add, seqs };
}

describe("event pump", () => {
  it("batches records into one frame per flush interval", async () => {
    const { pump, add, seqs } = setup();
    pump.start();
    for (let seq = 1; seq <= 3; seq++) add(log(seq));
    expect(seqs()).toEqual([]);
    await expect.poll(seqs, { timeout: 1000, interval: 5 }).toEqual([[1, 2, 3]]);
  });

  it("keeps frames within the record count and byte budget", () => {
    const a = setup({ maxRecords: 2 });
    for (let seq = 1; seq <= 5; seq++) a.outbox.append("c1", log(seq));
    a.pump.start();
    expect(a.seqs()).toEqual([[1, 2], [3, 4], [5]]);
    const b = setup({ frameBytes: 350 });
    for (let seq = 1; seq <= 3; seq++) b.outbox.append("c1", log(seq, "x".repeat(100)));
    b.pump.start();
    expect(b.seqs()).toEqual([[1, 2], [3]]);
  });

  it("sends the result only after the claim's records, and once per connection", () => {
    const { pump, claim, outbox, seqs } = setup();
    outbox.append("c1", log(1));
    claim.done = done(1);
    pump.start();
    pump.claimExited();
    expect(seqs()).toEqual([[1], "done"]);
  });

  it("sends nothing while paused and everything unacked again after a restart", () => {
    const { pump, add, outbox, seqs, frames } = setup();
    pump.start();
    add(log(1));
    add(log(2));
    pump.flush();
    pump.pause();
    add(log(3));
    pump.flush();
    expect(seqs()).toEqual([[1, 2]]);
    outbox.ack("c1", 1);
    frames.length = 0;
    pump.start();
    expect(seqs()).toEqual([[2, 3]]);
  });

  it("re-sends from the seq the coordinator asks for, and the result with it", () => {
    const { pump, claim, outbox, seqs, frames } = setup();
    for (let seq = 1; seq <= 3; seq++) outbox.append("c1", log(seq));
    claim.done = done(3);
    pump.start();
    frames.length = 0;
    pump.resend("c1", 2);
    pump.flush();
    expect(seqs()).toEqual([[2, 3], "done"]);
  });

  it("stops at a socket that is full and picks up where it stopped", async () => {
    let open = false;
    const { pump, outbox, seqs } = setup({ maxRecords: 1, accept: () => open });
    for (let seq = 1; seq <= 2; seq++) outbox.append("c1", log(seq));
    pump.start();
    expect(seqs()).toEqual([]);
    open = true;
    await expect.poll(seqs, { timeout: 1000, interval: 5 }).toEqual([[1], [2]]);
  });
});
