// POST /v1/tasks refuses an agent no node has ever offered, unless told the fleet is still joining.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nodes, tasks } from "../../store/schema.js";
import { openTestStore, storeKinds, type TestStore } from "../../store/testing.js";
import { createTestApp, type TestApp } from "../testing.js";

const kinds = await storeKinds();

describe.each(kinds)("submitting for an agent on %s", (kind) => {
  let db: TestStore;
  let t: TestApp;
  const publicKey = { kty: "OKP", crv: "Ed25519", x: "x" } as const;
  const agent = (name: string, limit: number | null = null) => ({ name, kind: name === "exec" ? ("exec" as const) : ("preset" as const), version: null, limit });

  const submit = (body: Record<string, unknown>) => t.api("/v1/tasks", { method: "POST", body: JSON.stringify({ prompt: "hi", ...body }) });

  beforeAll(async () => {
    db = await openTestStore(kind);
    t = await createTestApp(db.store);
    await db.store.db.insert(nodes).values([
      { id: "nod_a", name: "a", publicKey, state: "offline", agents: [agent("exec"), agent("claude", 1)] },
      { id: "nod_r", name: "r", publicKey, state: "revoked", agents: [agent("exec"), agent("codex")] },
    ]);
  }, 60_000);
  afterAll(async () => {
    await db?.dispose();
  });

  it("takes an agent some node offers, even one that is offline now", async () => {
    expect((await submit({ agent: "claude" })).status).toBe(201);
  });

  it("refuses an agent no node offers (a revoked node's agents do not count) and stores nothing", async () => {
    const before = (await db.store.db.select().from(tasks)).length;
    for (const agent of ["nosuch", "codex"]) {
      const res = await submit({ agent });
      expect(res.status).toBe(400);
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe("unknown_agent");
      expect(body.error.message).toBe(
        `no node offers agent ${agent}; join one that does, or pass allowUnknownAgent (--allow-unknown-agent) to queue it anyway`,
      );
    }
    expect((await db.store.db.select().from(tasks)).length).toBe(before);
  });

  it("queues an unknown agent when the submitter allows it, and exec always", async () => {
    expect((await submit({ agent: "nosuch", allowUnknownAgent: true })).status).toBe(201);
    expect((await submit({ agent: "exec", argv: ["true"], prompt: undefined })).status).toBe(201);
  });
});
