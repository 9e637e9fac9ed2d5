// The node's human-in-the-loop desk: per claim a local endpoint for its worker, its asks (also the approval gates'
// channel) and its tells; answers and tells from the coordinator come in here, what is waiting goes out in heartbeats.
import { randomBytes } from "node:crypto";
import { LOCAL_SECRET_ENV, LOCAL_SOCKET_ENV, type AskAnswer, type ClaimReport, type TellMessage } from "@muster/protocol";
import type { Logger } from "../log.js";
import type { AppendAskRecord, AskChannel, AskEndpoints, AskQuestion, AskReply } from "./channel.js";
import { LocalEndpoint } from "./endpoint.js";
import { AskRelay, ClaimEndedError } from "./relay.js";
import { SocketPaths } from "./socket-path.js";
import { TellInbox } from "./tells.js";

/** What the session hands over from the coordinator. */
export interface CoordinatorReplies {
  /** An `ask.answer` frame or an entry of heartbeat.ack `answers`; each answer is applied once. */
  answered(answer: AskAnswer): void;
  /** A `tell` frame or an entry of heartbeat.ack `tells`. */
  told(tell: TellMessage): void;
}

export interface AskHubOptions {
  /** Sockets go under <dataDir>/s. */
  dataDir: string;
  /** The claim's durable directory (the outbox's), where its tells are kept. */
  claimDir(claimId: string): string;
  log: Logger;
  newAskId?: () => string;
}

export class AskHub implements AskChannel, AskEndpoints, CoordinatorReplies {
  private readonly relay: AskRelay;
  private readonly inbox: TellInbox;
  private readonly paths: SocketPaths;
  private readonly endpoints = new Map<string, LocalEndpoint>();
  private readonly log: Logger;

  constructor(opts: AskHubOptions) {
    this.log = opts.log;
    this.relay = new AskRelay({ log: opts.log, ...(opts.newAskId ? { newId: opts.newAskId } : {}) });
    this.inbox = new TellInbox({ dirOf: opts.claimDir, log: opts.log });
    this.paths = new SocketPaths(opts.dataDir);
  }

  async open(claimId: string, append: AppendAskRecord): Promise<Record<string, string>> {
    this.relay.open(claimId, append);
    this.inbox.open(claimId);
    const path = this.paths.next();
    // Never logged, never in a record: only the worker's environment carries it.
    const secret = randomBytes(32).toString("base64url");
    const endpoint = await LocalEndpoint.open({
      path,
      secret,
      log: this.log.child({ claimId }),
      handlers: {
        ask: (question, signal) => this.relay.ask(claimId, question, signal),
        told: () => this.inbox.takeUnread(claimId),
      },
    });
    // Closed while the socket was being set up.
    if (!this.relay.isOpen(claimId)) {
      await endpoint.close();
      throw new ClaimEndedError(claimId);
    }
    this.endpoints.get(claimId)?.close();
    this.endpoints.set(claimId, endpoint);
    return { [LOCAL_SOCKET_ENV]: path, [LOCAL_SECRET_ENV]: secret };
  }

  close(claimId: string): void {
    this.relay.close(claimId);
    this.inbox.close(claimId);
    const endpoint = this.endpoints.get(claimId);
    if (!endpoint) return;
    this.endpoints.delete(claimId);
    // A turn later, so an asker still connected gets the claim_ended error before the socket goes.
    setImmediate(() => {
      endpoint.close().catch((err: unknown) => this.log.warn({ err, claimId }, "cannot close a local endpoint"));
    });
  }

  /** Settles every endpoint's close; for a daemon on its way out. */
  async closeAll(): Promise<void> {
    const open = [...this.endpoints.entries()];
    this.endpoints.clear();
    for (const [claimId] of open) this.relay.close(claimId);
    await Promise.all(open.map(([, endpoint]) => endpoint.close().catch(() => undefined)));
  }

  ask(claimId: string, question: AskQuestion): Promise<AskReply> {
    return this.relay.ask(claimId, question);
  }

  report(claimId: string): Pick<ClaimReport, "waitingAsks" | "tellsReceived"> {
    return { waitingAsks: this.relay.waiting(claimId), tellsReceived: this.inbox.received(claimId) };
  }

  answered(answer: AskAnswer): void {
    if (this.relay.answer(answer))
      this.log.info({ claimId: answer.claimId, askId: answer.askId, answeredBy: answer.answeredBy }, "ask answered");
  }

  told(tell: TellMessage): void {
    if (!this.inbox.receive(tell)) this.log.debug({ claimId: tell.claimId, tellId: tell.tellId }, "tell for a claim not running here");
  }
}
