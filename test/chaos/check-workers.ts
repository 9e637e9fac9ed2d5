// Checks on the workers themselves, from the stamps file: no two attempts of a task at once, no worker left over.
import type { Violation } from "./observation.js";
import type { Stamp } from "./worker.js";

// ---- no two workers of one task at once --------------------------------------------------------

export interface WorkerInterval {
  taskId: string;
  claimId: string;
  start: bigint;
  last: bigint;
  starts: number;
}

export function workerIntervals(stamps: readonly Stamp[]): WorkerInterval[] {
  const byClaim = new Map<string, WorkerInterval>();
  for (const s of stamps) {
    const w = byClaim.get(s.claimId);
    if (!w) {
      byClaim.set(s.claimId, { taskId: s.taskId, claimId: s.claimId, start: s.ns, last: s.ns, starts: s.kind === "start" ? 1 : 0 });
      continue;
    }
    if (s.kind === "start") w.starts += 1;
    if (s.ns < w.start) w.start = s.ns;
    if (s.ns > w.last) w.last = s.ns;
  }
  return [...byClaim.values()];
}

const ms = (ns: bigint) => Number(ns / 1_000_000n);

/** With onDisconnect stop, the intervals [start, last stamp] of different claims of one task never overlap. */
export function checkNoOverlap(stamps: readonly Stamp[]): Violation[] {
  const out: Violation[] = [];
  const byTask = new Map<string, WorkerInterval[]>();
  for (const w of workerIntervals(stamps)) {
    byTask.set(w.taskId, [...(byTask.get(w.taskId) ?? []), w]);
    if (w.starts > 1)
      out.push({ check: "no-overlap", taskId: w.taskId, message: `claim ${w.claimId} of task ${w.taskId} started a worker ${w.starts} times` });
  }
  for (const [taskId, ws] of byTask) {
    ws.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
    for (let i = 0; i < ws.length; i++)
      for (let j = i + 1; j < ws.length; j++) {
        const [a, b] = [ws[i]!, ws[j]!];
        if (b.start > a.last) continue;
        out.push({
          check: "no-overlap",
          taskId,
          message: `task ${taskId} ran two workers at once: claim ${a.claimId} was still alive ${ms(a.last - b.start)} ms after claim ${b.claimId} started`,
        });
      }
  }
  return out;
}

/** No worker is still stamping once every task has ended (plus `graceMs` for a stop in progress). */
export function checkNoOrphans(stamps: readonly Stamp[], allEndedNs: bigint, graceMs: number): Violation[] {
  const limit = allEndedNs + BigInt(graceMs) * 1_000_000n;
  const out: Violation[] = [];
  for (const w of workerIntervals(stamps))
    if (w.last > limit)
      out.push({
        check: "no-orphans",
        taskId: w.taskId,
        message: `the worker of claim ${w.claimId} (task ${w.taskId}) was still alive ${ms(w.last - allEndedNs)} ms after every task had ended`,
      });
  return out;
}
