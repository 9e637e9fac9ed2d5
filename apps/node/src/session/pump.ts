// Turns what the outbox holds into claim.events frames (batched) and finished claims into claim.done.
import type { ClaimDone, ClaimEvents, ClaimRecord } from "@muster/protocol";
import type { Outbox } from "./outbox.js";

export interface PumpClaim {
  claimId: string;
  taskId: string;
  token: number;
  done: ClaimDone | null;
}

export type PumpFrame = { type: "claim.events"; payload: ClaimEvents } | { type: "claim.done"; payload: ClaimDone };

export interface EventPumpOptions {
  outbox: Outbox;
  claims: () => Iterable<PumpClaim>;
  /** Puts one frame on the wire; false when the socket cannot take it now (closed, or too much buffered). */
  send(frame: PumpFrame): boolean;
  flushIntervalMs?: number;
  /** Buffered record bytes that trigger a flush before the interval is up. */
  flushBytes?: number;
  /** Upper bound for the records of one frame; with records of at most ~100 KiB a frame stays far below 1 MiB. */
  frameBytes?: number;
  maxRecords?: number;
}

function recordBytes(record: ClaimRecord): number {
  return Buffer.byteLength(JSON.stringify(record));
}

export class EventPump {
  /** Highest seq sent per claim on the current connection. */
  private readonly sentSeq = new Map<string, number>();
  private readonly doneSent = new Set<string>();
  private pendingBytes = 0;
  private timer: NodeJS.Timeout | undefined;
  private live = false;
  private readonly flushIntervalMs: number;
  private readonly flushBytes: number;
  private readonly frameBytes: number;
  private readonly maxRecords: number;

  constructor(private readonly opts: EventPumpOptions) {
    this.flushIntervalMs = opts.flushIntervalMs ?? 100;
    this.flushBytes = opts.flushBytes ?? 64 * 1024;
    this.frameBytes = opts.frameBytes ?? 256 * 1024;
    this.maxRecords = opts.maxRecords ?? 1000;
  }

  /** A session is up: everything not yet acknowledged goes out again. */
  start(): void {
    this.live = true;
    this.sentSeq.clear();
    this.doneSent.clear();
    this.flush();
  }

  /** The session is gone: nothing is sent until the next start. */
  pause(): void {
    this.live = false;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  recordAdded(record: ClaimRecord): void {
    if (!this.live) return;
    this.pendingBytes += record.kind === "log" ? record.text.length : 100;
    if (this.pendingBytes >= this.flushBytes) this.flush();
    else this.schedule();
  }

  /** A claim has its result: send what is left of its records and the result now. */
  claimExited(): void {
    if (this.live) this.flush();
  }

  /** The coordinator is missing records from `fromSeq` on. */
  resend(claimId: string, fromSeq: number): void {
    this.sentSeq.set(claimId, Math.min(this.sentSeq.get(claimId) ?? 0, fromSeq - 1));
    this.doneSent.delete(claimId);
    this.schedule();
  }

  forget(claimId: string): void {
    this.sentSeq.delete(claimId);
    this.doneSent.delete(claimId);
  }

  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.pendingBytes = 0;
    if (!this.live) return;
    for (const claim of this.opts.claims()) {
      if (!this.flushClaim(claim)) {
        this.schedule();
        return;
      }
    }
  }

  private schedule(): void {
    if (this.live && !this.timer) this.timer = setTimeout(() => this.flush(), this.flushIntervalMs);
  }

  private flushClaim(claim: PumpClaim): boolean {
    const { claimId, taskId, token } = claim;
    let batch: ClaimRecord[] = [];
    let bytes = 0;
    const sendBatch = (): boolean => {
      if (!this.opts.send({ type: "claim.events", payload: { claimId, taskId, token, records: batch } })) return false;
      this.sentSeq.set(claimId, batch[batch.length - 1]!.seq);
      batch = [];
      bytes = 0;
      return true;
    };
    for (const record of this.opts.outbox.unacked(claimId, this.sentSeq.get(claimId) ?? 0)) {
      const size = recordBytes(record);
      if (batch.length > 0 && (batch.length >= this.maxRecords || bytes + size > this.frameBytes) && !sendBatch())
        return false;
      batch.push(record);
      bytes += size;
    }
    if (batch.length > 0 && !sendBatch()) return false;
    if (claim.done && !this.doneSent.has(claimId)) {
      if (!this.opts.send({ type: "claim.done", payload: claim.done })) return false;
      this.doneSent.add(claimId);
    }
    return true;
  }
}
