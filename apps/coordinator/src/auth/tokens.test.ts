// Bootstrap of the first admin token on real databases: one per database, however many data directories.
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../log.js";
import type { Store } from "../store/db.js";
import { apiTokens } from "../store/schema.js";
import { openTestStore, storeKinds, type TestStore } from "../store/testing.js";
import { ADMIN_TOKEN_FILE, authenticateToken, bootstrapAdminToken } from "./tokens.js";

const kinds = await storeKinds();
const log = createLogger({ level: "silent" });

describe.each(kinds)("admin token bootstrap on %s", (kind) => {
  let db: TestStore;
  let store: Store;
  const dirs: string[] = [];
  const dataDir = () => {
    const d = mkdtempSync(join(tmpdir(), "muster-boot-"));
    dirs.push(d);
    return d;
  };

  beforeAll(async () => {
    db = await openTestStore(kind);
    store = db.store;
  }, 60_000);
  afterAll(async () => {
    await db?.dispose();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it("mints one admin token per database, keeps it across restarts, and mints none for a second data directory", { timeout: 60_000 }, async () => {
    const first = dataDir();
    const made = await bootstrapAdminToken(store.db, { dataDir: first, log });
    expect(made.source).toBe("created");
    expect(readFileSync(join(first, ADMIN_TOKEN_FILE), "utf8").trim()).toBe(made.token);
    expect(await authenticateToken(store.db, made.token!)).toMatchObject({ role: "admin" });

    const again = await bootstrapAdminToken(store.db, { dataDir: first, log });
    expect(again).toMatchObject({ source: "file", token: made.token });

    const second = dataDir();
    const other = await bootstrapAdminToken(store.db, { dataDir: second, log });
    expect(other).toEqual({ token: null, path: null, source: "elsewhere" });
    expect(existsSync(join(second, ADMIN_TOKEN_FILE))).toBe(false);
    const bootstraps = await store.db.select().from(apiTokens).where(eq(apiTokens.name, "admin (bootstrap)"));
    expect(bootstraps).toHaveLength(1);
  });
});
