// A task's logs as a page of JSON, or followed live as server-sent events.
import type { FailureReason, LogEnd, LogWaiting, TaskState } from "@muster/protocol";
import { isTerminalTaskState, LogsQuery } from "@muster/protocol";
import { eq } from "drizzle-orm";
import { Hono } from "hono";
import { streamSSE } from "hono/streaming";
import { MusterError } from "../../errors.js";
import type { Executor } from "../../store/db.js";
import { cursorOf, readLogPage } from "../../store/logs.js";
import { tasks } from "../../store/schema.js";
import { readQuery, type AppDeps, type Env } from "../context.js";

/** Followers also re-read this often, so records stored by another coordinator still arrive. */
const FOLLOW_POLL_MS = 2000;
const KEEPALIVE_MS = 15_000;

/** How the task stands for a follower: its end once it has one, and why it waits while it is queued. */
async function taskStatus(db: Executor, id: string): Promise<{ end: LogEnd | null; pending: string | null }> {
  const [t] = await db
    .select({ state: tasks.state, exitCode: tasks.exitCode, reason: tasks.reason, pendingReason: tasks.pendingReason })
    .from(tasks)
    .where(eq(tasks.id, id));
  if (!t) throw new MusterError("not_found", `no task ${id}`);
  const state = t.state as TaskState;
  const end = isTerminalTaskState(state) ? { taskId: id, state, exitCode: t.exitCode, reason: (t.reason as FailureReason | null) ?? null } : null;
  return { end, pending: state === "queued" ? t.pendingReason : null };
}

export function logRoutes(deps: AppDeps): Hono<Env> {
  const { db, bus } = deps;
  const app = new Hono<Env>();

  app.get("/tasks/:id/logs", async (c) => {
    const id = c.req.param("id");
    const q = readQuery(c, LogsQuery);
    const ended = (await taskStatus(db, id)).end;
    if (q.follow !== "1" && q.follow !== "true") {
      const entries = await readLogPage(db, id, q.after, q.limit);
      const last = entries[entries.length - 1];
      return c.json({
        entries,
        nextCursor: last ? cursorOf(last) : (q.after ?? null),
        complete: ended !== null && entries.length < q.limit,
      });
    }
    let cursor = c.req.header("last-event-id") ?? q.after;
    const release = deps.limits.streams.take(c.get("identity").tokenId);
    return streamSSE(c, async (stream) => {
      let wake: (() => void) | null = null;
      let aborted = false;
      const nudge = () => wake?.();
      const offRecords = bus.on("task.records", (e) => e.taskId === id && nudge());
      const offChanged = bus.on("task.changed", (e) => e.taskId === id && nudge());
      stream.onAbort(() => {
        aborted = true;
        nudge();
      });
      let idleMs = 0;
      let pendingSent: string | null = null;
      try {
        while (!aborted) {
          const { end, pending } = await taskStatus(db, id);
          if (pending !== pendingSent) {
            pendingSent = pending;
            await stream.writeSSE({ event: "waiting", data: JSON.stringify({ taskId: id, pending } satisfies LogWaiting) });
          }
          const entries = await readLogPage(db, id, cursor, 1000);
          for (const e of entries) {
            cursor = cursorOf(e);
            await stream.writeSSE({ event: "log", id: cursor, data: JSON.stringify(e) });
          }
          if (entries.length === 1000) continue;
          if (end) {
            await stream.writeSSE({ event: "end", data: JSON.stringify(end) });
            return;
          }
          const started = Date.now();
          await new Promise<void>((resolve) => {
            wake = resolve;
            setTimeout(resolve, FOLLOW_POLL_MS);
          });
          wake = null;
          idleMs = entries.length ? 0 : idleMs + (Date.now() - started);
          if (idleMs >= KEEPALIVE_MS) {
            idleMs = 0;
            await stream.write(": ping\n\n");
          }
        }
      } finally {
        offRecords();
        offChanged();
        release();
      }
    });
  });

  return app;
}
