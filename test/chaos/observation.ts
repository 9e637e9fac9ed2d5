// What a chaos scenario observed, as plain data the checks read: the test's submits, final tasks from the API,
// claims and records from the database, and each task's logs.
import type { Logged } from "./history.js";
import type { Stamp } from "./worker.js";

export interface Violation {
  check: "history" | "ends-once" | "fencing-history" | "fencing-db" | "no-overlap" | "logs" | "no-orphans";
  taskId?: string;
  message: string;
}

export interface Submitted {
  taskId: string;
  /** Lines its worker prints when it runs to the end. */
  lines: number;
}

export interface FinalClaim {
  claimId: string;
  token: number;
  attempt: number;
  nodeId: string;
  state: string;
  exitCode: number | null;
  reason: string | null;
}

/** A task as the API shows it at the end (the fields of TaskDetail the checks need). */
export interface FinalTask {
  id: string;
  state: string;
  exitCode: number | null;
  reason: string | null;
  claims: FinalClaim[];
}

/** A claim row from the database. `finishedAt` is epoch ms. */
export interface DbClaim {
  id: string;
  taskId: string;
  token: number;
  state: string;
  finishedAt: number | null;
}

/** A claim_records row from the database. `storedAt` is epoch ms. */
export interface DbRecord {
  claimId: string;
  taskId: string;
  seq: number;
  storedAt: number;
}

/** A stored record as `GET /v1/tasks/:id/logs` returns it. */
export interface LogEntry {
  claimId: string;
  attempt: number;
  record: { seq: number; kind: string; stream?: string; text?: string };
}

export const TERMINAL = new Set(["succeeded", "failed", "cancelled"]);
export const LIVE_CLAIM = new Set(["offered", "accepted", "running"]);

export const lastClaim = (t: FinalTask): FinalClaim | undefined =>
  t.claims.reduce<FinalClaim | undefined>((best, c) => (!best || c.token > best.token ? c : best), undefined);

export function summarize(seqs: readonly number[]): string {
  return seqs.length <= 12 ? seqs.join(",") : `${seqs.slice(0, 6).join(",")},…,${seqs.slice(-6).join(",")}`;
}

export interface Observation {
  submitted: Submitted[];
  history: Logged[];
  tasks: FinalTask[];
  dbClaims: DbClaim[];
  dbRecords: DbRecord[];
  stamps: Stamp[];
  logs: Map<string, LogEntry[]>;
  /** Wall-clock ns when every task had ended. */
  allEndedNs: bigint;
}
