// Carrying out one move inside the transaction that marks its decision done, so a move happens exactly once.
// Tasks a move submits take ids made from the decision's id: submitting again is a no-op, never a second task.
import { isTerminalTaskState, workerTaskRequest, type ClaimRevoke, type PulseMove, type TaskState } from "@muster/protocol";
import { eq } from "drizzle-orm";
import { waitingTasks } from "../asks/asks.js";
import { createTell, type TellRow } from "../asks/tells.js";
import { cancelTask } from "../claims/lifecycle.js";
import { MusterError } from "../errors.js";
import type { Db, Tx } from "../store/db.js";
import { newTaskValues } from "../store/new-task.js";
import { pulseWorkers, tasks } from "../store/schema.js";
import {
  archiveGoal,
  dropSchedule,
  dropSensor,
  writeGoal,
  writePlaybook,
  writeSchedule,
  writeSensor,
} from "./store.js";

/** What must happen after the transaction commits: wake the scheduler, tell nodes. */
export interface MoveEffects {
  submitted: string[];
  revoke: { nodeId: string; message: ClaimRevoke } | null;
  tell: TellRow | null;
  cancelled: string | null;
}

export const noEffects = (): MoveEffects => ({ submitted: [], revoke: null, tell: null, cancelled: null });

/** The task id a decision's move submits: the same every time the move is carried out. */
export const moveTaskId = (decisionId: string) => `tsk_${decisionId.replace(/^dcs_/, "")}M`;

// cancelTask and createTell open their own transaction; on a Tx that is a savepoint inside ours.
const asDb = (tx: Tx) => tx as unknown as Db;

export async function performMove(tx: Tx, move: PulseMove, decisionId: string, now: Date): Promise<MoveEffects> {
  const fx = noEffects();
  switch (move.move) {
    case "noop":
      break;
    case "write_goal":
      await writeGoal(tx, move.id, move.text, now);
      break;
    case "archive_goal":
      await archiveGoal(tx, move.id, now);
      break;
    case "write_playbook":
      await writePlaybook(tx, move.text, "pulse", now);
      break;
    case "write_sensor":
      await writeSensor(tx, move.name, { argv: move.command, everyMs: move.every_s * 1000, selector: move.selector, timeoutMs: move.timeout_s ? move.timeout_s * 1000 : undefined }, now);
      break;
    case "drop_sensor":
      await dropSensor(tx, move.name);
      break;
    case "write_schedule":
      await writeSchedule(tx, move.name, { at: move.at ? new Date(move.at) : undefined, everyMs: move.every_s ? move.every_s * 1000 : undefined, note: move.note }, now);
      break;
    case "drop_schedule":
      await dropSchedule(tx, move.name);
      break;
    case "start_worker":
      fx.submitted.push(await startWorker(tx, move, decisionId, now));
      break;
    case "run_command":
      fx.submitted.push(
        await submitOnce(tx, decisionId, now, {
          agent: "exec",
          argv: move.command,
          name: "pulse command",
          maxAttempts: 1,
          ...(move.selector ? { selector: move.selector } : {}),
          ...(move.timeout_s ? { timeoutMs: move.timeout_s * 1000 } : {}),
        }),
      );
      break;
    case "kill_worker": {
      const task = await liveWorker(tx, move.id);
      if ((await waitingTasks(tx, [task.id], now)).has(task.id))
        throw new MusterError("invalid_state", `worker ${move.id} waits on a person's answer; a move never kills it`);
      const { revoke } = await cancelTask(asDb(tx), task.id, now);
      fx.revoke = revoke;
      fx.cancelled = task.id;
      break;
    }
    case "tell_worker": {
      const task = await liveWorker(tx, move.id);
      fx.tell = await createTell(asDb(tx), task.id, move.text, "pulse", now);
      break;
    }
  }
  return fx;
}

async function submitOnce(tx: Tx, decisionId: string, now: Date, req: Parameters<typeof newTaskValues>[0]): Promise<string> {
  const id = moveTaskId(decisionId);
  await tx.insert(tasks).values(newTaskValues(req, { id, createdBy: "pulse", now: now.getTime() })).onConflictDoNothing();
  return id;
}

async function startWorker(tx: Tx, move: Extract<PulseMove, { move: "start_worker" }>, decisionId: string, now: Date): Promise<string> {
  const req = workerTaskRequest(move);
  if (!req.success) throw new MusterError("validation_failed", `start_worker: ${req.error.issues[0]?.message ?? "invalid task"}`);
  const [existing] = await tx
    .select({ taskId: pulseWorkers.taskId, state: tasks.state, decisionId: pulseWorkers.decisionId })
    .from(pulseWorkers)
    .innerJoin(tasks, eq(tasks.id, pulseWorkers.taskId))
    .where(eq(pulseWorkers.id, move.id));
  if (existing && existing.decisionId !== decisionId && !isTerminalTaskState(existing.state as TaskState))
    throw new MusterError("conflict", `worker ${move.id} is still running (task ${existing.taskId}); kill it or pick another id`);
  const taskId = await submitOnce(tx, decisionId, now, req.data);
  await tx
    .insert(pulseWorkers)
    .values({ id: move.id, taskId, decisionId, createdAt: now })
    .onConflictDoUpdate({ target: pulseWorkers.id, set: { taskId, decisionId, createdAt: now } });
  return taskId;
}

async function liveWorker(tx: Tx, id: string) {
  const [row] = await tx.select({ task: tasks }).from(pulseWorkers).innerJoin(tasks, eq(tasks.id, pulseWorkers.taskId)).where(eq(pulseWorkers.id, id));
  if (!row) throw new MusterError("not_found", `no worker ${id}`);
  if (isTerminalTaskState(row.task.state as TaskState)) throw new MusterError("invalid_state", `worker ${id} has already ${row.task.state}`);
  return row.task;
}
