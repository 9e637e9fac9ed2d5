// How a worker-side feature (an approval gate, `muster ask`) reaches a person: the ask is recorded durably as a
// claim record, and the promise settles when the coordinator hands back the answer.
import type { AskRecord, ClaimReport, ToolAsk } from "@muster/protocol";

export interface AskQuestion {
  question: string;
  /** Allowed answers; empty for free text. */
  options: string[];
  /** The irreversible step this approves (merge, deploy, done), or null. */
  gate: string | null;
  /** A tool call waiting for approval. */
  tool?: ToolAsk;
  /** Unanswered after this long, the ask expires and its asker gets an AskExpiredError. */
  timeoutMs?: number;
}

export interface AskReply {
  askId: string;
  answer: string;
  answeredBy: string;
  reason?: string;
}

export interface AskChannel {
  /** Raises an ask for a held claim; rejects if the claim ends (revoked, stopped) before an answer comes. */
  ask(claimId: string, question: AskQuestion): Promise<AskReply>;
}

/** An ask as it goes into the claim's record stream; the supervisor stamps its seq and time. */
export type AskRecordBody = Omit<AskRecord, "seq" | "ts">;

/** Adds a record to a live claim's stream; false when the claim has ended and takes no more records. */
export type AppendAskRecord = (record: AskRecordBody) => boolean;

/** The local side of asks for each claim the supervisor runs: the worker's endpoint and what heartbeats report. */
export interface AskEndpoints {
  /** Before the claim's first process starts; returns the env that names the endpoint to its worker. */
  open(claimId: string, append: AppendAskRecord): Promise<Record<string, string>>;
  /** The claim's attempt is over (ended or revoked): waiting asks reject and the endpoint goes away. */
  close(claimId: string): void;
  report(claimId: string): Pick<ClaimReport, "waitingAsks" | "tellsReceived">;
}
