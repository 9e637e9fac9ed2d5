// Follows a task's log over SSE until its `end` event, resuming with Last-Event-ID when the stream drops.
import { LogEnd, LogEntry, LogWaiting } from "@muster/protocol";
import type { z } from "zod";
import { type ApiClient, firstIssue, seg } from "../client.js";
import { CLIError } from "../errors.js";
import type { Io } from "../io.js";
import { readSse } from "../sse.js";

export interface FollowOptions {
  client: ApiClient;
  io: Io;
  taskId: string;
  onEntry: (entry: LogEntry) => Promise<void>;
  /** Why the task waits to be placed, each time that appears or changes (null once it is placed). */
  onWaiting?: (pending: string | null) => void;
  /** Called once when the stream drops, not on every retry. */
  onReconnect?: () => void;
  /** How long the coordinator may stay unreachable once the stream was open (default 60 s). */
  giveUpAfterMs?: number;
}

const MIN_BACKOFF_MS = 200;
const MAX_BACKOFF_MS = 2000;
const HEALTHY_STREAM_MS = 5000;

export async function followLog(opts: FollowOptions): Promise<LogEnd> {
  const { client, io, taskId, onEntry, giveUpAfterMs = 60_000 } = opts;
  const path = `/v1/tasks/${seg(taskId)}/logs`;
  let lastEventId: string | undefined;
  let connectedOnce = false;
  let downSince: number | undefined;
  let backoff = MIN_BACKOFF_MS;
  for (;;) {
    let problem: unknown;
    let received = false;
    try {
      const body = await client.stream(path, { follow: 1 }, { lastEventId });
      connectedOnce = true;
      const openedAt = io.now();
      for await (const ev of readSse(body)) {
        if (ev.event === "end") return parseEvent(LogEnd, ev.data, "end");
        if (ev.event === "waiting") {
          opts.onWaiting?.(parseEvent(LogWaiting, ev.data, "waiting").pending);
          continue;
        }
        if (ev.event !== "log") continue;
        const entry = parseEvent(LogEntry, ev.data, "log");
        lastEventId = ev.id ?? `${entry.attempt}:${entry.record.seq}`;
        received = true;
        await onEntry(entry);
      }
      // A stream that brought records or stayed open a while was fine; one that keeps closing at once is not.
      if (!received && io.now() - openedAt < HEALTHY_STREAM_MS)
        problem = new CLIError("unreachable", `cannot follow logs at ${client.url}: the stream keeps closing`);
    } catch (err) {
      if (!connectedOnce || !isTransient(err)) throw err;
      problem = err;
    }
    if (problem === undefined || received) {
      // The stream was fine until it dropped: an outage starts now.
      downSince = io.now();
      backoff = MIN_BACKOFF_MS;
      opts.onReconnect?.();
    } else {
      // Still down: say nothing new, and give up once it has lasted too long.
      if (downSince === undefined) {
        downSince = io.now();
        opts.onReconnect?.();
      }
      if (io.now() - downSince >= giveUpAfterMs) throw problem;
    }
    await io.sleep(backoff);
    backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
  }
}

/** A dropped stream or an unreachable/unavailable coordinator may heal; anything else is final. */
function isTransient(err: unknown): boolean {
  if (!(err instanceof CLIError)) return true;
  return err.kind === "unreachable" || err.serverCode === "unavailable";
}

function parseEvent<S extends z.ZodType>(schema: S, data: string, event: string): z.output<S> {
  let json: unknown;
  try {
    json = JSON.parse(data);
  } catch {
    throw new CLIError("failure", `unexpected ${event} event from coordinator: not JSON`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new CLIError("failure", `unexpected ${event} event from coordinator: ${firstIssue(parsed.error)}`);
  return parsed.data;
}
