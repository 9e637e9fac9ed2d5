// An outbox in memory, for tests of the parts that only move records (the event pump).
import type { ClaimRecord } from "@muster/protocol";
import { firstAfter, type Outbox } from "./outbox.js";

export class MemoryOutbox implements Outbox {
  private readonly records = new Map<string, ClaimRecord[]>();

  append(claimId: string, record: ClaimRecord): void {
    const list = this.records.get(claimId);
    if (list) list.push(record);
    else this.records.set(claimId, [record]);
  }

  ack(claimId: string, seq: number): void {
    const list = this.records.get(claimId);
    if (!list) return;
    const keep = firstAfter(list, (r) => r.seq, seq);
    if (keep > 0) list.splice(0, keep);
  }

  unacked(claimId: string, afterSeq = 0): ClaimRecord[] {
    const list = this.records.get(claimId);
    return list ? list.slice(firstAfter(list, (r) => r.seq, afterSeq)) : [];
  }

  forget(claimId: string): void {
    this.records.delete(claimId);
  }
}
