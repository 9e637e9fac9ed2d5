// The pulse's stored world: its state row, goals, PLAYBOOK versions, sensors, schedules and the journal. Used by the
// pulse's own moves and by people through the API, so both write the same way.
import {
  DEFAULT_MAX_DECIDES_PER_HOUR,
  DEFAULT_PULSE_INTERVAL_MS,
  DEFAULT_SENSOR_TIMEOUT_MS,
  PLAYBOOK_VERSIONS_KEPT,
  type PulseAgent,
} from "@muster/protocol";
import { and, desc, eq, lte } from "drizzle-orm";
import { MusterError } from "../errors.js";
import type { Executor, Tx } from "../store/db.js";
import { requestSelector } from "../store/new-task.js";
import { goals, playbookVersions, pulseJournal, pulseState, schedules, sensors } from "../store/schema.js";

export type PulseStateRow = typeof pulseState.$inferSelect;
export type SensorRow = typeof sensors.$inferSelect;
export type GoalRow = typeof goals.$inferSelect;
export type ScheduleRow = typeof schedules.$inferSelect;
export type JournalKind = "move" | "failure" | "skip" | "human" | "gate" | "info";

export const DEFAULT_AGENT: PulseAgent = { agent: "claude", model: null, selector: "", argv: [] };

export const STARTER_PLAYBOOK = `# PLAYBOOK
How this team wants the fleet to work. Edit it: muster playbook write -f PLAYBOOK.md

- Keep the main branch green: a red CI is the most important thing to fix.
- Prefer small, reviewable changes; one worker per problem.
- Ask a person before anything that cannot be undone (merges, deploys, deletions).
- When nothing that matters changed, do nothing.
`;

export const SETUP_GOAL = {
  id: "setup",
  text:
    "Set the pulse up: people write the team's real goals (muster goal write), the PLAYBOOK, and sensors that " +
    "watch what matters (muster sensor write), then start it with muster pulse resume. Archive this goal then.",
};

/** Makes the state row on first start: paused, with a starter PLAYBOOK and a setup goal. */
export async function ensurePulse(tx: Tx, now: Date): Promise<void> {
  const made = await tx
    .insert(pulseState)
    .values({
      id: 1,
      paused: true,
      intervalMs: DEFAULT_PULSE_INTERVAL_MS,
      maxDecidesPerHour: DEFAULT_MAX_DECIDES_PER_HOUR,
      agent: DEFAULT_AGENT,
      updatedAt: now,
    })
    .onConflictDoNothing()
    .returning({ id: pulseState.id });
  if (made.length === 0) return;
  await tx.insert(playbookVersions).values({ version: 1, text: STARTER_PLAYBOOK, createdBy: "muster", createdAt: now }).onConflictDoNothing();
  await tx.insert(goals).values({ ...SETUP_GOAL, createdAt: now, updatedAt: now }).onConflictDoNothing();
  await appendJournal(tx, "info", "pulse created, paused, with a starter PLAYBOOK and a setup goal", null, now);
}

export async function readPulse(db: Executor, lock = false): Promise<PulseStateRow> {
  const q = db.select().from(pulseState).where(eq(pulseState.id, 1));
  const [row] = lock ? await q.for("update") : await q;
  if (!row) throw new MusterError("unavailable", "the pulse is not set up yet");
  return row;
}

export async function updatePulse(db: Executor, set: Partial<PulseStateRow>, now: Date): Promise<void> {
  await db.update(pulseState).set({ ...set, updatedAt: now }).where(eq(pulseState.id, 1));
}

export async function appendJournal(db: Executor, kind: JournalKind, text: string, decisionId: string | null, now: Date): Promise<void> {
  await db.insert(pulseJournal).values({ kind, text: text.slice(0, 4000), decisionId, at: now });
}

// ---- goals and the PLAYBOOK -----------------------------------------------------------------

export async function writeGoal(db: Executor, id: string, text: string, now: Date): Promise<GoalRow> {
  const [row] = await db
    .insert(goals)
    .values({ id, text, state: "active", createdAt: now, updatedAt: now })
    .onConflictDoUpdate({ target: goals.id, set: { text, state: "active", updatedAt: now, archivedAt: null } })
    .returning();
  return row!;
}

