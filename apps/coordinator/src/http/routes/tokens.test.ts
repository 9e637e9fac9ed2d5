// API token management: create with a role, list, revoke (ending sessions), the last-admin guard, lastUsedAt; on
// PGlite and Postgres when reachable.
import { TokenCreated, TokenList, TokenView, type Role } from "@muster/protocol";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashSecret } from "../../auth/secrets.js";
import { apiTokens } from "../../store/schema.js";
import { openTestStore, storeKinds, type TestStore } from "../../store/testing.js";
import { createTestApp, TEST_ADMIN_TOKEN, type TestApp } from "../testing.js";

const kinds = await storeKinds();

describe.each(kinds)("API tokens on %s", (kind) => {
  let db: TestStore;
  let t: TestApp;

  /** A request with the given bearer token (or cookie header), path relative to the app. */
  function as(auth: { token?: string; cookie?: string }, path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (auth.token) headers.set("authorization", `Bearer ${auth.token}`);
    if (auth.cookie) headers.set("cookie", auth.cookie);
    if (init.body !== undefined) headers.set("content-type", "application/json");
    return Promise.resolve(t.app.request(path, { ...init, headers }));
  }

  async function create(name: string, role: Role): Promise<TokenCreated> {
    const res = await t.api("/v1/tokens", { method: "POST", body: JSON.stringify({ name, role }) });
    expect(res.status, await res.clone().text()).toBe(201);
    return TokenCreated.parse(await res.json());
  }

  async function list(): Promise<TokenView[]> {
    const res = await t.api("/v1/tokens");
    expect(res.status).toBe(200);
    return TokenList.parse(await res.json()).tokens;
  }

  const revoke = (id: string, token = TEST_ADMIN_TOKEN) => as({ token }, `/v1/tokens/${id}`, { method: "DELETE" });
  const task = JSON.stringify({ agent: "exec", argv: ["true"] });

  beforeAll(async () => {
    db = await openTestStore(kind);
    t = await createTestApp(db.store);
  });
  afterAll(async () => {
    await db?.dispose();
  });

  it("creates a token of each role, shown once and stored only as its hash, that authenticates with that role", async () => {
    for (const role of ["viewer", "operator", "admin"] as const) {
      const created = await create(`alice-${role}`, role);
      expect(created).toMatchObject({ name: `alice-${role}`, role, lastUsedAt: null, revokedAt: null });
      expect(created.token).toMatch(new RegExp(`^mat_${created.id}_[A-Za-z0-9_-]{20,}$`));
      const [row] = await db.store.db.select().from(apiTokens).where(eq(apiTokens.id, created.id));
      expect(row!.secretHash).toBe(hashSecret(created.token));
      // The secret is everything after `mat_<id>_` (it may itself contain "_").
      const secret = created.token.slice(`mat_${created.id}_`.length);
      expect(secret.length).toBeGreaterThanOrEqual(20);
      expect(JSON.stringify(row)).not.toContain(secret);
      const who = await as({ token: created.token }, "/v1/whoami");
      expect(await who.json()).toEqual({ tokenId: created.id, name: `alice-${role}`, role });
      // The secret is never shown again.
      expect(JSON.stringify(await list())).not.toContain(created.token);
    }
  });

  it("gives each role what it may do: viewers read, operators submit, only admins manage", async () => {
    const viewer = (await create("v", "viewer")).token;
    const operator = (await create("o", "operator")).token;
    expect((await as({ token: viewer }, "/v1/tasks")).status).toBe(200);
    const refused = await as({ token: viewer }, "/v1/tasks", { method: "POST", body: task });
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("forbidden");
    expect((await as({ token: operator }, "/v1/tasks", { method: "POST", body: task })).status).toBe(201);
    const joinKey = JSON.stringify({ uses: 1 });
    expect((await as({ token: operator }, "/v1/join-keys", { method: "POST", body: joinKey })).status).toBe(403);
    for (const token of [viewer, operator]) {
      expect((await as({ token }, "/v1/tokens")).status).toBe(403);
      expect((await as({ token }, "/v1/tokens", { method: "POST", body: JSON.stringify({ name: "x", role: "admin" }) })).status).toBe(403);
      expect((await revoke("testadmin", token)).status).toBe(403);
    }
    // Nobody lower raised themselves to admin on the way.
    expect((await list()).filter((v) => v.name === "x")).toEqual([]);
  });

  it("lists every token newest first, revoked ones included", async () => {
    const a = await create("list-a", "viewer");
    const b = await create("list-b", "operator");
    expect((await revoke(a.id)).status).toBe(200);
    const tokens = await list();
    const times = tokens.map((v) => Date.parse(v.createdAt));
    expect(times).toEqual([...times].sort((x, y) => y - x));
    expect(tokens.findIndex((v) => v.id === b.id)).toBeLessThan(tokens.findIndex((v) => v.id === a.id));
    expect(tokens.find((v) => v.id === a.id)?.revokedAt).not.toBeNull();
    expect(tokens.find((v) => v.id === "testadmin")).toMatchObject({ role: "admin", revokedAt: null });
  });

  it("revokes: the token gets 401 at once, again is a no-op, an unknown id is 404", async () => {
    const created = await create("to-revoke", "operator");
    expect((await as({ token: created.token }, "/v1/whoami")).status).toBe(200);
    const res = await revoke(created.id);
    expect(res.status).toBe(200);
    const view = TokenView.parse(await res.json());
    expect(view).toMatchObject({ id: created.id, name: "to-revoke", role: "operator" });
    expect(view.revokedAt).not.toBeNull();
    const refused = await as({ token: created.token }, "/v1/whoami");
    expect(refused.status).toBe(401);
    const again = await revoke(created.id);
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual(view);
    const unknown = await revoke("nosuchtoken");
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: { code: string } }).error.code).toBe("not_found");
  });

  it("ends the console sessions made from a revoked token", async () => {
    const created = await create("console-user", "viewer");
    const opened = await t.app.request("/v1/session", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ token: created.token }),
    });
    expect(opened.status).toBe(200);
    const cookie = opened.headers.get("set-cookie")!.split(";")[0]!;
    expect((await as({ cookie }, "/v1/whoami")).status).toBe(200);
    expect((await revoke(created.id)).status).toBe(200);
    const after = await as({ cookie }, "/v1/whoami");
    expect(after.status).toBe(401);
    expect(((await after.json()) as { error: { message: string } }).error.message).toMatch(/sign in again/);
  });

  it("closes the live event stream of a revoked token", async () => {
    const created = await create("streamer", "viewer");
    const res = await as({ token: created.token }, "/v1/events");
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toContain("event: hello");
    expect((await revoke(created.id)).status).toBe(200);
    // The stream ends by itself instead of waiting for the next keepalive.
    const end = await Promise.race([reader.read(), new Promise((r) => setTimeout(() => r("timeout"), 3000))]);
    expect(end).toMatchObject({ done: true });
  });

  it("refuses to revoke the last active admin token, so the fleet cannot lock itself out", async () => {
    // Revoke every admin but the bootstrap one, then try the bootstrap one itself.
    for (const v of await list()) if (v.role === "admin" && !v.revokedAt && v.id !== "testadmin") expect((await revoke(v.id)).status).toBe(200);
    const res = await revoke("testadmin");
    expect(res.status).toBe(409);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("conflict");
    expect(body.error.message).toMatch(/last active admin token/);
    expect((await t.api("/v1/whoami")).status).toBe(200);

    // With a second admin, the first may go; the second is then the last.
    const second = await create("second-admin", "admin");
    expect((await revoke("testadmin", second.token)).status).toBe(200);
    expect((await t.api("/v1/whoami")).status).toBe(401);
    expect((await revoke(second.id, second.token)).status).toBe(409);
    // Put the bootstrap admin back for the tests after this one.
    await db.store.db.update(apiTokens).set({ revokedAt: null }).where(eq(apiTokens.id, "testadmin"));
  });

  it("refuses bad bodies with validation_failed", async () => {
    for (const body of [
      {},
      { name: "", role: "viewer" },
      { name: "   ", role: "viewer" },
      { name: "x".repeat(101), role: "viewer" },
      { name: "bob", role: "root" },
      { name: "bob" },
      { name: "bob", role: "viewer", ttlMs: 60_000 },
    ]) {
      const res = await t.api("/v1/tokens", { method: "POST", body: JSON.stringify(body) });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("validation_failed");
    }
    expect((await t.api("/v1/tokens", { method: "POST", body: "{" })).status).toBe(400);
  });

  it("records lastUsedAt when a token authenticates, at most once a minute", async () => {
    const created = await create("ci", "viewer");
    const seen = async () => (await list()).find((v) => v.id === created.id)!.lastUsedAt;
    expect(await seen()).toBeNull();
    expect((await as({ token: created.token }, "/v1/status")).status).toBe(200);
    const first = await seen();
    expect(first).not.toBeNull();
    await new Promise((r) => setTimeout(r, 5));
    expect((await as({ token: created.token }, "/v1/status")).status).toBe(200);
    expect(await seen()).toBe(first);
  });
});
