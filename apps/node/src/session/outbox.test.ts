import { appendFileSync, existsSync, mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { ClaimOffer, type ClaimDone, type ClaimRecord } from "@muster/protocol";
import { silentLogger } from "../log.js";
import { DiskOutbox } from "./outbox.js";
import { parseRecordFile } from "./outbox-files.js";

const log = (seq: number, text = `l${seq}`): ClaimRecord => ({ seq, ts: 0, kind: "log", stream: "stdout", text });
const offer = (n: number) =>
  ClaimOffer.parse({ claimId: `clm_${n}`, taskId: `tsk_${n}`, token: n, attempt: 2, leaseMs: 1000, task: { agent: "exec", argv: ["true"], timeoutMs: 1000, onDisconnect: "keep" } });
const done = (n: number, lastSeq: number): ClaimDone => ({
  claimId: `clm_${n}`,
  taskId: `tsk_${n}`,
  token: n,
  lastSeq,
  outcome: { status: "succeeded", exitCode: 0, signal: null, reason: null, message: null, workspace: null, verify: null },
  finishedAt: 5,
});

let root: string;
beforeEach(() => {
  root = join(mkdtempSync(join(tmpdir(), "muster-outbox-")), "claims");
});

const open = () => DiskOutbox.open(root, silentLogger());
const seqs = (records: ClaimRecord[]) => records.map((r) => r.seq);
const recordsFile = (n: number) => join(root, `clm_${n}`, "records.jsonl");

describe("disk outbox", () => {
  it("keeps records per claim until a cumulative ack covers them", () => {
    const { outbox } = open();
    outbox.opened(offer(1));
    outbox.opened(offer(2));
    for (let seq = 1; seq <= 5; seq++) outbox.append("clm_1", log(seq));
    outbox.append("clm_2", log(1));
    outbox.ack("clm_1", 3);
    expect(seqs(outbox.unacked("clm_1"))).toEqual([4, 5]);
    expect(seqs(outbox.unacked("clm_1", 4))).toEqual([5]);
    expect(seqs(outbox.unacked("clm_2"))).toEqual([1]);
    outbox.ack("clm_1", 2);
    expect(seqs(outbox.unacked("clm_1"))).toEqual([4, 5]);
    outbox.forget("clm_1");
    expect(outbox.unacked("clm_1")).toEqual([]);
    expect(existsSync(join(root, "clm_1"))).toBe(false);
    outbox.ack("missing", 1);
  });

  it("gives a new daemon back the claim, its worker's group, its unacked records and its result", () => {
    const first = open().outbox;
    first.opened(offer(1));
    first.workerStarted("clm_1", 4242);
    for (let seq = 1; seq <= 4; seq++) first.append("clm_1", log(seq));
    first.ack("clm_1", 2);
    first.finished(done(1, 4));
    first.opened(offer(2));
    // No close: the first daemon was SIGKILLed.
    const { outbox, stored } = open();
    expect(stored).toEqual([
      { offer: offer(1), pgid: 4242, done: done(1, 4), ackedSeq: 2, lastSeq: 4 },
      { offer: offer(2), pgid: null, done: null, ackedSeq: 0, lastSeq: 0 },
    ]);
    expect(stored[0]!.offer.task.onDisconnect).toBe("keep");
    expect(seqs(outbox.unacked("clm_1"))).toEqual([3, 4]);
    outbox.ack("clm_1", 4);
    expect(open().stored[0]).toMatchObject({ ackedSeq: 4, lastSeq: 4 });
  });

  it("drops a last line cut short by a crash, and appends cleanly after it", () => {
    const first = open().outbox;
    first.opened(offer(1));
    first.append("clm_1", log(1));
    first.append("clm_1", log(2));
    appendFileSync(recordsFile(1), '{"seq":3,"ts":0,"kind":"log","str');
    const { outbox, stored } = open();
    expect(stored[0]!.lastSeq).toBe(2);
    expect(seqs(outbox.unacked("clm_1"))).toEqual([1, 2]);
    outbox.append("clm_1", log(3, "again"));
    const reread = open();
    expect(reread.outbox.unacked("clm_1")).toEqual([log(1), log(2), log(3, "again")]);
  });

  it("keeps a last record that only lost its newline, and skips lines that are not records", () => {
    const first = open().outbox;
    first.opened(offer(1));
    first.append("clm_1", log(1));
    appendFileSync(recordsFile(1), `not json\n${JSON.stringify(log(2))}`);
    const { outbox, stored } = open();
    expect(stored[0]!.lastSeq).toBe(2);
    expect(seqs(outbox.unacked("clm_1"))).toEqual([1, 2]);
    outbox.append("clm_1", log(3));
    expect(seqs(open().outbox.unacked("clm_1"))).toEqual([1, 2, 3]);
  });

  it("empties the records file once everything is acked and remembers the last seq", () => {
    const { outbox } = open();
    outbox.opened(offer(1));
    for (let seq = 1; seq <= 3; seq++) outbox.append("clm_1", log(seq));
    outbox.ack("clm_1", 3);
    expect(statSync(recordsFile(1)).size).toBe(0);
    outbox.append("clm_1", log(4));
    const { stored } = open();
    expect(stored[0]).toMatchObject({ ackedSeq: 3, lastSeq: 4 });
    expect(readFileSync(recordsFile(1), "utf8")).toBe(`${JSON.stringify(log(4))}\n`);
  });

  it("compacts a large acked prefix without rewriting the file for every record", () => {
    const { outbox } = open();
    outbox.opened(offer(1));
    const text = "x".repeat(10_000);
    for (let seq = 1; seq <= 200; seq++) outbox.append("clm_1", log(seq, text));
    const full = statSync(recordsFile(1)).size;
    outbox.ack("clm_1", 50);
    expect(statSync(recordsFile(1)).size).toBe(full);
    outbox.ack("clm_1", 150);
    expect(statSync(recordsFile(1)).size).toBeLessThan(full / 3);
    outbox.append("clm_1", log(201));
    expect(seqs(outbox.unacked("clm_1"))).toEqual(Array.from({ length: 51 }, (_, i) => 151 + i));
    expect(seqs(open().outbox.unacked("clm_1"))).toEqual(Array.from({ length: 51 }, (_, i) => 151 + i));
  });

  it("drops a claim directory whose claim.json never got written", () => {
    const first = open().outbox;
    first.opened(offer(1));
    appendFileSync(join(root, "clm_1", "claim.json"), "garbage");
    expect(open().stored).toEqual([]);
    expect(existsSync(join(root, "clm_1"))).toBe(false);
  });
});

describe("records file parsing", () => {
  it("knows where the whole lines end", () => {
    const whole = `${JSON.stringify(log(1))}\n${JSON.stringify(log(2))}\n`;
    expect(parseRecordFile(Buffer.from(whole))).toMatchObject({ keepBytes: whole.length, missingNewline: false, skipped: 0 });
    const cut = parseRecordFile(Buffer.from(`${whole}{"seq":3`));
    expect(cut).toMatchObject({ keepBytes: whole.length, missingNewline: false, skipped: 0 });
    expect(cut.lines.map((l) => l.start)).toEqual([0, whole.indexOf("\n") + 1]);
    const backwards = parseRecordFile(Buffer.from(`${whole}${JSON.stringify(log(1))}\n`));
    expect(backwards).toMatchObject({ skipped: 1 });
    expect(backwards.lines).toHaveLength(2);
  });
});
