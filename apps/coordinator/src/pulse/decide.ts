// Deciding: a beat that found a change submits one decide task (the tick agent with the prompt in
// $MUSTER_PROMPT_FILE); when it ends, exactly one valid move in its result file becomes a stored decision.
// Anything else is a failed beat with a backoff, never a guess.
import { clampIntervalS, isTerminalTaskState, parseMove, type TaskState } from "@muster/protocol";
import { count, desc, eq, gt, inArray, lte, notInArray, sql } from "drizzle-orm";
import { newId } from "../ids.js";
import type { Tx } from "../store/db.js";
import { decisions, schedules, sensors, tasks } from "../store/schema.js";
import { changedSignals } from "./hash.js";
import { buildPrompt } from "./prompt.js";
import { appendJournal, fireDueSchedules, readPulse, updatePulse, type PulseStateRow } from "./store.js";
import { readWorld } from "./world.js";

export interface BeatOptions {
  backoffMs: number;
  backoffMaxMs: number;
  decideTimeoutMs: number;
  /** A noop this old is decided again even when nothing changed. */
  staleNoopMs: number;
}

export type DecisionRow = typeof decisions.$inferSelect;

export type BeatOutcome =
  | { kind: "blocked" }
  | { kind: "not_due" }
  | { kind: "unchanged" }
  | { kind: "budget"; decides: number }
  | { kind: "deciding"; decisionId: string; taskId: string };

const HOUR_MS = 3_600_000;

export async function decidesInLastHour(tx: Tx, now: Date): Promise<number> {
  const [row] = await tx.select({ n: count() }).from(decisions).where(gt(decisions.createdAt, new Date(now.getTime() - HOUR_MS)));
  return row?.n ?? 0;
}

/** One beat: look at the world and, if it changed (or a person or schedule asks), submit a decide task. */
export async function beat(tx: Tx, now: Date, opts: BeatOptions): Promise<BeatOutcome> {
  const state = await readPulse(tx, true);
  if (state.paused || state.decidingId) return { kind: "blocked" };
  const [open] = await tx.select({ id: decisions.id }).from(decisions).where(inArray(decisions.state, ["decided", "waiting"])).limit(1);
  if (open) return { kind: "blocked" };
  if (state.backoffUntil && state.backoffUntil > now) return { kind: "blocked" };
  const [dueSchedule] = await tx.select({ name: schedules.name }).from(schedules).where(lte(schedules.nextAt, now)).limit(1);
  const due = state.beatRequested || dueSchedule !== undefined || !state.nextBeatAt || state.nextBeatAt <= now;
  if (!due) return { kind: "not_due" };
  const decides = await decidesInLastHour(tx, now);
  if (decides >= state.maxDecidesPerHour) return { kind: "budget", decides };

  const forcedBy = [...(state.beatRequested ? ["a person asked for a beat"] : [])];
  const snapshot = await readWorld(tx, state, now, forcedBy);
  const next = new Date(now.getTime() + state.intervalMs);
  const stale = state.lastDecisionAt !== null && now.getTime() - state.lastDecisionAt.getTime() >= opts.staleNoopMs && (await lastMoveWasNoop(tx));
  if (snapshot.hash === state.lastHash && !state.beatRequested && !dueSchedule && !stale) {
    await updatePulse(tx, { nextBeatAt: next }, now);
    return { kind: "unchanged" };
  }
  const fired = await fireDueSchedules(tx, now);
  snapshot.prompt.changed = [...snapshot.prompt.changed, ...fired.map((n) => `schedule ${n} is due`), ...(stale ? ["the last noop is over 6 h old"] : [])];
  await countFlapping(tx, state, snapshot.world.signals);
  const prompt = buildPrompt({ ...snapshot.prompt, lastFailure: state.lastFailure, now });
  const decisionId = newId("dcs", now.getTime());
  const taskId = await submitDecide(tx, state, prompt, decisionId, now, opts.decideTimeoutMs);
  await tx.insert(decisions).values({
    id: decisionId,
    state: "deciding",
    taskId,
    hash: snapshot.hash,
    prompt,
    idempotencyKey: `move:${decisionId}`,
    createdAt: now,
  });
  await updatePulse(
    tx,
    { decidingId: decisionId, lastHash: snapshot.hash, lastSignals: snapshot.world.signals, lastDecisionAt: now, beatRequested: false, nextBeatAt: next },
    now,
  );
  return { kind: "deciding", decisionId, taskId };
}

