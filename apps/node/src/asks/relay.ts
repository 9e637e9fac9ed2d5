// The asks of the claims a node runs: each is written into its claim's record stream (so it is durable and reaches
// the coordinator like any record) and settles, once, when the answer comes back in a frame or a heartbeat ack.
import { randomBytes } from "node:crypto";
import type { AskAnswer } from "@muster/protocol";
import type { Logger } from "../log.js";
import type { AppendAskRecord, AskChannel, AskQuestion, AskReply } from "./channel.js";

/** A claim keeps at most this many unanswered asks; a ClaimReport lists at most 100. */
export const MAX_OPEN_ASKS = 100;

/** The claim has ended (or was never opened here): no answer will come. */
export class ClaimEndedError extends Error {
  override readonly name = "ClaimEndedError";
  readonly code = "claim_ended";
  constructor(readonly claimId: string) {
    super(`claim ${claimId} has ended`);
  }
}

/** Nobody answered within the ask's time limit; it can no longer be answered. */
export class AskExpiredError extends Error {
  override readonly name = "AskExpiredError";
  readonly code = "ask_expired";
  constructor(
    readonly askId: string,
    readonly timeoutMs: number,
  ) {
    super(`ask ${askId} got no answer within ${Math.round(timeoutMs / 1000)}s`);
  }
}

export class TooManyAsksError extends Error {
  override readonly name = "TooManyAsksError";
  readonly code = "too_many_asks";
  constructor(readonly claimId: string) {
    super(`claim ${claimId} already has ${MAX_OPEN_ASKS} unanswered asks`);
  }
}

interface Waiter {
  resolve(reply: AskReply): void;
  reject(err: Error): void;
}

interface OpenAsk {
  askId: string;
  /** Same question, options and gate: a repeated ask whose asker went away picks this one up. */
  key: string;
  waiters: Set<Waiter>;
  /** An answer that came while nobody waited; the next identical ask gets it at once. */
  answer: AskReply | null;
  /** Expires the ask when it has a time limit. */
  timer: NodeJS.Timeout | null;
}

interface ClaimAsks {
  append: AppendAskRecord;
  asks: Map<string, OpenAsk>;
}

export const newAskId = (): string => `ask_${randomBytes(12).toString("base64url")}`;

const keyOf = ({ question, options, gate, tool }: AskQuestion): string => JSON.stringify([question, options, gate, tool ?? null]);

export interface AskRelayOptions {
  log: Logger;
  newId?: () => string;
  /** The clock an ask's deadline is stamped with. */
  now?: () => number;
}

export class AskRelay implements AskChannel {
  private readonly claims = new Map<string, ClaimAsks>();
  private readonly log: Logger;
  private readonly newId: () => string;
  private readonly now: () => number;

  constructor({ log, newId = newAskId, now = Date.now }: AskRelayOptions) {
    this.log = log;
    this.newId = newId;
    this.now = now;
  }

  open(claimId: string, append: AppendAskRecord): void {
    if (!this.claims.has(claimId)) this.claims.set(claimId, { append, asks: new Map() });
  }

  isOpen(claimId: string): boolean {
    return this.claims.has(claimId);
  }

  /** Every waiting ask of the claim rejects; answers that come later are dropped. */
  close(claimId: string): void {
    const claim = this.claims.get(claimId);
    if (!claim) return;
    this.claims.delete(claimId);
    const ended = new ClaimEndedError(claimId);
    for (const ask of claim.asks.values()) {
      if (ask.timer) clearTimeout(ask.timer);
      for (const waiter of ask.waiters) waiter.reject(ended);
    }
  }

