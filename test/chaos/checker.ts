// The chaos checker: pure functions over what a scenario observed (submits, the coordinator's history, final
// tasks from the API, claims and records from the database, the workers' stamps and each task's logs).
// Each check returns violations; an empty list means the property held.
import { checkEndsOnce, checkFencingDb, checkFencingHistory, normalizeHistory } from "./check-fencing.js";
import { checkLogs } from "./check-logs.js";
import { checkNoOrphans, checkNoOverlap } from "./check-workers.js";
import type { Observation, Violation } from "./observation.js";

export * from "./check-fencing.js";
export * from "./check-logs.js";
export * from "./check-workers.js";
export * from "./observation.js";

export function checkAll(o: Observation, opts: { dbToleranceMs?: number; orphanGraceMs?: number } = {}): Violation[] {
  const history = normalizeHistory(o.history, o.dbClaims);
  return [
    ...history.violations,
    ...checkEndsOnce(o.submitted, o.tasks, history.events),
    ...checkFencingHistory(history.events),
    ...checkFencingDb(o.tasks, o.dbClaims, o.dbRecords, opts.dbToleranceMs ?? 0),
    ...checkNoOverlap(o.stamps),
    ...checkNoOrphans(o.stamps, o.allEndedNs, opts.orphanGraceMs ?? 500),
    ...checkLogs(o.submitted, o.tasks, o.logs),
  ];
}

/** A few of each kind, so one noisy check does not hide the others. */
export function formatViolations(vs: readonly Violation[], perCheck = 8): string {
  const lines: string[] = [];
  for (const check of [...new Set(vs.map((v) => v.check))]) {
    const mine = vs.filter((v) => v.check === check);
    lines.push(...mine.slice(0, perCheck).map((v) => `[${check}] ${v.message}`));
    if (mine.length > perCheck) lines.push(`[${check}] … and ${mine.length - perCheck} more`);
  }
  return lines.join("\n");
}
