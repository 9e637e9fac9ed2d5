// The end of a scenario: wait for every task, gather what the API, the database, the stamps file and the history
// say, stop the cluster, and run the checker.
import { join } from "node:path";
import { api } from "../harness/processes.js";
import { checkAll, type FinalTask, type LogEntry, type Observation, type Violation } from "./checker.js";
import { sleep, type ChaosCluster } from "./cluster.js";
import { readDatabase } from "./db.js";

/** How long after every task ended a worker may still be dying, and how long we watch for stragglers. */
const ORPHAN_GRACE_MS = 500;
const WATCH_AFTER_END_MS = 800;

export interface ScenarioResult {
  tasks: FinalTask[];
  violations: Violation[];
  observation: Observation;
  summary: string;
}

async function readLogs(c: ChaosCluster, taskId: string): Promise<LogEntry[]> {
  const out: LogEntry[] = [];
  let after: string | null = null;
  for (let page = 0; page < 100; page++) {
    const q: string = after ? `?limit=10000&after=${after}` : "?limit=10000";
    const res = await api<{ entries: LogEntry[]; nextCursor: string | null }>(c, "GET", `/v1/tasks/${taskId}/logs${q}`);
    if (res.status !== 200) throw new Error(`logs of ${taskId}: ${res.status} ${JSON.stringify(res.body)}`);
    out.push(...res.body.entries);
    if (res.body.entries.length < 10000 || !res.body.nextCursor) break;
    after = res.body.nextCursor;
  }
  return out;
}

function summarize(c: ChaosCluster, tasks: FinalTask[], v: Violation[]): string {
  const count = (pred: (t: FinalTask) => boolean) => tasks.filter(pred).length;
  const ev = (name: string) => c.history.filter((e) => e.ev === name).length;
  const claims = tasks.reduce((n, t) => n + t.claims.length, 0);
  return [
    `tasks=${tasks.length} succeeded=${count((t) => t.state === "succeeded")} failed=${count((t) => t.state === "failed")} claims=${claims}`,
    `history: events=${c.history.length} offers=${ev("offer")} expires=${ev("expire")} refused=${ev("refused")} coordinators=${c.coordinators.length}`,
    `violations=${v.length}`,
  ].join("; ");
}

/** Runs the checks; the cluster is stopped afterwards (PGlite can only be read once the coordinator is gone). */
export async function finishScenario(c: ChaosCluster, opts: { timeoutMs?: number } = {}): Promise<ScenarioResult> {
  const tasks = await c.waitAllEnded(opts.timeoutMs ?? 60_000);
  const allEndedNs = BigInt(Date.now()) * 1_000_000n;
  const logs = new Map<string, LogEntry[]>();
  for (const t of tasks) logs.set(t.id, await readLogs(c, t.id));
  await sleep(WATCH_AFTER_END_MS);
  for (const n of c.nodes) await c.stopNode(n, "SIGKILL");
  await c.stopCoordinator("SIGTERM");
  const snap = await readDatabase({ url: c.db.url, pgliteDir: join(c.coordDir, "db") });
  const observation: Observation = {
    submitted: c.submitted,
    history: c.history,
    tasks,
    dbClaims: snap.claims,
    dbRecords: snap.records,
    stamps: c.stamps(),
    logs,
    allEndedNs,
  };
  const violations = checkAll(observation, { orphanGraceMs: ORPHAN_GRACE_MS });
  c.note("checked");
  return { tasks, violations, observation, summary: summarize(c, tasks, violations) };
}
