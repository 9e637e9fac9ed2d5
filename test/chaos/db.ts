// Reads claims and stored records straight from the coordinator's database, the ground truth after a crash.
// PGlite is single-process: read it only after the coordinator has stopped.
import { PGlite } from "@electric-sql/pglite";
import postgres from "postgres";
import type { DbClaim, DbRecord } from "./checker.js";

export interface DbSnapshot {
  claims: DbClaim[];
  records: DbRecord[];
}

type ClaimRow = { id: string; task_id: string; token: number; state: string; finished_at: Date | string | null };
type RecordRow = { claim_id: string; task_id: string; seq: number; stored_at: Date | string };

const CLAIMS = "select id, task_id, token, state, finished_at from claims";
const RECORDS = "select claim_id, task_id, seq, stored_at from claim_records";

const epoch = (d: Date | string) => (d instanceof Date ? d.getTime() : Date.parse(d));

function toSnapshot(claims: ClaimRow[], records: RecordRow[]): DbSnapshot {
  return {
    claims: claims.map((c) => ({
      id: c.id,
      taskId: c.task_id,
      token: Number(c.token),
      state: c.state,
      finishedAt: c.finished_at === null ? null : epoch(c.finished_at),
    })),
    records: records.map((r) => ({ claimId: r.claim_id, taskId: r.task_id, seq: Number(r.seq), storedAt: epoch(r.stored_at) })),
  };
}

export async function readDatabase(db: { url?: string; pgliteDir?: string }): Promise<DbSnapshot> {
  if (db.url) {
    const sql = postgres(db.url, { max: 1, onnotice: () => {} });
    try {
      return toSnapshot(await sql.unsafe<ClaimRow[]>(CLAIMS), await sql.unsafe<RecordRow[]>(RECORDS));
    } finally {
      await sql.end({ timeout: 2 });
    }
  }
  const client = await PGlite.create(db.pgliteDir!);
  try {
    const claims = await client.query<ClaimRow>(CLAIMS);
    const records = await client.query<RecordRow>(RECORDS);
    return toSnapshot(claims.rows, records.rows);
  } finally {
    await client.close();
  }
}
