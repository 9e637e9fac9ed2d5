// Reads what the decider sees: PLAYBOOK, goals, readings, workers, asks and the journal, and what changed since
// the last decision.
import { isTerminalTaskState, type TaskState } from "@muster/protocol";
import { and, desc, eq, inArray, max } from "drizzle-orm";
import { waitingTasks } from "../asks/asks.js";
import type { Tx } from "../store/db.js";
import { asks, claimRecords, pulseJournal, pulseWorkers, sensors, tasks } from "../store/schema.js";
import { canonicalJson, changedSignals, worldHash, type World } from "./hash.js";
import type { PromptInput, PromptReading, PromptWorker } from "./prompt.js";
import { latestReadings } from "./sensors.js";
import { activeGoals, latestPlaybook, type PulseStateRow } from "./store.js";

/** No output and no pending ask for this long: the worker is shown as stuck. */
export const STUCK_AFTER_MS = 15 * 60_000;
/** A signal that changed at this many decisions in a row is flapping. */
export const FLAPPING_STREAK = 5;

export interface Snapshot {
  world: World;
  hash: string;
  prompt: Omit<PromptInput, "lastFailure" | "now">;
}

export async function readWorld(tx: Tx, state: PulseStateRow, now: Date, extraChanges: readonly string[]): Promise<Snapshot> {
  const playbook = await latestPlaybook(tx);
  const goals = (await activeGoals(tx)).map((g) => ({ id: g.id, text: g.text }));
  const sensorRows = await tx.select().from(sensors).orderBy(sensors.name);
  const good = await latestReadings(tx, true);
  const last = await latestReadings(tx);
  const signals: Record<string, unknown> = {};
  for (const s of sensorRows) {
    const r = good.get(s.name);
    if (r) signals[s.name] = r.signal;
  }
  const workers = await readWorkers(tx, now);
  const world: World = { playbook: playbook?.text ?? "", goals, signals, workers: workerStates(workers) };
  const readings: PromptReading[] = sensorRows.map((s) => {
    const r = last.get(s.name);
    return {
      sensor: s.name,
      ok: r?.ok ?? false,
      signal: good.get(s.name)?.signal,
      detail: r?.ok ? (r.detail ?? undefined) : undefined,
      error: r ? r.error : "no reading yet",
      ageMs: r ? now.getTime() - r.takenAt.getTime() : 0,
      flapping: s.changeStreak >= FLAPPING_STREAK,
    };
  });
  const since = state.lastDecisionAt;
  const changed = [
    ...changedSignals(state.lastSignals, signals).map((n) => `sensor ${n}: ${canonicalJson(state.lastSignals[n])} -> ${canonicalJson(signals[n])}`),
    ...(since && playbook && playbook.createdAt > since ? [`the PLAYBOOK (now version ${playbook.version})`] : []),
    ...(since ? (await activeGoals(tx)).filter((g) => g.updatedAt > since).map((g) => `goal ${g.id}`) : []),
    ...workers.filter((w) => w.finishedAt && (!since || w.finishedAt > since)).map((w) => `worker ${w.id} ${w.state}`),
    ...extraChanges,
  ];
  const pendingAsks = await tx.select().from(asks).where(eq(asks.state, "pending")).orderBy(desc(asks.createdAt)).limit(20);
  const journal = await tx.select().from(pulseJournal).orderBy(desc(pulseJournal.id)).limit(20);
  return {
    world,
    hash: worldHash(world),
    prompt: {
      playbook: world.playbook,
      goals,
      readings,
      asks: pendingAsks.map((a) => ({ id: a.id, question: a.question, taskId: a.taskId })),
      workers,
      journal: journal.reverse().map((j) => ({ at: j.at.toISOString(), kind: j.kind, text: j.text })),
      changed,
    },
  };
}

const workerStates = (workers: readonly PromptWorker[]) =>
  Object.fromEntries(workers.map((w) => [w.id, isTerminalTaskState(w.state as TaskState) ? `done:${w.state}` : "live"]));

/**
 * The hash of the world right after a move, with the signals the decision saw: what the move itself changed
 * (a goal it wrote, a worker it started) does not wake the pulse again, while a sensor that changed meanwhile does.
 */
export async function hashAfterMove(tx: Tx, state: PulseStateRow, now: Date): Promise<string> {
  const playbook = await latestPlaybook(tx);
  const goals = (await activeGoals(tx)).map((g) => ({ id: g.id, text: g.text }));
  const workers = await readWorkers(tx, now);
  return worldHash({ playbook: playbook?.text ?? "", goals, signals: state.lastSignals, workers: workerStates(workers) });
}

type WorkerInfo = PromptWorker & { finishedAt: Date | null };

async function readWorkers(tx: Tx, now: Date): Promise<WorkerInfo[]> {
  const rows = await tx
    .select({ worker: pulseWorkers, task: tasks })
    .from(pulseWorkers)
    .innerJoin(tasks, eq(tasks.id, pulseWorkers.taskId))
    .orderBy(desc(pulseWorkers.createdAt))
    .limit(50);
  const ids = rows.map((r) => r.task.id);
  const waiting = await waitingTasks(tx, ids, now);
  const live = rows.filter((r) => r.task.state === "running").map((r) => r.task.id);
  const heard = live.length
    ? await tx
        .select({ taskId: claimRecords.taskId, at: max(claimRecords.storedAt) })
        .from(claimRecords)
        .where(and(inArray(claimRecords.taskId, live)))
        .groupBy(claimRecords.taskId)
    : [];
  const lastHeard = new Map(heard.map((h) => [h.taskId, h.at]));
  return rows.map(({ worker, task }) => {
    const heardAt = lastHeard.get(task.id) ?? task.startedAt;
    const stuck = task.state === "running" && !waiting.has(task.id) && heardAt !== null && now.getTime() - heardAt.getTime() > STUCK_AFTER_MS;
    const result = task.result ? ("error" in task.result ? { error: task.result.error } : task.result.value) : undefined;
    return {
      id: worker.id,
      taskId: task.id,
      state: task.state,
      waiting: waiting.has(task.id),
      stuck,
      result,
      message: task.message,
      finishedAt: task.finishedAt,
    };
  });
}
