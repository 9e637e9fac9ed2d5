// The console session key: where it comes from, and what happens to the copy older versions kept in the database.
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../log.js";
import { settings } from "../store/schema.js";
import { openTestStore, type TestStore } from "../store/testing.js";
import { keyFromSecret, loadSessionKey, readSession, rotateSessionKey, SESSION_KEY_FILE, signSession } from "./session.js";

const log = createLogger({ level: "silent" });

describe("console session key", () => {
  let t: TestStore;
  const dirs: string[] = [];
  const dataDir = () => {
    const d = mkdtempSync(join(tmpdir(), "muster-session-"));
    dirs.push(d);
    return d;
  };
  beforeAll(async () => {
    t = await openTestStore("pglite");
  }, 60_000);
  afterAll(async () => {
    await t?.dispose();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  const load = (dir: string, envSecret?: string) => loadSessionKey(t.store.db, { dataDir: dir, envSecret, sharedDatabase: false, log });

  it("makes a 0600 key file once and reads the same key back", async () => {
    const dir = dataDir();
    const first = await load(dir);
    expect(statSync(join(dir, SESSION_KEY_FILE)).mode & 0o777).toBe(0o600);
    expect(Buffer.from(await load(dir)).equals(Buffer.from(first))).toBe(true);
    const cookie = await signSession(first, "tok1", Math.floor(Date.now() / 1000));
    expect(await readSession(await load(dir), cookie, new Date())).toBe("tok1");
  });

  it("deletes the key older versions kept in the database", async () => {
    await t.store.db.insert(settings).values({ key: "session_secret", value: "old" }).onConflictDoNothing();
    await load(dataDir());
    expect(await t.store.db.select().from(settings).where(eq(settings.key, "session_secret"))).toEqual([]);
  });

  it("derives one key from MUSTER_SESSION_SECRET whatever the data directory", async () => {
    const secret = "a secret shared by every coordinator of the fleet";
    const a = await load(dataDir(), secret);
    const b = await load(dataDir(), secret);
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    expect(Buffer.from(a).equals(Buffer.from(keyFromSecret("another secret of enough length, really")))).toBe(false);
  });

  it("ends sessions signed with a rotated key", async () => {
    const dir = dataDir();
    const before = await load(dir);
    const cookie = await signSession(before, "tok1", Math.floor(Date.now() / 1000));
    rotateSessionKey(dir);
    expect(statSync(join(dir, SESSION_KEY_FILE)).mode & 0o777).toBe(0o600);
    expect(await readSession(await load(dir), cookie, new Date())).toBeNull();
  });

  it("refuses a key file that holds no key, saying what to do", async () => {
    const dir = dataDir();
    writeFileSync(join(dir, SESSION_KEY_FILE), "short\n", { mode: 0o600 });
    await expect(load(dir)).rejects.toThrow(/rotate-session-secret/);
  });
});