export async function archiveGoal(db: Executor, id: string, now: Date): Promise<GoalRow> {
  const [row] = await db
    .update(goals)
    .set({ state: "archived", archivedAt: now, updatedAt: now })
    .where(and(eq(goals.id, id), eq(goals.state, "active")))
    .returning();
  if (!row) throw new MusterError("not_found", `no active goal ${id}`);
  return row;
}

export async function activeGoals(db: Executor): Promise<GoalRow[]> {
  return db.select().from(goals).where(eq(goals.state, "active")).orderBy(goals.id);
}

export async function latestPlaybook(db: Executor) {
  const [row] = await db.select().from(playbookVersions).orderBy(desc(playbookVersions.version)).limit(1);
  return row ?? null;
}

/** A new version; only the newest `keep` are kept. */
export async function writePlaybook(tx: Tx, text: string, by: string, now: Date, keep = PLAYBOOK_VERSIONS_KEPT) {
  const version = ((await latestPlaybook(tx))?.version ?? 0) + 1;
  const [row] = await tx.insert(playbookVersions).values({ version, text, createdBy: by, createdAt: now }).returning();
  await tx.delete(playbookVersions).where(lte(playbookVersions.version, version - keep));
  return row!;
}

// ---- sensors and schedules ------------------------------------------------------------------

export interface SensorSpec {
  argv: string[];
  everyMs: number;
  selector?: string | undefined;
  timeoutMs?: number | undefined;
}

/** Creates or replaces a sensor; it takes its first reading at the next tick. */
export async function writeSensor(db: Executor, name: string, spec: SensorSpec, now: Date): Promise<SensorRow> {
  const selector = requestSelector({ selector: spec.selector });
  const values = { argv: spec.argv, everyMs: spec.everyMs, selector, timeoutMs: spec.timeoutMs ?? DEFAULT_SENSOR_TIMEOUT_MS, nextRunAt: now, updatedAt: now };
  const [row] = await db
    .insert(sensors)
    .values({ name, ...values, createdAt: now })
    .onConflictDoUpdate({ target: sensors.name, set: values })
    .returning();
  return row!;
}

export async function dropSensor(db: Executor, name: string): Promise<void> {
  const gone = await db.delete(sensors).where(eq(sensors.name, name)).returning({ name: sensors.name });
  if (gone.length === 0) throw new MusterError("not_found", `no sensor ${name}`);
}

export interface ScheduleSpec {
  at?: Date | undefined;
  everyMs?: number | undefined;
  note?: string | undefined;
}

export async function writeSchedule(db: Executor, name: string, spec: ScheduleSpec, now: Date): Promise<ScheduleRow> {
  const nextAt = spec.at ?? new Date(now.getTime() + (spec.everyMs ?? 0));
  const values = { at: spec.at ?? null, everyMs: spec.everyMs ?? null, nextAt, note: spec.note ?? null };
  const [row] = await db
    .insert(schedules)
    .values({ name, ...values, createdAt: now })
    .onConflictDoUpdate({ target: schedules.name, set: values })
    .returning();
  return row!;
}

export async function dropSchedule(db: Executor, name: string): Promise<void> {
  const gone = await db.delete(schedules).where(eq(schedules.name, name)).returning({ name: schedules.name });
  if (gone.length === 0) throw new MusterError("not_found", `no schedule ${name}`);
}

/** Schedules due now: a one-off one is used up, a repeating one moves on to its next time. Returns their names. */
export async function fireDueSchedules(tx: Tx, now: Date): Promise<string[]> {
  const due = await tx.select().from(schedules).where(lte(schedules.nextAt, now)).for("update");
  for (const s of due) {
    if (s.everyMs === null) await tx.delete(schedules).where(eq(schedules.name, s.name));
    else await tx.update(schedules).set({ nextAt: new Date(now.getTime() + s.everyMs) }).where(eq(schedules.name, s.name));
  }
  return due.map((s) => s.name);
}
