// The key that signs console sessions lives outside the database (data directory file or MUSTER_SESSION_SECRET),
// survives restarts, can be rotated, and is the same on every coordinator given the same secret.
import { statSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { databaseKinds, postgresAvailable, type TestDatabase } from "../harness/databases.js";
import { runBin } from "../harness/fleet.js";
import { BIN } from "../harness/paths.js";
import { disposeCoordinator, startCoordinator, startCoordinatorAgain, tempDir, type CoordinatorHandle } from "../harness/processes.js";

const kinds = await databaseKinds();
/** These tests restart the coordinator twice; the embedded database takes a while to open on a busy machine. */
const RESTARTS_MS = 180_000;
const ADMIN = "mat_sessionsecretadmin_0123456789abcdefghij";

/** Runs SQL on the coordinator's database; PGlite only while no coordinator holds it. */
async function query(db: TestDatabase, dataDir: string, text: string): Promise<Record<string, unknown>[]> {
  if (db.url) {
    const sql = postgres(db.url, { max: 1, onnotice: () => {} });
    try {
      return [...(await sql.unsafe(text))];
    } finally {
      await sql.end();
    }
  }
  const lite = await PGlite.create(join(dataDir, "db"));
  try {
    return (await lite.query<Record<string, unknown>>(text)).rows;
  } finally {
    await lite.close();
  }
}

async function signIn(c: CoordinatorHandle): Promise<string> {
  const res = await fetch(`${c.url}/v1/session`, { method: "POST", body: JSON.stringify({ token: c.token }) });
  expect(res.status).toBe(200);
  return res.headers.get("set-cookie")!.split(";")[0]!;
}

const statusWith = async (c: CoordinatorHandle, cookie: string) => (await fetch(`${c.url}/v1/status`, { headers: { cookie } })).status;

describe.each(kinds)("console session key on %s", (kind) => {
  let c: CoordinatorHandle;
  beforeAll(async () => {
    c = await startCoordinator(kind);
  });
  afterAll(async () => {
    if (c) await disposeCoordinator(c);
  });

  it("keeps the key in a 0600 file in the data directory, never in the database", async () => {
    const path = join(c.dataDir, "session.key");
    expect(statSync(path).mode & 0o777).toBe(0o600);
    await c.stop();
    // As an older version left it: the key in the settings table.
    await query(c.db, c.dataDir, "insert into settings (key, value) values ('session_secret', 'old-key-from-the-database')");
    c = await startCoordinatorAgain(c);
    await c.stop();
    expect(await query(c.db, c.dataDir, "select key from settings where key = 'session_secret'")).toEqual([]);
    c = await startCoordinatorAgain(c);
  }, RESTARTS_MS);

  it("keeps sessions across a restart, and ends them all when the key is rotated", async () => {
    const cookie = await signIn(c);
    c = await startCoordinatorAgain(c);
    expect(await statusWith(c, cookie)).toBe(200);
    await c.stop();
    const before = readFileSync(join(c.dataDir, "session.key"), "utf8");
    const rotated = await runBin(BIN.coordinator, ["rotate-session-secret", "--data-dir", c.dataDir], { MUSTER_SESSION_SECRET: "" });
    expect(rotated.code).toBe(0);
    expect(rotated.stdout).toMatch(/restart/);
    expect(readFileSync(join(c.dataDir, "session.key"), "utf8")).not.toBe(before);
    expect(statSync(join(c.dataDir, "session.key")).mode & 0o777).toBe(0o600);
    c = await startCoordinatorAgain(c);
    expect(await statusWith(c, cookie)).toBe(401);
    expect(await statusWith(c, await signIn(c))).toBe(200);
  }, RESTARTS_MS);

  it("refuses to rotate a key that comes from MUSTER_SESSION_SECRET, and to start with a short one", async () => {
    const res = await runBin(BIN.coordinator, ["rotate-session-secret", "--data-dir", c.dataDir], { MUSTER_SESSION_SECRET: "s".repeat(40) });
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/MUSTER_SESSION_SECRET/);
    const dir = tempDir("muster-short-secret-");
    const start = await runBin(BIN.coordinator, ["start", "--port", "0", "--data-dir", dir.path], { MUSTER_SESSION_SECRET: "too-short" });
    dir.remove();
    expect(start.code).toBe(2);
    expect(start.stderr).toMatch(/MUSTER_SESSION_SECRET must be at least 32 characters/);
  });
});

describe.runIf(await postgresAvailable())("coordinators sharing one database", () => {
  const secret = { MUSTER_SESSION_SECRET: "one secret for the whole fleet, at least 32 chars", MUSTER_ADMIN_TOKEN: ADMIN };
  let one: CoordinatorHandle;
  let two: CoordinatorHandle;
  let dir: { path: string; remove(): void };
  beforeAll(async () => {
    one = await startCoordinator("postgres", secret);
    dir = tempDir("muster-second-coord-");
    two = await startCoordinator("postgres", secret, { dataDir: dir.path, db: one.db });
  });
  afterAll(async () => {
    await two?.stop();
    dir?.remove();
    if (one) await disposeCoordinator(one);
  });

  it("accept each other's session cookies when given the same MUSTER_SESSION_SECRET", async () => {
    const cookie = await signIn(one);
    expect(await statusWith(two, cookie)).toBe(200);
    expect(statSync(one.dataDir).isDirectory()).toBe(true);
    expect(() => statSync(join(one.dataDir, "session.key"))).toThrow();
  });
});
