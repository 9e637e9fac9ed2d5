// Stored pulse rows as the API shows them.
import type { DecisionView, GoalView, JournalEntry, PulsePhase, PulseStatus, ReadingView, ScheduleView, SensorView } from "@muster/protocol";
import { count, desc, eq, gt, inArray } from "drizzle-orm";
import type { Executor, Tx } from "../store/db.js";
import { decisions, goals, pulseJournal, schedules, sensors } from "../store/schema.js";
import type { DecisionRow } from "./decide.js";
import { latestReadings, type ReadingRow } from "./sensors.js";
import type { GoalRow, PulseStateRow, ScheduleRow, SensorRow } from "./store.js";
import { readPulse } from "./store.js";
import { FLAPPING_STREAK } from "./world.js";

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function toGoalView(g: GoalRow): GoalView {
  return { id: g.id, text: g.text, state: g.state as GoalView["state"], createdAt: g.createdAt.toISOString(), updatedAt: g.updatedAt.toISOString(), archivedAt: iso(g.archivedAt) };
}

export function toReadingView(r: ReadingRow): ReadingView {
  return { id: r.id, sensor: r.sensor, ok: r.ok, signal: r.signal ?? null, detail: r.detail ?? null, error: r.error, taskId: r.taskId, takenAt: r.takenAt.toISOString() };
}

export function toSensorView(s: SensorRow, last: ReadingRow | undefined): SensorView {
  return {
    name: s.name,
    argv: s.argv,
    everyMs: s.everyMs,
    selector: s.selector,
    timeoutMs: s.timeoutMs,
    nextRunAt: iso(s.nextRunAt),
    runningTaskId: s.runningTaskId,
    flapping: s.changeStreak >= FLAPPING_STREAK,
    last: last ? toReadingView(last) : null,
    createdAt: s.createdAt.toISOString(),
    updatedAt: s.updatedAt.toISOString(),
  };
}

export async function sensorViews(db: Executor, rows: SensorRow[]): Promise<SensorView[]> {
  const last = await latestReadings(db);
  return rows.map((s) => toSensorView(s, last.get(s.name)));
}

export function toScheduleView(s: ScheduleRow): ScheduleView {
  return { name: s.name, at: iso(s.at), everyMs: s.everyMs, nextAt: iso(s.nextAt), note: s.note, createdAt: s.createdAt.toISOString() };
}

export function toDecisionView(d: DecisionRow, full: boolean): DecisionView {
  return {
    id: d.id,
    state: d.state as DecisionView["state"],
    taskId: d.taskId,
    hash: d.hash,
    move: d.move ?? null,
    error: d.error,
    askId: d.askId,
    resultTaskId: d.resultTaskId,
    ...(full ? { prompt: d.prompt, raw: d.raw } : {}),
    createdAt: d.createdAt.toISOString(),
    decidedAt: iso(d.decidedAt),
    doneAt: iso(d.doneAt),
  };
}

export function toJournalEntry(j: typeof pulseJournal.$inferSelect): JournalEntry {
  return { id: j.id, at: j.at.toISOString(), kind: j.kind as JournalEntry["kind"], text: j.text, decisionId: j.decisionId };
}

function phaseOf(s: PulseStateRow, waiting: boolean, decides: number, now: Date): { phase: PulsePhase; reason: string | null } {
  if (s.paused) return { phase: "paused", reason: "paused; muster pulse resume starts it" };
  if (s.decidingId) return { phase: "deciding", reason: `decide task of decision ${s.decidingId} is running` };
  if (waiting) return { phase: "waiting_approval", reason: "a gated move waits for a person's answer (muster asks)" };
  if (s.backoffUntil && s.backoffUntil > now) return { phase: "backing_off", reason: `after ${s.failures} failed beat(s): ${s.lastFailure ?? ""}` };
  if (decides >= s.maxDecidesPerHour) return { phase: "waiting_budget", reason: `decide budget spent: ${decides} of ${s.maxDecidesPerHour} in the last hour` };
  return { phase: "idle", reason: null };
}

export async function pulseStatus(db: Executor | Tx, now: Date): Promise<PulseStatus> {
  const s = await readPulse(db);
  const [decided] = await db.select({ n: count() }).from(decisions).where(gt(decisions.createdAt, new Date(now.getTime() - 3_600_000)));
  const [waiting] = await db.select({ n: count() }).from(decisions).where(inArray(decisions.state, ["waiting"]));
  const [goalCount] = await db.select({ n: count() }).from(goals).where(eq(goals.state, "active"));
  const [sensorCount] = await db.select({ n: count() }).from(sensors);
  const scheduleRows = await db.select().from(schedules).orderBy(schedules.nextAt);
  const [lastDecision] = await db.select({ id: decisions.id }).from(decisions).orderBy(desc(decisions.createdAt), desc(decisions.id)).limit(1);
  const decides = decided?.n ?? 0;
  const decidingTask = s.decidingId ? (await db.select({ taskId: decisions.taskId }).from(decisions).where(eq(decisions.id, s.decidingId)))[0] : undefined;
  return {
    ...phaseOf(s, (waiting?.n ?? 0) > 0, decides, now),
    paused: s.paused,
    agent: s.agent,
    intervalMs: s.intervalMs,
    maxDecidesPerHour: s.maxDecidesPerHour,
    decidesLastHour: decides,
    nextBeatAt: iso(s.nextBeatAt),
    backoffUntil: s.backoffUntil && s.backoffUntil > now ? s.backoffUntil.toISOString() : null,
    lastFailure: s.lastFailure,
    lastDecisionId: lastDecision?.id ?? null,
    decidingTaskId: decidingTask?.taskId ?? null,
    goals: goalCount?.n ?? 0,
    sensors: sensorCount?.n ?? 0,
    schedules: scheduleRows.map(toScheduleView),
  };
}
