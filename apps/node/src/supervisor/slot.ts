// What the supervisor keeps per held claim besides the claim itself: its current process and how it was stopped.
import type { ClaimRecord } from "@muster/protocol";
import type { ClaimSandbox } from "../sandbox/sandbox.js";
import type { StopCause } from "./outcome.js";
import type { HeldClaim } from "./supervisor.js";
import type { Worker } from "./worker.js";

/** A record the supervisor stamps with the claim's next seq (progress, ask). */
export type ClaimRecordBody = Unstamped<ClaimRecord>;
type Unstamped<R> = R extends ClaimRecord ? Omit<R, "seq" | "ts"> : never;

export interface Slot {
  claim: HeldClaim;
  /** The process running now: the agent, then its verify step. */
  worker: Worker | null;
  /** The claim's sandbox, set up before its first process starts. */
  sandbox: ClaimSandbox | null;
  /** Set when the node stops the claim before or while it runs. */
  stopCause: StopCause | null;
  /** Settles when the claim's worker has ended (or never started). */
  settled: Promise<void>;
  /** Settles with the stop cause; wakes an attempt waiting at an approval gate. */
  stopped: Promise<StopCause>;
  /** Cancels the git work of an attempt that has not started its agent yet. */
  abort: AbortController;
  markStopped(cause: StopCause): void;
}

export function newSlot(claim: HeldClaim): Slot {
  let markStopped: (cause: StopCause) => void = () => {};
  const stopped = new Promise<StopCause>((resolve) => (markStopped = resolve));
  return { claim, worker: null, sandbox: null, stopCause: null, settled: Promise.resolve(), stopped, abort: new AbortController(), markStopped };
}

