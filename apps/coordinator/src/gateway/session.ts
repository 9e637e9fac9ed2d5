// One node's websocket session: validates every frame, processes them in order, answers each.
import { randomUUID } from "node:crypto";
import { setImmediate } from "node:timers/promises";
import type { ClaimOffer, ClaimRevoke, CoordinatorToNode as C2N, ErrorCode, Hello, MessageOf, NodeDesired, NodeState } from "@muster/protocol";
import { CloseCode, CoordinatorToNode, decodeFrame, encodeFrame, MUSTER_VERSION, NodeToCoordinator, PROTOCOL_VERSION } from "@muster/protocol";
import type { z } from "zod";
import type WebSocket from "ws";
import type { AskRow } from "../asks/asks.js";
import { acceptClaim, finishClaim, rejectClaim, storeRecords } from "../claims/lifecycle.js";
import type { RetryPolicy } from "../claims/retry.js";
import type { Clock } from "../clock.js";
import type { Journal } from "../events/journal.js";
import { newId } from "../ids.js";
import type { Logger } from "../log.js";
import type { LeaseWriter } from "../reconciler/lease-writer.js";
import { reconcileClaims, type Reconciliation } from "../reconciler/reconcile.js";
import type { OfferTarget } from "../scheduler/scheduler.js";
import type { Db } from "../store/db.js";
import { markConnected, type NodeRow } from "./node-state.js";

export interface SessionDeps {
  db: Db;
  log: Logger;
  clock: Clock;
  journal: Journal;
  leases: LeaseWriter;
  scheduler: { request(why: string): Promise<void>; noteRefusal(taskId: string, nodeId: string): void };
  policy: RetryPolicy;
  /** New asks from this node's workers, once stored. */
  onAsks(asks: AskRow[]): void;
  heartbeatIntervalMs: number;
  leaseMs: number;
  leaseGraceMs: number;
  helloTimeoutMs?: number;
  /** Frames waiting to be handled at which the socket stops being read, until half of them are done. */
  frameQueueMax?: number;
}

/** Default for `frameQueueMax`: deep enough for a node's bursts of records, shallow enough to bound memory. */
export const FRAME_QUEUE_MAX = 256;

type Payload<K extends keyof typeof NodeToCoordinator> = z.infer<(typeof NodeToCoordinator)[K]>;

export class NodeSession implements OfferTarget {
  readonly sessionId = newId("ses");
  readonly log: Logger;
  #node: NodeRow;
  #hello: Hello | null = null;
  #queue: Promise<void> = Promise.resolve();
  #draining = false;
  /** This coordinator's view of the node's lease; a stalled socket stops taking offers once it lapses. */
  #leaseUntil = 0;
  #helloTimer: NodeJS.Timeout | undefined;
  /** Frames received and not yet handled. */
  #waiting = 0;
  #paused = false;
  #pauses = 0;

