// The pulse (DESIGN §12): sensors watch the world; on a change a decide task picks the single most important move,
// which is stored, then carried out. Each tick runs its steps under the pulse lock; all state is in the database,
// so a restarted coordinator (or another one) picks up where this one stopped.
import type { AskRow } from "../asks/asks.js";
import { toTellMessage } from "../asks/tells.js";
import type { Clock } from "../clock.js";
import type { Journal as History } from "../events/journal.js";
import type { Gateway } from "../gateway/gateway.js";
import type { Logger } from "../log.js";
import type { Scheduler } from "../scheduler/scheduler.js";
import type { Db } from "../store/db.js";
import { actOn, openDecisions, settleGates, type ActOutcome } from "./act.js";
import { beat, collectDecision, type BeatOptions, type BeatOutcome, type Collected } from "./decide.js";
import { underPulseLock } from "./lock.js";
import { collectReadings, launchDueSensors } from "./sensors.js";
import { appendJournal, ensurePulse, readPulse } from "./store.js";

/** A noop this old is decided again even when nothing changed. */
export const STALE_NOOP_MS = 6 * 3_600_000;

export interface PulseDeps extends BeatOptions {
  db: Db;
  log: Logger;
  clock: Clock;
  history: History;
  scheduler: Pick<Scheduler, "request">;
  gateway: Pick<Gateway, "session">;
  tickMs: number;
  gates: readonly RegExp[];
  /** Tests only: die (SIGKILL) right after a decision is stored, before its move is carried out. */
  exitAfterDecided?: boolean;
}

export class Pulse {
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  #running: Promise<void> | null = null;
  #budgetNoted = false;

  constructor(private readonly deps: PulseDeps) {}

  async start(): Promise<void> {
    await this.deps.db.transaction((tx) => ensurePulse(tx, this.#now()));
    this.#schedule(0);
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }

  /** One tick now (also what the timer runs); resolves when it is done. */
  tickNow(): Promise<void> {
    this.#running ??= this.#tick().finally(() => (this.#running = null));
    return this.#running;
  }

  #now(): Date {
    return new Date(this.deps.clock.now());
  }

  #schedule(delayMs: number): void {
    if (this.#stopped) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      void this.tickNow().then(() => this.#schedule(this.deps.tickMs));
    }, delayMs);
    this.#timer.unref();
  }

  async #tick(): Promise<void> {
    try {
      const collected = await this.#sense();
      if (collected === null) return;
      if (collected.kind === "decided" && this.deps.exitAfterDecided) {
        this.deps.log.warn({ decisionId: collected.decision.id }, "exiting after a stored decision (test hook)");
        process.kill(process.pid, "SIGKILL");
      }
      await this.#act();
      const outcome = await underPulseLock(this.deps.db, (tx) => beat(tx, this.#now(), this.deps));
      if (outcome) await this.#afterBeat(outcome);
    } catch (err) {
      this.deps.log.error({ err }, "pulse tick failed");
    }
  }

  /** Readings in, sensors out, answered gates settled, and the decide task's move collected. Null: not ours. */
  async #sense(): Promise<Collected | { kind: "none" } | null> {
    const now = this.#now();
    const result = await underPulseLock(this.deps.db, async (tx) => {
      const state = await readPulse(tx, true);
      const readings = await collectReadings(tx, now);
      const launched = state.paused ? [] : await launchDueSensors(tx, now);
      await settleGates(tx, now);
      const collected: Collected | { kind: "none" } = state.decidingId ? await collectDecision(tx, state, now, this.deps) : { kind: "none" };
      return { readings, launched, collected };
    });
    if (!result) return null;
    for (const taskId of result.launched) this.deps.history.submitted(taskId);
    if (result.launched.length) void this.deps.scheduler.request("sensor due");
    if (result.collected.kind === "decided") this.deps.log.info({ decisionId: result.collected.decision.id }, "move decided");
    if (result.collected.kind === "failed") this.deps.log.warn({ error: result.collected.error }, "beat failed");
    return result.collected;
  }

  /** Carries out every stored decision not yet done: new ones, approved ones, and any a crash left behind. */
  async #act(): Promise<void> {
    const ids = (await underPulseLock(this.deps.db, (tx) => openDecisions(tx))) ?? [];
    for (const id of ids) {
      const outcome = await underPulseLock(this.deps.db, (tx) => actOn(tx, id, this.#now(), this.deps.gates, this.deps));
      if (outcome) this.#afterAct(id, outcome);
    }
  }

  #afterAct(decisionId: string, outcome: ActOutcome): void {
    const { log, history, scheduler, gateway } = this.deps;
    if (outcome.kind === "gated") {
      log.info({ decisionId, askId: outcome.ask.id }, "move waits for approval");
      this.#askChanged(outcome.ask);
    } else if (outcome.kind === "failed") {
      log.warn({ decisionId, error: outcome.error }, "move failed");
    } else if (outcome.kind === "done") {
      const fx = outcome.effects;
      log.info({ decisionId, submitted: fx.submitted }, "move done");
      for (const taskId of fx.submitted) history.submitted(taskId);
      if (fx.revoke) gateway.session(fx.revoke.nodeId)?.revoke(fx.revoke.message);
      if (fx.cancelled) history.taskState(fx.cancelled, "cancelled", null);
      if (fx.tell) gateway.session(fx.tell.nodeId)?.send("tell", toTellMessage(fx.tell));
      if (fx.submitted.length || fx.revoke) void scheduler.request("pulse move");
    }
  }

  #askChanged(ask: AskRow): void {
    this.deps.history.ask({ askId: ask.id, taskId: ask.taskId, claimId: ask.claimId, state: ask.state });
  }

  async #afterBeat(outcome: BeatOutcome): Promise<void> {
    if (outcome.kind === "deciding") {
      this.#budgetNoted = false;
      this.deps.log.info({ decisionId: outcome.decisionId, taskId: outcome.taskId }, "deciding");
      this.deps.history.submitted(outcome.taskId);
      void this.deps.scheduler.request("pulse decide");
    } else if (outcome.kind === "budget" && !this.#budgetNoted) {
      // Said once per stretch of waiting, not at every tick.
      this.#budgetNoted = true;
      const now = this.#now();
      await this.deps.db.transaction((tx) =>
        appendJournal(tx, "skip", `decide budget spent (${outcome.decides} decides in the last hour); waiting`, null, now),
      );
    }
  }
}
