// The node's side of the session protocol: hello/welcome, heartbeats, offers, revokes, acks, drain,
// and a clean shutdown. Frames in and out are checked against @muster/protocol; nothing here throws
// out of the socket loop.
import { hostname as osHostname } from "node:os";
import {
  CloseCode,
  CoordinatorToNode,
  decodeFrame,
  MUSTER_VERSION,
  PROTOCOL_VERSION,
  type Ack,
  type AgentInfo,
  type ClaimOffer,
  type ClaimRecord,
  type ClaimRevoke,
  type HeartbeatAck,
  type Labels,
  type MessageOf,
  type NodeDesired,
  type NodeDrain,
  type NodeSandbox,
  type Welcome,
} from "@muster/protocol";
import type { CoordinatorReplies } from "../asks/hub.js";
import type { SignNodeToken } from "../identity/token.js";
import type { Logger } from "../log.js";
import type { HeldClaim, Supervisor, SupervisorListener } from "../supervisor/supervisor.js";
import { Backoff, DEFAULT_BACKOFF, type BackoffOptions } from "./backoff.js";
import { Connection } from "./connection.js";
import { MONOTONIC_CLOCK, NodeLease, type Clock } from "./lease.js";
import type { Outbox } from "./outbox.js";
import { OutgoingFrames } from "./outgoing.js";
import { EventPump } from "./pump.js";

export interface SessionOptions {
  url: string;
  nodeId: string;
  capacity: number;
  labels: Labels;
  agents: AgentInfo[];
  signToken: SignNodeToken;
  supervisor: Supervisor;
  outbox: Outbox;
  log: Logger;
  /** Where answers to asks and tells for the node's claims go; dropped without one. */
  replies?: CoordinatorReplies;
  now?: () => number;
  /** Monotonic clock for the lease. */
  clock?: Clock;
  random?: () => number;
  backoff?: Partial<Omit<BackoffOptions, "random">>;
  flushIntervalMs?: number;
  welcomeTimeoutMs?: number;
  /** After a second signal killed the workers: how long to wait for their results to be acked. */
  ackWaitMs?: number;
  hostname?: string;
  /** PEM file of CAs to trust for the coordinator's TLS certificate (the config's `ca`). */
  caFile?: string | undefined;
  /** How the node isolates its workers, for hello. */
  sandbox?: NodeSandbox;
}

export type SessionEnd = { exitCode: 0 } | { exitCode: 1 | 3; message: string; code: string };

export class NodeSession implements SupervisorListener {
  private state: "down" | "hello" | "ready" = "down";
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private welcomeTimer: NodeJS.Timeout | undefined;
  private deadlineTimer: NodeJS.Timeout | undefined;
  private ackWaitTimer: NodeJS.Timeout | undefined;
  private leaseMs = 15_000;
  private leaseGraceMs = 5_000;
  private lastHeardAt = 0;
  private localDraining = false;
  private remoteDraining = false;
  private finishing = false;
  private readonly now: () => number;
  private readonly connection: Connection;
  private readonly pump: EventPump;
  private readonly lease: NodeLease;
  private readonly out: OutgoingFrames;
  private readonly send: OutgoingFrames["send"];
  private readonly log: Logger;

  constructor(private readonly opts: SessionOptions) {
    this.now = opts.now ?? Date.now;
    this.log = opts.log;
    this.lease = new NodeLease(opts.clock ?? MONOTONIC_CLOCK, () => this.leaseExpired());
    opts.supervisor.subscribe(this);
    this.out = new OutgoingFrames((text) => this.connection.send(text), opts.log);
    this.send = this.out.send.bind(this.out);
    this.pump = new EventPump({
      outbox: opts.outbox,
      claims: () => opts.supervisor.claims(),
      send: (frame) => this.out.sendPumped(frame),
      ...(opts.flushIntervalMs !== undefined ? { flushIntervalMs: opts.flushIntervalMs } : {}),
    });
    this.connection = new Connection({
      url: opts.url,
      signToken: opts.signToken,
      caFile: opts.caFile,
      backoff: new Backoff({ ...DEFAULT_BACKOFF, ...opts.backoff, random: opts.random ?? Math.random }),
      log: opts.log,
      handlers: {
        opened: () => this.opened(),
        message: (raw) => this.received(raw),
        closed: () => this.closed(),
      },
    });
  }