  constructor(
    readonly ws: WebSocket,
    node: NodeRow,
    private readonly deps: SessionDeps,
  ) {
    this.#node = node;
    this.log = deps.log.child({ nodeId: node.id, node: node.name, sessionId: this.sessionId });
    ws.on("message", (data, isBinary) => {
      const raw = isBinary ? null : data.toString();
      this.#received();
      this.#queue = this.#queue
        // Let other sockets' I/O in between two frames: with the embedded database a query never waits on I/O,
        // so a chain of one node's frames would otherwise hold the event loop until it ran dry.
        .then(() => setImmediate())
        .then(() => this.#handle(raw))
        .catch((err) => this.log.error({ err }, "frame handling failed"))
        .finally(() => this.#handled());
    });
    this.#helloTimer = setTimeout(() => {
      if (!this.#hello) this.close(CloseCode.protocolError, "no hello received");
    }, deps.helloTimeoutMs ?? 10_000);
    this.#helloTimer.unref();
    ws.on("close", () => clearTimeout(this.#helloTimer));
  }

  get nodeId(): string {
    return this.#node.id;
  }
  get labels() {
    return this.#node.labels;
  }
  get agents(): ReadonlySet<string> {
    return new Set((this.#hello?.agents ?? []).map((a) => a.name));
  }
  get capacity(): number {
    return this.#hello?.capacity ?? 0;
  }
  get accepting(): boolean {
    const n = this.#node;
    const leased = this.deps.clock.now() < this.#leaseUntil;
    return this.#hello !== null && leased && this.ws.readyState === this.ws.OPEN && !this.#draining && !n.cordoned && !n.draining;
  }
  /** Resolves once every frame received so far has been handled. */
  idle(): Promise<void> {
    return this.#queue;
  }

  offer(offer: ClaimOffer): void {
    this.send("claim.offer", offer, { id: randomUUID() });
  }

  revoke(message: ClaimRevoke): void {
    this.send("claim.revoke", message);
  }

  /** An operator changed what this node should do (cordon, drain, labels). */
  updateDesired(row: NodeRow, drainDeadlineMs?: number | null): void {
    const startsDraining = row.draining && !this.#node.draining;
    this.#node = row;
    if (startsDraining) this.send("node.drain", { deadlineMs: drainDeadlineMs ?? null });
  }

  close(code: number, reason: string): void {
    if (this.ws.readyState === this.ws.OPEN || this.ws.readyState === this.ws.CONNECTING) this.ws.close(code, reason);
  }

  send<K extends keyof C2N & string>(type: K, payload: z.input<C2N[K]>, ids: { id?: string; re?: string } = {}): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    this.ws.send(encodeFrame(CoordinatorToNode, type, payload, ids));
  }

  /**
   * Frames are handled one at a time per node. A node that sends faster than that would grow its queue without
   * bound and crowd out the others, so its socket stops being read (TCP pushes back on the node) until it drains.
   */
  #received(): void {
    this.#waiting += 1;
    const max = this.deps.frameQueueMax ?? FRAME_QUEUE_MAX;
    if (this.#paused || this.#waiting < max) return;
    this.#paused = true;
    this.#pauses += 1;
    this.ws.pause();
    const fields = { waiting: this.#waiting, pauses: this.#pauses };
    if (this.#pauses === 1) this.log.warn(fields, "node socket paused: frames arrive faster than they are handled");
    else this.log.debug(fields, "node socket paused again");
  }

  #handled(): void {
    this.#waiting -= 1;
    const max = this.deps.frameQueueMax ?? FRAME_QUEUE_MAX;
    if (!this.#paused || this.#waiting > Math.floor(max / 2)) return;
    this.#paused = false;
    this.ws.resume();
  }

  #error(code: ErrorCode, message: string, re?: string): void {
    this.log.warn({ code, reason: message }, "bad frame from node");
    this.send("error", { code, message }, re ? { re } : {});
  }

  async #handle(raw: string | null): Promise<void> {
    if (raw === null) return this.#error("malformed_frame", "binary frames are not supported");
    const decoded = decodeFrame(NodeToCoordinator, raw);
    if (!decoded.ok) return this.#error(decoded.code, decoded.message, decoded.id);
    const msg = decoded.message;
    if (msg.type !== "hello" && !this.#hello) return this.#error("not_ready", "send hello first", msg.id);
    try {
      await this.#apply(msg);
    } catch (err) {
      // Whatever went wrong, the node hears about it and the socket loop carries on; a failed transaction stored nothing.
      this.log.error({ err, type: msg.type, id: msg.id }, "frame could not be applied");
      this.send("error", { code: "internal", message: `the coordinator could not apply ${msg.type}` }, msg.id ? { re: msg.id } : {});
    }
  }

  #apply(msg: MessageOf<typeof NodeToCoordinator>): Promise<void> | void {
    switch (msg.type) {
      case "hello":
        return this.#onHello(msg.payload, msg.id);
      case "heartbeat":
        return this.#onHeartbeat(msg.payload, msg.id);
      case "claim.accept":
        return this.#onAccept(msg.payload);
      case "claim.reject":
        return this.#onReject(msg.payload);
      case "claim.events":
        return this.#onEvents(msg.payload, msg.id);
      case "claim.done":
        return this.#onDone(msg.payload, msg.id);
      case "error":
        this.log.warn({ code: msg.payload.code, reason: msg.payload.message, re: msg.re }, "node reported an error");
        return;
    }
  }

  #now(): Date {
    return new Date(this.deps.clock.now());
  }

  #desired(): NodeDesired {
    return { cordoned: this.#node.cordoned, draining: this.#node.draining, labels: this.#node.labels };
  }

  #ids(c: { claimId: string; taskId: string; token: number }) {
    return { claimId: c.claimId, taskId: c.taskId, token: c.token, nodeId: this.#node.id };
  }

  #refused(revoke: ClaimRevoke, type: string): void {
    this.deps.journal.refused(this.#ids(revoke), type);
    this.revoke(revoke);
  }

  async #onHello(hello: Payload<"hello">, id?: string): Promise<void> {
    if (this.#hello) return this.#error("invalid_state", "hello was already received", id);
    if (hello.protocol !== PROTOCOL_VERSION) {
      this.close(CloseCode.versionMismatch, `protocol ${hello.protocol} not supported (coordinator speaks ${PROTOCOL_VERSION})`);
      return;
    }
    if (hello.nodeId !== this.#node.id) return this.#error("invalid_payload", "hello.nodeId does not match the token", id);
    clearTimeout(this.#helloTimer);
    const { db, leaseMs } = this.deps;
    const before = this.#node.state;
    this.#node = await markConnected(db, this.#node, hello, this.sessionId, this.#now(), leaseMs);
    this.#hello = hello;
    this.#draining = hello.draining;
    this.#leaseUntil = this.deps.clock.now() + leaseMs;
    this.send(
      "welcome",
      {
        sessionId: this.sessionId,
        nodeId: this.#node.id,
        version: MUSTER_VERSION,
        heartbeatIntervalMs: this.deps.heartbeatIntervalMs,
        leaseMs,
        leaseGraceMs: this.deps.leaseGraceMs,
        desired: this.#desired(),
        serverTime: this.deps.clock.now(),
      },
      id ? { re: id } : {},
    );
    this.log.info({ capacity: hello.capacity, agents: hello.agents.map((a) => a.name), claims: hello.claims.length }, "node connected");
    if (before !== this.#node.state) this.deps.journal.nodeState(this.#node.id, this.#node.state as NodeState);
    const rec = await reconcileClaims(db, this.#node.id, hello.claims, this.#reconcileOptions(true));
    this.#sendReconciliation(rec);
    void this.deps.scheduler.request("node connected");
  }

  #reconcileOptions(askResend: boolean) {
    return { leaseMs: this.deps.leaseMs, now: this.#now(), askResend, policy: this.deps.policy };
  }

  async #onHeartbeat(beat: Payload<"heartbeat">, id?: string): Promise<void> {
    const now = this.#now();
    const capacityChanged = beat.capacity !== this.#hello!.capacity || beat.draining !== this.#draining;
    this.#hello = { ...this.#hello!, capacity: beat.capacity };
    this.#draining = beat.draining;
    const renewed = await this.deps.leases.renew({
      nodeId: this.#node.id,
      sessionId: this.sessionId,
      seenAt: now,
      expiresAt: new Date(now.getTime() + this.deps.leaseMs),
      capacity: beat.capacity,
      draining: beat.draining,
    });
    if (!renewed) {
      // Another session owns the node now, or it was revoked: this socket has no say any more.
      this.close(CloseCode.replaced, "session is no longer current");
      return;
    }
    this.#leaseUntil = now.getTime() + this.deps.leaseMs;
    this.#node = { ...this.#node, state: renewed.state, cordoned: renewed.cordoned, draining: renewed.draining, labels: renewed.labels };
    if (renewed.previousState !== renewed.state) this.deps.journal.nodeState(renewed.id, renewed.state);
    const rec = await reconcileClaims(this.deps.db, this.#node.id, beat.claims, this.#reconcileOptions(false));
    this.#sendReconciliation(rec, id);
    if (capacityChanged || rec.expired.length > 0 || renewed.previousState === "lost") void this.deps.scheduler.request("node heartbeat");
  }

  #sendReconciliation(rec: Reconciliation, re?: string): void {
    this.send(
      "heartbeat.ack",
      {
        leaseMs: this.deps.leaseMs,
        revoke: rec.revoke,
        offers: rec.offers,
        resend: rec.resend,
        answers: rec.answers,
        tells: rec.tells,
        desired: this.#desired(),
      },
      re ? { re } : {},
    );
    for (const ack of rec.doneAcks) this.send("ack", ack);
    for (const e of rec.expired) {
      this.deps.journal.expired(this.#ids({ ...e.claim, claimId: e.claim.id }), "interrupted");
      this.deps.journal.taskState(e.taskId, e.state, null);
    }
    if (rec.revoke.length > 0) this.log.info({ claims: rec.revoke.map((r) => r.claimId) }, "claims revoked by reconciliation");
  }

  async #onAccept(msg: Payload<"claim.accept">): Promise<void> {
    const res = await acceptClaim(this.deps.db, this.#node.id, msg, this.#now());
    if (!res.ok) return this.#refused(res.revoke, "claim.accept");
    if (res.value.changed) this.deps.journal.accepted(this.#ids(msg));
  }

  async #onReject(msg: Payload<"claim.reject">): Promise<void> {
    const res = await rejectClaim(this.deps.db, this.#node.id, msg, this.#now());
    if (!res.ok) return;
    this.log.info({ taskId: msg.taskId, reason: msg.reason }, "claim rejected by node");
    this.deps.journal.taskState(msg.taskId, "queued", null);
    this.deps.scheduler.noteRefusal(msg.taskId, this.#node.id);
    void this.deps.scheduler.request("claim rejected");
  }

  async #onEvents(msg: Payload<"claim.events">, id?: string): Promise<void> {
    const res = await storeRecords(this.deps.db, this.#node.id, msg, this.#now());
    if (!res.ok) return this.#refused(res.revoke, "claim.events");
    const { claimId, taskId, token } = msg;
    const { seq, started, fromSeq } = res.value;
    this.send("ack", { claimId, taskId, token, seq, done: false }, id ? { re: id } : {});
    if (fromSeq <= seq) this.deps.journal.recordsStored(this.#ids(msg), fromSeq, seq);
    if (started) this.deps.journal.taskState(taskId, "running", claimId);
    if (res.value.asks.length > 0) this.deps.onAsks(res.value.asks);
  }

  async #onDone(msg: Payload<"claim.done">, id?: string): Promise<void> {
    const res = await finishClaim(this.deps.db, this.#node.id, msg, this.#now(), this.deps.policy);
    if (!res.ok) return this.#refused(res.revoke, "claim.done");
    const { claimId, taskId, token } = msg;
    const ids = id ? { re: id } : {};
    if (!res.value.stored) {
      this.send("ack", { claimId, taskId, token, seq: res.value.seq, done: false }, ids);
      this.send("heartbeat.ack", {
        leaseMs: this.deps.leaseMs,
        resend: [{ claimId, token, fromSeq: res.value.seq + 1 }],
        desired: this.#desired(),
      });
      return;
    }
    this.send("ack", { claimId, taskId, token, seq: msg.lastSeq, done: true }, ids);
    if (!res.value.repeated) {
      const { status, reason, exitCode } = msg.outcome;
      this.log.info({ taskId, claimId, status, reason, exitCode }, "claim finished");
      this.deps.journal.resultStored(this.#ids(msg), { status, reason, exitCode });
      this.deps.journal.taskState(taskId, res.value.task.state as never, claimId);
    }
    void this.deps.scheduler.request("slot freed");
  }
}