  /**
   * Raises an ask and waits for its answer. When `signal` aborts (the asker went away) the ask stays open
   * without a waiter, so a person's answer is not lost: asking the same again gets it.
   */
  ask(claimId: string, question: AskQuestion, signal?: AbortSignal): Promise<AskReply> {
    const claim = this.claims.get(claimId);
    if (!claim) return Promise.reject(new ClaimEndedError(claimId));
    let open: OpenAsk;
    try {
      open = this.reusable(claim, question) ?? this.raise(claimId, claim, question);
    } catch (err) {
      return Promise.reject(err as Error);
    }
    if (open.answer) {
      this.forget(claim, open);
      return Promise.resolve(open.answer);
    }
    return new Promise<AskReply>((resolve, reject) => {
      const gone = () => new Error(`the asker of ${open.askId} went away`);
      if (signal?.aborted) return reject(gone());
      const waiter: Waiter = { resolve, reject };
      open.waiters.add(waiter);
      signal?.addEventListener(
        "abort",
        () => {
          if (!open.waiters.delete(waiter)) return;
          this.log.info({ claimId, askId: open.askId }, "the asker went away; the ask stays open");
          reject(gone());
        },
        { once: true },
      );
    });
  }

  /** Applies an answer once; a copy of it (a later heartbeat ack) or one for an ask not held here is ignored. */
  answer({ askId, claimId, answer, answeredBy, reason }: AskAnswer): boolean {
    const claim = this.claims.get(claimId);
    const open = claim?.asks.get(askId);
    if (!claim || !open || open.answer) return false;
    const reply: AskReply = { askId, answer, answeredBy, ...(reason !== undefined ? { reason } : {}) };
    if (open.waiters.size === 0) {
      open.answer = reply;
      return true;
    }
    this.forget(claim, open);
    for (const waiter of open.waiters) waiter.resolve(reply);
    return true;
  }

  /** Ids of the claim's unanswered asks, those with a waiter first: the coordinator answers these in heartbeat acks. */
  waiting(claimId: string): string[] {
    const claim = this.claims.get(claimId);
    if (!claim) return [];
    const open = [...claim.asks.values()].filter((a) => !a.answer);
    const waited = open.filter((a) => a.waiters.size > 0);
    const orphaned = open.filter((a) => a.waiters.size === 0);
    return [...waited, ...orphaned].slice(0, MAX_OPEN_ASKS).map((a) => a.askId);
  }

  private reusable(claim: ClaimAsks, question: AskQuestion): OpenAsk | undefined {
    const key = keyOf(question);
    for (const open of claim.asks.values()) if (open.key === key && open.waiters.size === 0) return open;
    return undefined;
  }

  private raise(claimId: string, claim: ClaimAsks, question: AskQuestion): OpenAsk {
    if (claim.asks.size >= MAX_OPEN_ASKS) throw new TooManyAsksError(claimId);
    const askId = this.newId();
    const { timeoutMs, tool } = question;
    const recorded = claim.append({
      kind: "ask",
      askId,
      question: question.question,
      options: question.options,
      gate: question.gate,
      ...(tool ? { tool } : {}),
      ...(timeoutMs !== undefined ? { expiresAt: this.now() + timeoutMs } : {}),
    });
    if (!recorded) throw new ClaimEndedError(claimId);
    const open: OpenAsk = { askId, key: keyOf(question), waiters: new Set(), answer: null, timer: null };
    if (timeoutMs !== undefined) {
      open.timer = setTimeout(() => this.expire(claim, open, timeoutMs), timeoutMs);
      open.timer.unref();
    }
    claim.asks.set(askId, open);
    this.log.info({ claimId, askId, gate: question.gate, tool: tool?.name, options: question.options.length }, "ask raised");
    return open;
  }

  private forget(claim: ClaimAsks, open: OpenAsk): void {
    if (open.timer) clearTimeout(open.timer);
    claim.asks.delete(open.askId);
  }

  /** Its time is up: the ask leaves the claim (no longer reported as waiting) and its askers are refused. */
  private expire(claim: ClaimAsks, open: OpenAsk, timeoutMs: number): void {
    if (claim.asks.get(open.askId) !== open || open.answer) return;
    claim.asks.delete(open.askId);
    this.log.info({ askId: open.askId, timeoutMs }, "ask expired unanswered");
    const expired = new AskExpiredError(open.askId, timeoutMs);
    for (const waiter of open.waiters) waiter.reject(expired);
  }
}
