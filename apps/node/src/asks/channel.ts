// How a worker-side feature (an approval gate, `muster ask`) reaches a person: the ask is recorded durably as a
// claim record, and the promise settles when the coordinator hands back the answer.
export interface AskQuestion {
  question: string;
  /** Allowed answers; empty for free text. */
  options: string[];
  /** The irreversible step this approves (merge, deploy, done), or null. */
  gate: string | null;
}

export interface AskReply {
  askId: string;
  answer: string;
  answeredBy: string;
}

export interface AskChannel {
  /** Raises an ask for a held claim; rejects if the claim ends (revoked, stopped) before an answer comes. */
  ask(claimId: string, question: AskQuestion): Promise<AskReply>;
}