  get draining(): boolean {
    return this.localDraining || this.remoteDraining;
  }

  /** The coordinator, not this process, asked for the drain (an operator ran `muster nodes drain`). */
  get drainedByCoordinator(): boolean {
    return this.remoteDraining && !this.localDraining;
  }

  /** What is left of the node's lease on its monotonic clock; null when it holds none. */
  leaseRemainingMs(): number | null {
    return this.lease.remainingMs();
  }

  /** Runs until shut down or refused for good; the exit code is the daemon's. */
  async run(): Promise<SessionEnd> {
    this.connection.start();
    const end = await this.connection.ended;
    this.stopTimers();
    this.pump.pause();
    // Nothing the node started may outlive it.
    await this.opts.supervisor.stopAll("shutdown");
    if (end.kind === "fatal") {
      this.log.error({ reason: end.message }, "stopping: the coordinator will not take this node");
      return { exitCode: end.exitCode, message: end.message, code: end.code };
    }
    return { exitCode: 0 };
  }

  /** First SIGTERM/SIGINT: take no more work; close once running claims finished and their results are acked. */
  drain(): void {
    if (this.localDraining) return;
    this.localDraining = true;
    this.log.info({ claims: this.opts.supervisor.claims().length }, "draining before shutdown");
    this.sendHeartbeat();
    this.finishIfIdle();
  }

  /** Second signal: stop the workers now, then wait a bounded time for their results to be acked. */
  stopWorkers(): void {
    this.drain();
    if (this.finishing || this.ackWaitTimer) return;
    this.log.warn("stopping all workers");
    void this.opts.supervisor.stopAll("shutdown");
    this.ackWaitTimer = setTimeout(() => this.finish(), this.opts.ackWaitMs ?? 10_000);
  }

  // ---- supervisor events ------------------------------------------------------------------

  recordProduced(claim: HeldClaim, record: ClaimRecord): void {
    this.opts.outbox.append(claim.claimId, record);
    this.pump.recordAdded(record);
  }

  claimExited(): void {
    this.pump.claimExited();
  }

  idle(): void {
    this.finishIfIdle();
  }

  // ---- connection events ------------------------------------------------------------------

  private opened(): void {
    this.state = "hello";
    this.lastHeardAt = this.now();
    const { nodeId, capacity, labels, agents } = this.opts;
    this.send(
      "hello",
      {
        nodeId,
        version: MUSTER_VERSION,
        protocol: PROTOCOL_VERSION,
        hostname: (this.opts.hostname ?? osHostname()).slice(0, 255),
        os: process.platform,
        arch: process.arch,
        capacity,
        labels,
        agents,
        claims: this.opts.supervisor.reports(),
        draining: this.draining,
        ...(this.opts.sandbox ? { sandbox: this.opts.sandbox } : {}),
      },
      { id: this.leaseFrameId() },
    );
    this.welcomeTimer = setTimeout(() => {
      this.log.warn("no welcome from the coordinator; reconnecting");
      this.connection.drop();
    }, this.opts.welcomeTimeoutMs ?? 10_000);
  }

  private closed(): void {
    this.state = "down";
    this.lease.disconnected();
    clearInterval(this.heartbeatTimer);
    clearTimeout(this.welcomeTimer);
    this.heartbeatTimer = undefined;
    this.pump.pause();
  }

