// The claims this node holds and their workers: admission (capacity, agent), start, stop, results.
import { join } from "node:path";
import type { ClaimDone, ClaimOffer, ClaimOutcome, ClaimPhase, ClaimRecord, ClaimReject, ClaimReport, TaskSpec } from "@muster/protocol";
import type { AgentCheck, AgentEntry } from "../agents/catalog.js";
import { createOutputParser } from "../agents/parsers/index.js";
import type { AskChannel, AskEndpoints } from "../asks/channel.js";
import type { Logger } from "../log.js";
import { NO_SANDBOX, type ClaimSandbox, type SandboxedSpawn, type WorkerSandbox } from "../sandbox/sandbox.js";
import { Workspaces } from "../workspace/workspaces.js";
import { runAttempt, type AttemptContext, type ProcessOptions } from "./attempt.js";
import { workerEnv } from "./env.js";
import { NO_JOURNAL, NO_WATCHDOG, type ClaimJournal, type WorkerWatchdog } from "./journal.js";
import { claimOutcome, type StopCause, type WorkerEnd } from "./outcome.js";
import { OutputCap } from "./output-cap.js";
import { newSlot, type ClaimRecordBody, type Slot } from "./slot.js";
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
  /** Git worktrees for tasks with a repository; by default under dataDir with the default policy. */
  workspaces?: Workspaces;
  /** Where approval gates ask; without one a gated task fails as not approved. */
  asks?: AskChannel;
  /** Each claim's local endpoint for `muster ask` and `muster told`, and what heartbeats report of its asks and tells. */
  endpoints?: AskEndpoints;
  /** Goes first on a worker's PATH: the directory with the `muster` CLI. */
  musterBinDir?: string | null;
  /** What keeps each worker from the node and from other claims; none by default. */
  sandbox?: WorkerSandbox;
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
  private readonly workspaces: Workspaces;

  constructor(private readonly opts: SupervisorOptions) {
    this.now = opts.now ?? Date.now;
    this.journal = opts.journal ?? NO_JOURNAL;
    this.watchdog = opts.watchdog ?? NO_WATCHDOG;
    this.workspaces = opts.workspaces ?? new Workspaces({ dataDir: opts.dataDir, log: opts.log });
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
      ...(this.opts.endpoints?.report(claimId) ?? { waitingAsks: [], tellsReceived: [] }),
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
    const slot = newSlot(claim);
    this.slots.set(claim.claimId, slot);
    slot.settled = this.run(slot, check.agent);
    return { accept: true, duplicate: false };
  }

  /** Takes back the claims a previous daemon held; they are reported until the coordinator acks their results. */
  restore(claims: readonly RestoredClaim[]): void {
    for (const { offer, done, phase } of claims) {
      if (this.slots.has(offer.claimId)) continue;
      const claim = this.heldClaim(offer, phase, done);
      this.slots.set(claim.claimId, newSlot(claim));
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
      this.stopSlot(slot, "lost", graceMs);
    }
    return { stopped, kept };
  }

  /** Stops the claim's worker and forgets the claim at once; it produces no result. */
  revoke(claimId: string): boolean {
    const slot = this.slots.get(claimId);
    if (!slot) return false;
    this.slots.delete(claimId);
    this.stopSlot(slot, "revoked");
    const worker = slot.worker;
    if (worker && slot.claim.phase === "running") {
      this.dying.add(worker);
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
    const { task, workdir } = slot.claim;
    if (task.repo)
      this.workspaces
        .release(task.repo.url, workdir, slot.claim.done.outcome.status)
        .catch((err: unknown) => this.opts.log.warn({ err, claimId, workdir }, "cannot remove the workspace"));
    this.checkIdle();
  }

  /** The work dirs of the claims held now; their workspaces are never pruned. */
  workdirs(): string[] {
    return this.claims().map((c) => c.workdir);
  }

  /** Adds a record (an ask, a progress note) to a live claim's stream, stamped with its next seq. */
  appendRecord(claimId: string, body: ClaimRecordBody): ClaimRecord | null {
    const slot = this.slots.get(claimId);
    if (!slot || slot.claim.done) return null;
    const record = { ...body, seq: slot.claim.lastSeq + 1, ts: this.now() } as ClaimRecord;
    this.produced(slot, record);
    return record;
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
      this.stopSlot(slot, cause);
    }
    return Promise.all(waits).then(() => undefined);
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

  private stopSlot(slot: Slot, cause: StopCause, graceMs?: number): void {
    slot.stopCause = cause;
    slot.markStopped(cause);
    slot.abort.abort();
    slot.worker?.stop(cause, graceMs);
  }

  private produced(slot: Slot, record: ClaimRecord): void {
    slot.claim.lastSeq = record.seq;
    if (slot.stopCause !== "revoked") this.listener.recordProduced(slot.claim, record);
  }

  private async run(slot: Slot, agent: AgentEntry): Promise<void> {
    const { claimId } = slot.claim;
    let outcome: ClaimOutcome;
    try {
      const askEnv = (await this.opts.endpoints?.open(claimId, (body) => this.appendRecord(claimId, body) !== null)) ?? {};
      outcome = await runAttempt(this.attemptContext(slot, agent, askEnv));
    } catch (err) {
      outcome = claimOutcome({ kind: "spawn_failed", message: `cannot run the claim: ${(err as Error).message}` }, 0);
    } finally {
      await slot.sandbox?.close();
      this.opts.endpoints?.close(claimId);
    }
    if (slot.stopCause === "revoked") return;
    this.finish(slot, outcome);
  }

  private attemptContext(slot: Slot, agent: AgentEntry, askEnv: Record<string, string>): AttemptContext {
    const { claim } = slot;
    const env = workerEnv({
      askEnv,
      musterBinDir: this.opts.musterBinDir ?? null,
      daemonEnv: this.opts.daemonEnv,
      passEnv: this.opts.passEnv,
      taskEnv: claim.task.env,
      taskId: claim.taskId,
      claimId: claim.claimId,
      attempt: claim.attempt,
      workdir: claim.workdir,
      prompt: claim.task.prompt !== null,
    });
    const outputCap = claim.task.outputCapBytes !== null ? new OutputCap(claim.task.outputCapBytes) : undefined;
    return {
      claim,
      agent,
      parser: agent.format ? createOutputParser(agent.format) : undefined,
      workspaces: this.workspaces,
      asks: this.opts.asks ?? null,
      log: this.opts.log,
      now: this.now,
      spawn: (command, opts) => this.spawn(slot, command, { ...opts, env, outputCap }),
      progress: (message) => void this.appendRecord(claim.claimId, { kind: "progress", message }),
      stopCause: () => slot.stopCause,
      stopped: slot.stopped,
      signal: slot.abort.signal,
    };
  }

  /** Runs one process of the claim (the agent or its verify step) in the work dir, as the slot's worker. */
  private async spawn(
    slot: Slot,
    command: readonly string[],
    opts: ProcessOptions & { env: Record<string, string>; outputCap: OutputCap | undefined },
  ): Promise<WorkerEnd> {
    const { claim } = slot;
    if (slot.stopCause) return { kind: "exited", exitCode: null, signal: null, stoppedBy: slot.stopCause };
    let sandbox: ClaimSandbox;
    try {
      sandbox = slot.sandbox ??= await (this.opts.sandbox ?? NO_SANDBOX).enter({
        claimId: claim.claimId,
        workdir: claim.workdir,
        env: opts.env,
        network: claim.task.network ?? null,
      });
    } catch (err) {
      this.opts.log.warn({ claimId: claim.claimId, err }, "cannot sandbox the worker");
      return { kind: "spawn_failed", message: `cannot sandbox the worker: ${(err as Error).message}` };
    }
    if (slot.stopCause) return { kind: "exited", exitCode: null, signal: null, stoppedBy: slot.stopCause };
    let run: SandboxedSpawn;
    try {
      run = sandbox.wrap(command);
    } catch (err) {
      return { kind: "spawn_failed", message: (err as Error).message };
    }
    this.watchdog.watch(claim.claimId);
    const worker = startWorker({
      command: run.command,
      shownCommand: command,
      ...(run.uid !== undefined ? { uid: run.uid } : {}),
      ...(run.gid !== undefined ? { gid: run.gid } : {}),
      cwd: claim.workdir,
      env: run.env,
      timeoutMs: opts.timeoutMs,
      announce: opts.announce,
      ...(opts.parser ? { parser: opts.parser } : {}),
      maxCostUsd: opts.maxCostUsd ?? null,
      idleTimeoutMs: claim.task.idleTimeoutMs,
      ...(opts.outputCap ? { outputCap: opts.outputCap } : {}),
      ...(this.opts.killGraceMs !== undefined ? { killGraceMs: this.opts.killGraceMs } : {}),
      now: this.now,
      nextSeq: () => claim.lastSeq + 1,
      onRecord: (record) => this.produced(slot, record),
    });
    slot.worker = worker;
    if (worker.pid !== undefined) {
      claim.phase = "running";
      // Detached, so the worker leads its own group: its pid is the pgid.
      this.journal.workerStarted(claim.claimId, worker.pid);
      this.watchdog.started(claim.claimId, worker.pid);
    }
    this.opts.log.info({ claimId: claim.claimId, taskId: claim.taskId, pid: worker.pid, agent: claim.task.agent, command: command[0] }, "worker started");
    const end = await worker.ended;
    this.watchdog.unwatch(claim.claimId);
    return end;
  }

  private finish(slot: Slot, outcome: ClaimOutcome): void {
    const { claim } = slot;
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
