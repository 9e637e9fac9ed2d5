// The claims this node holds and their workers: admission (capacity, agent), work dirs, start, stop, results.
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { ClaimDone, ClaimOffer, ClaimPhase, ClaimRecord, ClaimReject, ClaimReport, TaskSpec } from "@muster/protocol";
import type { AgentCheck, AgentEntry, AgentRun } from "../agents/catalog.js";
import { createOutputParser } from "../agents/parsers/index.js";
import type { Logger } from "../log.js";
import { workerEnv } from "./env.js";
import { NO_JOURNAL, NO_WATCHDOG, type ClaimJournal, type WorkerWatchdog } from "./journal.js";
import { claimOutcome, type StopCause, type WorkerEnd } from "./outcome.js";
import { startWorker, type Worker } from "./worker.js";

export interface HeldClaim {
  readonly claimId: string;
  readonly taskId: string;
  readonly token: number;
  readonly attempt: number;
  readonly task: TaskSpec;
  readonly workdir: string;
  phase: ClaimPhase;
  /** Highest record seq produced so far. */
  lastSeq: number;
  /** Set when the worker has ended; sent as claim.done until the coordinator acks it. */
  done: ClaimDone | null;
}

/** A claim read back from the outbox after a restart; its worker is gone, so it only waits for its result's ack. */
export interface RestoredClaim {
  offer: ClaimOffer;
  done: ClaimDone;
  phase: "exited" | "interrupted";
}

export type OfferDecision =
  | { accept: true; duplicate: boolean }
  | { accept: false; reason: ClaimReject["reason"]; message: string };

export interface SupervisorListener {
  recordProduced(claim: HeldClaim, record: ClaimRecord): void;
  claimExited(claim: HeldClaim): void;
  /** No claim is held and no stopped worker is still dying. */
  idle(): void;
}

/** The part of the agent catalog the supervisor uses. */
export interface AgentResolver {
  check(task: TaskSpec): AgentCheck;
  /** The agent's own limit of claims at once, or null. */
  limit?(name: string): number | null;
}

export interface SupervisorOptions {
  capacity: number;
  dataDir: string;
  agents: AgentResolver;
  passEnv: readonly string[];
  daemonEnv: NodeJS.ProcessEnv;
  log: Logger;
  killGraceMs?: number;
  now?: () => number;
  /** Where claims, worker process groups and results are written down; nothing by default. */
  journal?: ClaimJournal;
  /** Kills the workers should the daemon die; nothing by default. */
  watchdog?: WorkerWatchdog;
}

interface Slot {
  claim: HeldClaim;
  worker: Worker | null;
  /** Set when the node stops the claim before or while it runs. */
  stopCause: StopCause | null;
  /** Settles when the claim's worker has ended (or never started). */
  settled: Promise<void>;
}

const NO_LISTENER: SupervisorListener = { recordProduced() {}, claimExited() {}, idle() {} };

export class Supervisor {
  private readonly slots = new Map<string, Slot>();
  /** Workers of revoked claims, still between SIGTERM and their end; they take capacity until gone. */
  private readonly dying = new Set<Worker>();
  private listener = NO_LISTENER;
  private readonly now: () => number;
  private readonly journal: ClaimJournal;
  private readonly watchdog: WorkerWatchdog;

  constructor(private readonly opts: SupervisorOptions) {
    this.now = opts.now ?? Date.now;
    this.journal = opts.journal ?? NO_JOURNAL;
    this.watchdog = opts.watchdog ?? NO_WATCHDOG;
  }

  subscribe(listener: SupervisorListener): void {
    this.listener = listener;
  }

  get(claimId: string): HeldClaim | undefined {
    return this.slots.get(claimId)?.claim;
  }

  claims(): HeldClaim[] {
    return [...this.slots.values()].map((s) => s.claim);
  }

  reports(): ClaimReport[] {
    return this.claims().map(({ claimId, taskId, token, phase, lastSeq }) => ({
      claimId,
      taskId,
      token,
      phase,
      lastSeq,
      waitingAsks: [],
    }));
  }

  /** Live claims of one agent. */
  busyWith(agent: string): number {
    let n = 0;
    for (const { claim } of this.slots.values())
      if ((claim.phase === "accepted" || claim.phase === "running") && claim.task.agent === agent) n += 1;
    return n;
  }

