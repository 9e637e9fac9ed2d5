// Exactly one pulse per database: every step of the pulse runs in a transaction that holds its advisory lock, so
// two coordinators on one Postgres never carry out a step at once, and the pulse moves to whoever is alive.
import { sql } from "drizzle-orm";
import type { Db, Tx } from "../store/db.js";
import { rowsOf } from "../store/rows.js";

const PULSE_LOCK = 7391003;

/** Runs `fn` under the pulse lock; null when another coordinator holds it. */
export async function underPulseLock<T>(db: Db, fn: (tx: Tx) => Promise<T>): Promise<T | null> {
  return db.transaction(async (tx) => {
    const [lock] = rowsOf<{ ok: boolean }>(await tx.execute(sql`select pg_try_advisory_xact_lock(${PULSE_LOCK}) as ok`));
    if (!lock?.ok) return null;
    return fn(tx);
  });
}
