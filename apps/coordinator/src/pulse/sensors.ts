// Sensors: each runs as an ordinary `exec` fleet task on a node matching its selector, on its own interval; what it
// printed becomes a reading. Output that is not one JSON object, or is too big, is a failed reading, never a change.
import { isTerminalTaskState, MAX_SENSOR_OUTPUT_BYTES, SensorReading, type TaskState } from "@muster/protocol";
import { and, asc, desc, eq, inArray, isNotNull, isNull, lte, or } from "drizzle-orm";
import { newId } from "../ids.js";
import type { Executor, Tx } from "../store/db.js";
import { claimRecords, readings, sensors, tasks } from "../store/schema.js";
import { signalOf } from "./hash.js";

export type SensorParse = { ok: true; signal: unknown; detail: unknown } | { ok: false; error: string };

export function parseSensorOutput(stdout: string, maxBytes = MAX_SENSOR_OUTPUT_BYTES): SensorParse {
  const size = Buffer.byteLength(stdout);
  if (size > maxBytes) return { ok: false, error: `the sensor printed ${size} bytes, over the ${maxBytes} byte cap` };
  const text = stdout.trim();
  if (text === "") return { ok: false, error: "the sensor printed nothing" };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, error: `the sensor did not print one JSON object: ${JSON.stringify(text.slice(0, 120))}` };
  }
  const reading = SensorReading.safeParse(value);
  if (!reading.success || Array.isArray(value)) return { ok: false, error: "the sensor printed JSON that is not an object" };
  return { ok: true, signal: signalOf(reading.data), detail: reading.data.detail };
}

/** Starts a reading task for every sensor that is due and not already reading; returns the tasks made. */
export async function launchDueSensors(tx: Tx, now: Date): Promise<string[]> {
  const due = await tx
    .select()
    .from(sensors)
    .where(and(isNull(sensors.runningTaskId), or(isNull(sensors.nextRunAt), lte(sensors.nextRunAt, now))))
    .for("update", { skipLocked: true });
  const made: string[] = [];
  for (const s of due) {
    const id = newId("tsk", now.getTime());
    await tx.insert(tasks).values({
      id,
      name: `sensor ${s.name}`,
      agent: "exec",
      argv: s.argv,
      selector: s.selector,
      timeoutMs: s.timeoutMs,
      maxAttempts: 1,
      // Enough to tell "too big" from "fits" without storing a runaway sensor's output.
      outputCapBytes: 4 * MAX_SENSOR_OUTPUT_BYTES,
      createdBy: "pulse",
      queuedAt: now,
      createdAt: now,
      updatedAt: now,
    });
    await tx.update(sensors).set({ runningTaskId: id, nextRunAt: new Date(now.getTime() + s.everyMs) }).where(eq(sensors.name, s.name));
    made.push(id);
  }
  return made;
}

/** Turns every finished reading task into a reading; returns how many arrived. */
export async function collectReadings(tx: Tx, now: Date): Promise<number> {
  const running = await tx
    .select({ sensor: sensors, task: tasks })
    .from(sensors)
    .innerJoin(tasks, eq(tasks.id, sensors.runningTaskId))
    .where(isNotNull(sensors.runningTaskId));
  let arrived = 0;
  for (const { sensor, task } of running) {
    if (!isTerminalTaskState(task.state as TaskState)) continue;
    const parsed = task.state === "succeeded" ? parseSensorOutput(await stdoutOf(tx, task.id)) : { ok: false as const, error: failure(task) };
    await tx.insert(readings).values({
      id: newId("rdg", now.getTime()),
      sensor: sensor.name,
      taskId: task.id,
      ok: parsed.ok,
      signal: parsed.ok ? (parsed.signal ?? null) : null,
      detail: parsed.ok ? (parsed.detail ?? null) : null,
      error: parsed.ok ? null : parsed.error,
      takenAt: now,
    });
    await tx.update(sensors).set({ runningTaskId: null }).where(eq(sensors.name, sensor.name));
    arrived += 1;
  }
  return arrived;
}

function failure(task: typeof tasks.$inferSelect): string {
  return `the sensor's task ${task.state}${task.message ? `: ${task.message}` : ""}`;
}

async function stdoutOf(tx: Tx, taskId: string): Promise<string> {
  const rows = await tx
    .select({ record: claimRecords.record })
    .from(claimRecords)
    .where(and(eq(claimRecords.taskId, taskId), inArray(claimRecords.kind, ["log"])))
    .orderBy(asc(claimRecords.attempt), asc(claimRecords.seq));
  return rows.map((r) => (r.record.kind === "log" && r.record.stream === "stdout" ? r.record.text : "")).join("");
}

export type ReadingRow = typeof readings.$inferSelect;

/** Each sensor's latest reading (only good ones with `okOnly`: a failed reading changes no signal). */
export async function latestReadings(tx: Executor, okOnly = false): Promise<Map<string, ReadingRow>> {
  const rows = await tx
    .selectDistinctOn([readings.sensor])
    .from(readings)
    .where(okOnly ? eq(readings.ok, true) : undefined)
    .orderBy(asc(readings.sensor), desc(readings.takenAt), desc(readings.id));
  return new Map(rows.map((r) => [r.sensor, r]));
}