  /** Claims using a worker slot: accepted or running, plus revoked workers not yet dead. */
  busy(): number {
    let n = this.dying.size;
    for (const { claim } of this.slots.values()) if (claim.phase === "accepted" || claim.phase === "running") n += 1;
    return n;
  }

  isIdle(): boolean {
    return this.slots.size === 0 && this.dying.size === 0;
  }

  /** Decides on an offer and, when it is new and accepted, starts its worker. */
  offer(offer: ClaimOffer, { draining }: { draining: boolean }): OfferDecision {
    const held = this.slots.get(offer.claimId);
    if (held) {
      if (held.claim.token === offer.token) return { accept: true, duplicate: true };
      return { accept: false, reason: "duplicate", message: `claim ${offer.claimId} is held with token ${held.claim.token}` };
    }
    if (draining) return { accept: false, reason: "draining", message: "the node is draining" };
    const check = this.opts.agents.check(offer.task);
    if (!check.ok) return { accept: false, reason: check.reason, message: check.message };
    if (this.busy() >= this.opts.capacity)
      return { accept: false, reason: "no_capacity", message: `all ${this.opts.capacity} slots are busy` };
    const limit = this.opts.agents.limit?.(offer.task.agent) ?? null;
    if (limit !== null && this.busyWith(offer.task.agent) >= limit)
      return { accept: false, reason: "no_capacity", message: `${limit} ${offer.task.agent} claims already run here (its limit)` };
    try {
      this.journal.opened(offer);
    } catch (err) {
      this.opts.log.error({ err, claimId: offer.claimId }, "cannot record the claim; rejecting it");
      return { accept: false, reason: "no_capacity", message: `the node cannot record the claim: ${(err as Error).message}` };
    }
    const claim = this.heldClaim(offer, "accepted", null);
    const slot: Slot = { claim, worker: null, stopCause: null, settled: Promise.resolve() };
    this.slots.set(claim.claimId, slot);
    slot.settled = this.run(slot, check.agent);
    return { accept: true, duplicate: false };
  }

  /** Takes back the claims a previous daemon held; they are reported until the coordinator acks their results. */
  restore(claims: readonly RestoredClaim[]): void {
    for (const { offer, done, phase } of claims) {
      if (this.slots.has(offer.claimId)) continue;
      const claim = this.heldClaim(offer, phase, done);
      this.slots.set(claim.claimId, { claim, worker: null, stopCause: null, settled: Promise.resolve() });
    }
  }

  /**
   * The node's lease ran out: stops every claim whose task must not run on without one (onDisconnect stop),
   * with SIGKILL after `graceMs`; their results say `lost`. Returns how many were stopped and kept.
   */
  fence(graceMs: number): { stopped: number; kept: number } {
    let stopped = 0;
    let kept = 0;
    for (const slot of this.slots.values()) {
      if (slot.stopCause || (slot.claim.phase !== "accepted" && slot.claim.phase !== "running")) continue;
      if (slot.claim.task.onDisconnect === "keep") {
        kept += 1;
        continue;
      }
      stopped += 1;
      slot.stopCause = "lost";
      slot.worker?.stop("lost", graceMs);
    }
    return { stopped, kept };
  }

  /** Stops the claim's worker and forgets the claim at once; it produces no result. */
  revoke(claimId: string): boolean {
    const slot = this.slots.get(claimId);
    if (!slot) return false;
    this.slots.delete(claimId);
    slot.stopCause = "revoked";
    const worker = slot.worker;
    if (worker && slot.claim.phase === "running") {
      this.dying.add(worker);
      worker.stop("revoked");
      void worker.ended.then(() => {
        this.dying.delete(worker);
        this.checkIdle();
      });
    }
    this.checkIdle();
    return true;
  }

  /** Drops a claim whose result the coordinator has stored. */
  forget(claimId: string): void {
    const slot = this.slots.get(claimId);
    if (!slot || slot.claim.done === null) return;
    this.slots.delete(claimId);
    this.checkIdle();
  }

