// The coordinator's history log (one `component:"history"` JSON line per committed event), collected across
// coordinator restarts; see the shared plan for the event shapes.

export type HistoryEvent =
  | { ev: "submit"; taskId: string }
  | { ev: "offer" | "accept"; taskId: string; claimId: string; token: number; nodeId: string }
  | { ev: "records"; taskId: string; claimId: string; token: number; nodeId: string; fromSeq: number; toSeq: number }
  | {
      ev: "result";
      taskId: string;
      claimId: string;
      token: number;
      nodeId: string;
      status: string;
      reason: string | null;
      exitCode: number | null;
    }
  | { ev: "refused"; taskId: string; claimId: string; token: number; nodeId: string; type: string }
  | { ev: "state"; taskId: string; state: string; claimId: string | null }
  | { ev: "expire"; taskId: string; claimId: string; token: number; nodeId: string; reason: string }
  | { ev: "node"; nodeId: string; state: string };

/**
 * An event as recorded: which coordinator process logged it (0, 1, ... across restarts; TEST_SOURCE for the
 * test's own submits) and its time in epoch ms.
 */
export type Logged = HistoryEvent & { incarnation: number; time: number };

export const TEST_SOURCE = -1;

const KNOWN = new Set(["submit", "offer", "accept", "records", "result", "refused", "state", "expire", "node"]);

/** Parses one coordinator log line; anything that is not a history line gives null. */
export function parseHistoryLine(line: string, incarnation: number): Logged | null {
  if (!line.includes('"history"')) return null;
  let obj: Record<string, unknown>;
  try {
    obj = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return null;
  }
  if (obj.component !== "history" || typeof obj.ev !== "string" || !KNOWN.has(obj.ev)) return null;
  const { level: _l, time, pid: _p, hostname: _h, service: _s, component: _c, msg: _m, ...rest } = obj;
  return { ...(rest as HistoryEvent), incarnation, time: typeof time === "number" ? time : 0 };
}

/** One line per event, for failure messages. */
export function describeEvent(e: HistoryEvent & { incarnation?: number }): string {
  const { ev, ...rest } = e as Record<string, unknown> & { ev: string };
  delete rest.time;
  return `${ev} ${JSON.stringify(rest)}`;
}
