// An AskChannel for tests: records each ask and lets the test answer or refuse it.
import type { AskChannel, AskQuestion, AskReply } from "../asks/channel.js";

export interface PendingAsk {
  claimId: string;
  question: AskQuestion;
  answer(answer: string, answeredBy?: string): void;
  refuse(reason: string): void;
}

export class FakeAskChannel implements AskChannel {
  readonly asked: PendingAsk[] = [];
  /** Answers every ask at once with this, when set. */
  constructor(private readonly autoAnswer: { answer: string; answeredBy: string } | null = null) {}

  ask(claimId: string, question: AskQuestion): Promise<AskReply> {
    const askId = `ask_${this.asked.length + 1}`;
    return new Promise<AskReply>((resolve, reject) => {
      this.asked.push({
        claimId,
        question,
        answer: (answer, answeredBy = "someone") => resolve({ askId, answer, answeredBy }),
        refuse: (reason) => reject(new Error(reason)),
      });
      if (this.autoAnswer) resolve({ askId, ...this.autoAnswer });
    });
  }
}