  /**
   * Stops every worker; each claim still ends with a result (failed, interrupted). Settles when all
   * workers, including revoked ones still dying, have ended.
   */
  stopAll(cause: Exclude<StopCause, "revoked" | "timeout" | "budget">): Promise<void> {
    const waits: Promise<unknown>[] = [...this.dying].map((w) => w.ended);
    for (const slot of this.slots.values()) {
      waits.push(slot.settled);
      if (slot.claim.done || slot.stopCause) continue;
      slot.stopCause = cause;
      slot.worker?.stop(cause);
    }
    return Promise.all(waits).then(() => undefined);
  }

  private async run(slot: Slot, agent: AgentEntry): Promise<void> {
    const { claim } = slot;
    const run: AgentRun = { task: claim.task, workdir: claim.workdir, promptFile: join(claim.workdir, ".muster", "prompt.md") };
    let end: WorkerEnd;
    try {
      await this.prepareWorkdir(run);
      if (slot.stopCause === "revoked") return;
      if (slot.stopCause) end = { kind: "exited", exitCode: null, signal: null, stoppedBy: slot.stopCause };
      else end = await this.runWorker(slot, agent, run);
    } catch (err) {
      end = { kind: "spawn_failed", message: `cannot start the worker: ${(err as Error).message}` };
    }
    if (slot.stopCause === "revoked") return;
    this.finish(slot, end);
  }

  private heldClaim(offer: ClaimOffer, phase: ClaimPhase, done: ClaimDone | null): HeldClaim {
    return {
      claimId: offer.claimId,
      taskId: offer.taskId,
      token: offer.token,
      attempt: offer.attempt,
      task: offer.task,
      workdir: join(this.opts.dataDir, "work", offer.claimId),
      phase,
      lastSeq: done?.lastSeq ?? 0,
      done,
    };
  }

  private async prepareWorkdir({ task, workdir, promptFile }: AgentRun): Promise<void> {
    await mkdir(workdir, { recursive: true });
    if (task.prompt !== null) {
      await mkdir(join(workdir, ".muster"), { recursive: true });
      await writeFile(promptFile, task.prompt, { mode: 0o600 });
    }
  }

  private async runWorker(slot: Slot, agent: AgentEntry, run: AgentRun): Promise<WorkerEnd> {
    const { claim } = slot;
    const command = agent.command(run);
    this.watchdog.watch(claim.claimId);
    const worker = startWorker({
      command,
      ...(agent.format ? { parser: createOutputParser(agent.format) } : {}),
      maxCostUsd: claim.task.maxCostUsd,
      cwd: claim.workdir,
      env: workerEnv({
        daemonEnv: this.opts.daemonEnv,
        passEnv: this.opts.passEnv,
        taskEnv: claim.task.env,
        taskId: claim.taskId,
        claimId: claim.claimId,
        attempt: claim.attempt,
        workdir: claim.workdir,
      }),
      timeoutMs: claim.task.timeoutMs,
      ...(this.opts.killGraceMs !== undefined ? { killGraceMs: this.opts.killGraceMs } : {}),
      now: this.now,
      onRecord: (record) => {
        claim.lastSeq = record.seq;
        if (slot.stopCause !== "revoked") this.listener.recordProduced(claim, record);
      },
    });
    slot.worker = worker;
    if (worker.pid !== undefined) {
      claim.phase = "running";
      // Detached, so the worker leads its own group: its pid is the pgid.
      this.journal.workerStarted(claim.claimId, worker.pid);
      this.watchdog.started(claim.claimId, worker.pid);
    }
    this.opts.log.info({ claimId: claim.claimId, taskId: claim.taskId, pid: worker.pid, agent: claim.task.agent }, "worker started");
    const end = await worker.ended;
    this.watchdog.unwatch(claim.claimId);
    return end;
  }

  private finish(slot: Slot, end: WorkerEnd): void {
    const { claim } = slot;
    const outcome = claimOutcome(end, claim.task.timeoutMs);
    claim.phase = "exited";
    claim.done = {
      claimId: claim.claimId,
      taskId: claim.taskId,
      token: claim.token,
      lastSeq: claim.lastSeq,
      outcome,
      finishedAt: this.now(),
    };
    this.journal.finished(claim.done);
    this.opts.log.info(
      { claimId: claim.claimId, status: outcome.status, reason: outcome.reason, exitCode: outcome.exitCode, signal: outcome.signal },
      "worker ended",
    );
    this.listener.claimExited(claim);
  }

  private checkIdle(): void {
    if (this.isIdle()) this.listener.idle();
  }
}
