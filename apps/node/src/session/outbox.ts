// Records a claim produced that the coordinator has not acknowledged yet. In memory for now; the
// interface is what a durable on-disk outbox has to provide so records survive a daemon restart.
import type { ClaimRecord } from "@muster/protocol";

export interface Outbox {
  append(claimId: string, record: ClaimRecord): void;
  /** The coordinator stored every record of the claim up to and including `seq`. */
  ack(claimId: string, seq: number): void;
  /** Unacknowledged records in seq order, only those after `afterSeq` when given. */
  unacked(claimId: string, afterSeq?: number): ClaimRecord[];
  /** The claim is finished or revoked; drop whatever is left of it. */
  forget(claimId: string): void;
}

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
    const keep = firstAfter(list, seq);
    if (keep > 0) list.splice(0, keep);
  }

  unacked(claimId: string, afterSeq = 0): ClaimRecord[] {
    const list = this.records.get(claimId);
    return list ? list.slice(firstAfter(list, afterSeq)) : [];
  }

  forget(claimId: string): void {
    this.records.delete(claimId);
  }
}

/** Index of the first record with seq > `seq`; records are kept in seq order. */
function firstAfter(list: readonly ClaimRecord[], seq: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid]!.seq <= seq) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
