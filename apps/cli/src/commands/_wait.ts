// Waits for a task to end by polling it, backing off from 200 ms to 2 s.
import { isTerminalTaskState, TaskView } from "@muster/protocol";
import { type ApiClient, seg } from "../client.js";
import { CLIError } from "../errors.js";
import type { Io } from "../io.js";

export interface WaitOptions {
  /** How long the coordinator may stay unreachable before giving up (default 60 s). */
  giveUpAfterMs?: number;
  /** Sees the task at every poll (e.g. to say why it still waits). */
  onTask?: (task: TaskView) => void;
}

const MIN_POLL_MS = 200;
const MAX_POLL_MS = 2000;

export async function waitForTask(client: ApiClient, io: Io, taskId: string, opts: WaitOptions = {}): Promise<TaskView> {
  const { giveUpAfterMs = 60_000 } = opts;
  let delay = MIN_POLL_MS;
  let downSince: number | undefined;
  for (;;) {
    try {
      // GET /v1/tasks/:id is a TaskDetail; TaskView keeps the task's own fields.
      const task = await client.get(`/v1/tasks/${seg(taskId)}`, TaskView);
      downSince = undefined;
      opts.onTask?.(task);
      if (isTerminalTaskState(task.state)) return task;
    } catch (err) {
      // A coordinator restart should not end the wait; a refused token or a lost task should.
      const transient = err instanceof CLIError && (err.kind === "unreachable" || err.serverCode === "unavailable");
      if (!transient) throw err;
      downSince ??= io.now();
      if (io.now() - downSince >= giveUpAfterMs) throw err;
    }
    await io.sleep(delay);
    delay = Math.min(delay * 2, MAX_POLL_MS);
  }
}