  private received(raw: string): void {
    this.lastHeardAt = this.now();
    const decoded = decodeFrame(CoordinatorToNode, raw);
    if (!decoded.ok) {
      this.log.warn({ code: decoded.code, message: decoded.message }, "bad frame from the coordinator");
      this.send("error", { code: decoded.code, message: decoded.message }, decoded.id ? { re: decoded.id } : {});
      return;
    }
    try {
      this.dispatch(decoded.message);
    } catch (err) {
      this.log.error({ err, type: decoded.message.type }, "handling a frame failed");
    }
  }

  private dispatch(message: MessageOf<typeof CoordinatorToNode>): void {
    switch (message.type) {
      case "welcome":
        return this.welcomed(message.payload, message.re);
      case "heartbeat.ack":
        return this.reconcile(message.payload, message.re);
      case "claim.offer":
        return this.answerOffer(message.payload, message.id);
      case "claim.revoke":
        return this.revoke(message.payload);
      case "node.drain":
        return this.drainRequested(message.payload);
      case "ask.answer":
        return this.opts.replies?.answered(message.payload);
      case "tell":
        return this.opts.replies?.told(message.payload);
      case "ack":
        return this.acked(message.payload);
      case "error":
        this.log.warn({ ...message.payload, re: message.re }, "the coordinator reported an error");
        return;
    }
  }

  // ---- protocol ---------------------------------------------------------------------------

  private welcomed(welcome: Welcome, re: string | undefined): void {
    if (this.state !== "hello") {
      this.log.warn({ state: this.state }, "unexpected welcome");
      return;
    }
    clearTimeout(this.welcomeTimer);
    this.state = "ready";
    this.leaseMs = welcome.leaseMs;
    this.leaseGraceMs = welcome.leaseGraceMs;
    // The first lease runs from when the hello went out.
    this.lease.renew(re, welcome.leaseMs);
    this.connection.resetBackoff();
    this.log.info(
      { sessionId: welcome.sessionId, heartbeatIntervalMs: welcome.heartbeatIntervalMs, leaseMs: welcome.leaseMs },
      "session started",
    );
    this.heartbeatTimer = setInterval(() => this.beat(), welcome.heartbeatIntervalMs);
    this.pump.start();
    this.applyDesired(welcome.desired);
  }

  private beat(): void {
    // A socket that has been silent for a whole lease is dead even if TCP has not noticed.
    if (this.now() - this.lastHeardAt > this.leaseMs) {
      this.log.warn({ silentMs: this.now() - this.lastHeardAt }, "coordinator silent for a lease; reconnecting");
      this.connection.drop();
      return;
    }
    this.sendHeartbeat();
  }

  private sendHeartbeat(): void {
    if (this.state !== "ready") return;
    const { supervisor, capacity } = this.opts;
    this.send("heartbeat", { claims: supervisor.reports(), capacity, draining: this.draining }, { id: this.leaseFrameId() });
  }

  /**
   * Self-fencing: the coordinator will soon count this node lost and hand its claims to others, so claims
   * that must not run twice stop now (SIGKILL well within the coordinator's grace); `keep` claims go on.
   */
  private leaseExpired(): void {
    if (this.finishing) return;
    const graceMs = Math.min(2000, Math.floor(this.leaseGraceMs / 2));
    const { stopped, kept } = this.opts.supervisor.fence(graceMs);
    this.log.warn({ stopped, kept, killGraceMs: graceMs, connected: this.state !== "down" }, "lease ran out; fencing claims");
    // Acks are not getting through on this socket (or there is none): start over on a fresh one.
    if (this.state !== "down") this.connection.drop();
  }

  /** heartbeat.ack, and the one right after welcome, is the coordinator's diff of what the node holds. */
  private reconcile(ack: HeartbeatAck, re: string | undefined): void {
    this.leaseMs = ack.leaseMs;
    this.lease.renew(re, ack.leaseMs);
    for (const revoke of ack.revoke) this.revoke(revoke);
    for (const { claimId, token, fromSeq } of ack.resend) {
      if (this.opts.supervisor.get(claimId)?.token === token) this.pump.resend(claimId, fromSeq);
    }
    // Level-triggered: they come in every ack until the next heartbeat says the node has them.
    for (const answer of ack.answers) this.opts.replies?.answered(answer);
    for (const tell of ack.tells) this.opts.replies?.told(tell);
    // Before the offers: a node the coordinator wants drained takes none of them.
    this.applyDesired(ack.desired);
    for (const offer of ack.offers) this.answerOffer(offer);
  }

