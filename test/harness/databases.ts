// The databases the cross-process tests run on: embedded PGlite always, Postgres when reachable (always in CI).
import { randomBytes } from "node:crypto";
import postgres from "postgres";

export const ADMIN_URL = process.env.MUSTER_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

export interface TestDatabase {
  kind: "pglite" | "postgres";
  /** Set for Postgres: a fresh database for this run. */
  url?: string;
  drop(): Promise<void>;
}

let reachable: boolean | null = null;

export async function postgresAvailable(): Promise<boolean> {
  if (reachable !== null) return reachable;
  const sql = postgres(ADMIN_URL, { max: 1, connect_timeout: 3, onnotice: () => {} });
  try {
    await sql`select 1`;
    reachable = true;
  } catch (err) {
    if (process.env.CI) throw new Error(`Postgres is required in CI but ${ADMIN_URL} is unreachable: ${(err as Error).message}`);
    reachable = false;
  } finally {
    await sql.end({ timeout: 1 });
  }
  return reachable;
}

export async function freshPostgres(): Promise<TestDatabase> {
  const name = `muster_test_${randomBytes(6).toString("hex")}`;
  const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  await admin.end();
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    kind: "postgres",
    url: url.toString(),
    drop: async () => {
      const sql = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
      await sql.unsafe(`drop database if exists ${name} with (force)`);
      await sql.end();
    },
  };
}

export const pglite = (): TestDatabase => ({ kind: "pglite", drop: async () => {} });

/** The database kinds to run a suite on; Postgres is left out only outside CI when it is unreachable. */
export async function databaseKinds(): Promise<("pglite" | "postgres")[]> {
  return (await postgresAvailable()) ? ["pglite", "postgres"] : ["pglite"];
}
