// What the supervisor writes down about each claim, so that a daemon restarted after a crash knows what it
// held and which process group to make sure is dead. The durable outbox implements it.
import type { ClaimDone, ClaimOffer } from "@muster/protocol";

export interface ClaimJournal {
  /** Before the claim is accepted; throws when it cannot be recorded, and the offer is then rejected. */
  opened(offer: ClaimOffer): void;
  /** The worker runs as the leader of process group `pgid`. */
  workerStarted(claimId: string, pgid: number): void;
  /** The claim's result; on disk once this returns. */
  finished(done: ClaimDone): void;
}

export const NO_JOURNAL: ClaimJournal = { opened() {}, workerStarted() {}, finished() {} };

/** Tells a watchdog outside the daemon which workers to kill should the daemon die. */
export interface WorkerWatchdog {
  /** Before the worker is spawned, so one spawned just before a crash is still found by its environment. */
  watch(claimId: string): void;
  started(claimId: string, pgid: number): void;
  /** The worker and its group are gone. */
  unwatch(claimId: string): void;
}

export const NO_WATCHDOG: WorkerWatchdog = { watch() {}, started() {}, unwatch() {} };

/** A claim as a previous daemon left it in the journal. */
export interface StoredClaim {
  offer: ClaimOffer;
  /** Process group of its worker, when one was started. */
  pgid: number | null;
  done: ClaimDone | null;
  ackedSeq: number;
  /** Highest seq the claim produced, acked or not. */
  lastSeq: number;
}
