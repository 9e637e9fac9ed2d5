// Reads a task's records in order across its attempts, from a cursor `<attempt>:<seq>`.
import type { LogEntry } from "@muster/protocol";
import { and, asc, eq, sql } from "drizzle-orm";
import type { Executor } from "./db.js";
import { claimRecords } from "./schema.js";

export function parseCursor(text: string | undefined | null): { attempt: number; seq: number } {
  const m = /^(\d+):(\d+)$/.exec(text ?? "");
  return m ? { attempt: Number(m[1]), seq: Number(m[2]) } : { attempt: 0, seq: 0 };
}

export const cursorOf = (e: LogEntry) => `${e.attempt}:${e.record.seq}`;

export async function readLogPage(db: Executor, taskId: string, after: string | undefined, limit: number): Promise<LogEntry[]> {
  const c = parseCursor(after);
  const rows = await db
    .select({ claimId: claimRecords.claimId, attempt: claimRecords.attempt, record: claimRecords.record })
    .from(claimRecords)
    .where(and(eq(claimRecords.taskId, taskId), sql`(${claimRecords.attempt}, ${claimRecords.seq}) > (${c.attempt}, ${c.seq})`))
    .orderBy(asc(claimRecords.attempt), asc(claimRecords.seq))
    .limit(limit);
  return rows;
}