  private answerOffer(offer: ClaimOffer, re?: string): void {
    const decision = this.opts.supervisor.offer(offer, { draining: this.draining });
    const ref = { claimId: offer.claimId, taskId: offer.taskId, token: offer.token };
    const ids = re ? { re } : {};
    if (decision.accept) {
      if (!decision.duplicate) this.log.info({ ...ref, agent: offer.task.agent, attempt: offer.attempt }, "claim accepted");
      this.send("claim.accept", ref, ids);
    } else {
      this.log.info({ ...ref, reason: decision.reason, message: decision.message }, "claim rejected");
      this.send("claim.reject", { ...ref, reason: decision.reason, message: decision.message }, ids);
    }
  }

  /** The claim id names one attempt, so a revoke for it stops it whatever token it carries. */
  private revoke({ claimId, token, reason }: ClaimRevoke): void {
    const held = this.opts.supervisor.get(claimId);
    if (!held) return;
    this.log.info({ claimId, token, heldToken: held.token, reason }, "claim revoked");
    this.opts.outbox.forget(claimId);
    this.pump.forget(claimId);
    this.opts.supervisor.revoke(claimId);
  }

  private acked({ claimId, token, seq, done }: Ack): void {
    const claim = this.opts.supervisor.get(claimId);
    if (!claim || claim.token !== token) return;
    this.opts.outbox.ack(claimId, seq);
    if (!done) return;
    if (!claim.done) {
      this.log.warn({ claimId }, "result acked for a claim still running");
      return;
    }
    this.log.info({ claimId, status: claim.done.outcome.status }, "claim result stored");
    this.opts.outbox.forget(claimId);
    this.pump.forget(claimId);
    this.opts.supervisor.forget(claimId);
  }

  /** Finish what runs (stopping it at the deadline), wait for the results' acks, then go offline like a SIGTERM. */
  private drainRequested({ deadlineMs }: NodeDrain): void {
    this.log.info({ deadlineMs }, "the coordinator asked the node to drain");
    this.remoteDraining = true;
    clearTimeout(this.deadlineTimer);
    if (deadlineMs !== null)
      this.deadlineTimer = setTimeout(() => void this.opts.supervisor.stopAll("drain_deadline"), deadlineMs);
    this.sendHeartbeat();
    this.finishIfIdle();
  }

  /**
   * A drain, once begun, ends with the daemon's exit: the coordinator has no undrain, and a heartbeat.ack it
   * built just before the drain must not cancel it (or its deadline).
   */
  private applyDesired(desired: NodeDesired): void {
    if (!desired.draining || this.remoteDraining) return;
    this.remoteDraining = true;
    this.log.info("the coordinator wants the node drained");
    this.sendHeartbeat();
    this.finishIfIdle();
  }

  // ---- shutdown and plumbing --------------------------------------------------------------

  private finishIfIdle(): void {
    if (this.draining && this.opts.supervisor.isIdle()) this.finish();
  }

  private finish(): void {
    if (this.finishing) return;
    this.finishing = true;
    this.stopTimers();
    this.pump.pause();
    this.log.info("closing the session");
    void this.connection.close(CloseCode.normal, "shutdown");
  }

  private stopTimers(): void {
    this.lease.stop();
    clearInterval(this.heartbeatTimer);
    clearTimeout(this.welcomeTimer);
    clearTimeout(this.deadlineTimer);
    clearTimeout(this.ackWaitTimer);
  }

  /** An id for a frame whose reply renews the lease from the moment it is sent. */
  private leaseFrameId(): string {
    const id = this.out.nextId();
    this.lease.sent(id);
    return id;
  }
}