async function lastMoveWasNoop(tx: Tx): Promise<boolean> {
  const [last] = await tx.select({ move: decisions.move }).from(decisions).where(eq(decisions.state, "done")).orderBy(desc(decisions.createdAt)).limit(1);
  return last?.move?.move === "noop";
}

/** A sensor whose signal changed at this decision adds one to its streak; any other starts over. */
async function countFlapping(tx: Tx, state: PulseStateRow, signals: Record<string, unknown>): Promise<void> {
  const changed = changedSignals(state.lastSignals, signals);
  await tx.update(sensors).set({ changeStreak: 0 }).where(changed.length ? notInArray(sensors.name, changed) : undefined);
  if (changed.length) await tx.update(sensors).set({ changeStreak: sql`${sensors.changeStreak} + 1` }).where(inArray(sensors.name, changed));
}

async function submitDecide(tx: Tx, state: PulseStateRow, prompt: string, decisionId: string, now: Date, timeoutMs: number): Promise<string> {
  const { agent } = state;
  const custom = agent.argv.length > 0;
  const id = `tsk_${decisionId.slice(4)}`;
  await tx.insert(tasks).values({
    id,
    name: "pulse decide",
    agent: custom ? "exec" : agent.agent,
    argv: custom ? agent.argv : [],
    prompt,
    model: custom ? null : agent.model,
    selector: agent.selector,
    timeoutMs,
    maxAttempts: 1,
    createdBy: "pulse",
    queuedAt: now,
    createdAt: now,
    updatedAt: now,
  });
  return id;
}

export type Collected = { kind: "running" } | { kind: "decided"; decision: DecisionRow } | { kind: "failed"; error: string };

/** When the decide task has ended: its one move, stored as `decided`, or a failed beat. */
export async function collectDecision(tx: Tx, state: PulseStateRow, now: Date, opts: BeatOptions): Promise<Collected> {
  const [decision] = await tx.select().from(decisions).where(eq(decisions.id, state.decidingId!)).for("update");
  const [task] = decision?.taskId ? await tx.select().from(tasks).where(eq(tasks.id, decision.taskId)) : [];
  if (decision && task && !isTerminalTaskState(task.state as TaskState)) return { kind: "running" };
  const raw = task?.result ? JSON.stringify("error" in task.result ? task.result : task.result.value) : null;
  let error: string | null = null;
  let move: Record<string, unknown> | null = null;
  if (!decision || !task) error = "the decide task is gone";
  else if (task.state !== "succeeded") error = `the decide task ${task.state}${task.message ? `: ${task.message}` : ""}`;
  else if (!task.result) error = "the decider wrote no move to $MUSTER_RESULT_FILE";
  else if ("error" in task.result) error = `the decider's result: ${task.result.error}`;
  else {
    const parsed = parseMove(task.result.value);
    if (parsed.ok) move = parsed.move as Record<string, unknown>;
    else error = parsed.error;
  }
  if (decision)
    await tx
      .update(decisions)
      .set(error ? { state: "failed", raw, error, decidedAt: now, doneAt: now } : { state: "decided", raw, move, decidedAt: now })
      .where(eq(decisions.id, decision.id));
  await updatePulse(tx, { decidingId: null }, now);
  if (error) {
    await failBeat(tx, state, error, decision?.id ?? null, now, opts);
    return { kind: "failed", error };
  }
  const next = move?.next_interval_s;
  await updatePulse(tx, { failures: 0, backoffUntil: null, lastFailure: null, ...(typeof next === "number" ? { nextBeatAt: nextBeat(now, next) } : {}) }, now);
  const [stored] = await tx.select().from(decisions).where(eq(decisions.id, decision!.id));
  return { kind: "decided", decision: stored! };
}

function nextBeat(now: Date, seconds: number): Date {
  return new Date(now.getTime() + clampIntervalS(seconds) * 1000);
}

/** A failed beat: said in the journal, shown in the next prompt, and the pulse backs off (doubling, capped). */
export async function failBeat(tx: Tx, state: PulseStateRow, error: string, decisionId: string | null, now: Date, opts: BeatOptions): Promise<void> {
  const failures = state.failures + 1;
  const waitMs = Math.min(opts.backoffMaxMs, opts.backoffMs * 2 ** (failures - 1));
  // Forgetting the hash makes the next beat decide again once the backoff is over.
  await updatePulse(tx, { failures, backoffUntil: new Date(now.getTime() + waitMs), lastFailure: error, lastHash: null }, now);
  await appendJournal(tx, "failure", `beat failed: ${error}; next try in ${Math.round(waitMs / 1000)}s`, decisionId, now);
}
