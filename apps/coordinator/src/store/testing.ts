// Test support: the databases the store tests run on. Embedded PGlite always; Postgres when reachable, and
// always in CI, where an unreachable Postgres is an error rather than a skip.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { openStore, type Store } from "./db.js";

const ADMIN_URL = process.env.MUSTER_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

export type DbKind = "pglite" | "postgres";

export async function storeKinds(): Promise<DbKind[]> {
  const sql = postgres(ADMIN_URL, { max: 1, connect_timeout: 3, onnotice: () => {} });
  try {
    await sql`select 1`;
    return ["pglite", "postgres"];
  } catch (err) {
    if (process.env.CI) throw new Error(`Postgres is required in CI but ${ADMIN_URL} is unreachable: ${(err as Error).message}`);
    return ["pglite"];
  } finally {
    await sql.end({ timeout: 1 });
  }
}

export interface TestStore {
  store: Store;
  /** Opens another independent connection to the same database (Postgres only). */
  second(): Promise<Store>;
  dispose(): Promise<void>;
}

export async function openTestStore(kind: DbKind): Promise<TestStore> {
  const dir = mkdtempSync(join(tmpdir(), "muster-store-"));
  if (kind === "pglite") {
    const store = await openStore({ dataDir: dir });
    return {
      store,
      second: () => Promise.reject(new Error("PGlite has a single connection")),
      dispose: async () => {
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const name = `muster_store_${randomBytes(6).toString("hex")}`;
  const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  await admin.end();
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  const others: Store[] = [];
  const store = await openStore({ databaseUrl: url.toString(), dataDir: dir });
  return {
    store,
    second: async () => {
      const s = await openStore({ databaseUrl: url.toString(), dataDir: dir });
      others.push(s);
      return s;
    },
    dispose: async () => {
      for (const s of [store, ...others]) await s.close();
      const sql = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
      await sql.unsafe(`drop database if exists ${name} with (force)`);
      await sql.end();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
