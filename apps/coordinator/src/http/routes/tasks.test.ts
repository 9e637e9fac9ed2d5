// GET /v1/tasks filters (state, agent, node, label) and their pagination, on PGlite and Postgres when reachable.
import type { TaskList } from "@muster/protocol";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nodes, tasks } from "../../store/schema.js";
import { openTestStore, storeKinds, type TestStore } from "../../store/testing.js";
import { createTestApp, type TestApp } from "../testing.js";

const kinds = await storeKinds();

describe.each(kinds)("GET /v1/tasks filters on %s", (kind) => {
  let db: TestStore;
  let t: TestApp;
  /** Task ids by the names the tests use. */
  const id: Record<string, string> = {};
  const publicKey = { kty: "OKP", crv: "Ed25519", x: "x" } as const;
  const agent = (name: string, kind: "exec" | "preset" = "preset") => ({ name, kind, version: null, limit: null });

  async function submit(name: string, body: Record<string, unknown>, nodeId: string | null = null): Promise<void> {
    const task = { agent: "exec", argv: ["true"], name, ...body };
    const res = await t.api("/v1/tasks", { method: "POST", body: JSON.stringify(task) });
    expect(res.status, await res.clone().text()).toBe(201);
    id[name] = ((await res.json()) as { id: string }).id;
    if (nodeId) await db.store.db.update(tasks).set({ nodeId, state: "running" }).where(eq(tasks.id, id[name]!));
  }

  /** The names of the tasks one listing returns, newest first. */
  async function list(query: string): Promise<string[]> {
    const body = await listBody(query);
    expect(body.nextCursor).toBeNull();
    return names(body);
  }
  async function listBody(query: string): Promise<TaskList> {
    const res = await t.api(`/v1/tasks?${query}`);
    expect(res.status, await res.clone().text()).toBe(200);
    return (await res.json()) as TaskList;
  }
  const names = (body: TaskList) => body.tasks.map((v) => v.name ?? v.id);
  const sorted = (xs: string[]) => [...xs].sort();

  beforeAll(async () => {
    db = await openTestStore(kind);
    t = await createTestApp(db.store);
    await db.store.db.insert(nodes).values([
      { id: "nod_one", name: "build-1", publicKey, state: "ready" },
      { id: "nod_two", name: "build-2", publicKey, state: "ready", agents: [agent("exec", "exec"), agent("claude")] },
      { id: "nod_old", name: "retired", publicKey, state: "revoked" },
    ]);
    // Each selector is stored canonically, as POST /v1/tasks formats it.
    await submit("A", { labels: { gpu: "true" }, selector: "zone in (a,b)" }, "nod_one");
    await submit("B", { agent: "claude", prompt: "hi", selector: "gpu!=true,zone=a" }, "nod_two");
    await submit("C", { selector: "gpu" });
    await submit("D", { selector: "!gpu, pool in (cpu,gpu,tpu)" }, "nod_one");
    await submit("E", { selector: "gpu notin (true)" });
    await submit("F", { selector: "gpu == false" });
    await submit("G", { selector: "gpu in (true,false)" }, "nod_two");
    await submit("H", { selector: "xgpu=true,gpux,example.com/gpu=true" });
    await submit("I", { selector: "a_b=1" });
    await submit("J", { selector: "axb=1" }, "nod_old");
  });
  afterAll(async () => {
    await db?.dispose();
  });

  it("stores the selectors in the canonical form the filters rely on", async () => {
    const [d] = await db.store.db.select({ selector: tasks.selector }).from(tasks).where(eq(tasks.id, id.D!));
    expect(d!.selector).toBe("!gpu,pool in (cpu,gpu,tpu)");
  });

  it("lists everything without filters", async () => {
    expect(sorted(await list(""))).toEqual(["A", "B", "C", "D", "E", "F", "G", "H", "I", "J"]);
  });

  it("filters by agent", async () => {
    expect(await list("agent=claude")).toEqual(["B"]);
    expect(await list("agent=codex")).toEqual([]);
  });

  it("filters by node id or name; a node nobody knows has no tasks", async () => {
    expect(sorted(await list("node=build-1"))).toEqual(["A", "D"]);
    expect(sorted(await list("node=nod_two"))).toEqual(["B", "G"]);
    expect(await list("node=nowhere")).toEqual([]);
    // A revoked node's name may be taken again, so only its id names it.
    expect(await list("node=retired")).toEqual([]);
    expect(await list("node=nod_old")).toEqual(["J"]);
  });

  it("matches a k=v label as that exact term", async () => {
    expect(await list("label=gpu%3Dtrue")).toEqual(["A"]);
    expect(await list("label=gpu=false")).toEqual(["F"]);
    expect(await list("label=zone=a")).toEqual(["B"]);
    expect(await list("label=example.com/gpu=true")).toEqual(["H"]);
    expect(await list("label=pool=gpu")).toEqual([]);
  });

  it("matches a bare k against every term that requires label k, and nothing else", async () => {
    // Not B (gpu!=true), D (!gpu; gpu only as a value of pool), E (notin), H (other keys).
    expect(sorted(await list("label=gpu"))).toEqual(["A", "C", "F", "G"]);
    expect(sorted(await list("label=zone"))).toEqual(["A", "B"]);
    expect(await list("label=pool")).toEqual(["D"]);
    expect(await list("label=tpu")).toEqual([]);
  });

  it("takes label keys literally: _ and % are no wildcards", async () => {
    expect(await list("label=a_b")).toEqual(["I"]);
    expect(await list("label=a_b=1")).toEqual(["I"]);
    expect(await list("label=axb")).toEqual(["J"]);
  });

  it("combines filters", async () => {
    expect(await list("agent=exec&node=build-1&label=gpu")).toEqual(["A"]);
    expect(await list("state=running&label=gpu")).toEqual(["G", "A"]);
    expect(await list("state=queued&label=gpu")).toEqual(["F", "C"]);
    expect(await list("agent=claude&label=gpu")).toEqual([]);
  });

  it("pages through a filtered listing with the cursor", async () => {
    const all = names(await listBody("label=gpu"));
    expect(all).toHaveLength(4);
    const first = await listBody("label=gpu&limit=3");
    expect(names(first)).toEqual(all.slice(0, 3));
    expect(first.nextCursor).not.toBeNull();
    const second = await listBody(`label=gpu&limit=3&cursor=${first.nextCursor}`);
    expect(names(second)).toEqual(all.slice(3));
    expect(second.nextCursor).toBeNull();
  });

  it.each([
    ["label=gpu%20in%20(a)", /^label: invalid label key "gpu in \(a\)"/],
    ["label=gpu=tr%20ue", /^label: invalid label value "tr ue"/],
    ["label==true", /^label: invalid label "=true"/],
    ["label=", /^label: invalid label key ""/],
    ["agent=Not%20Agent", /^agent: /],
    ["node=a%20b", /^node: must be a node id or name/],
  ])("refuses %s with validation_failed", async (query, message) => {
    const res = await t.api(`/v1/tasks?${query}`);
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("validation_failed");
    expect(body.error.message).toMatch(message);
  });
});
