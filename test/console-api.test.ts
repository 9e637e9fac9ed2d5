// What the web console stands on: a session cookie in exchange for a token, and the live event feed.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { databaseKinds } from "./harness/databases.js";
import { api, disposeCoordinator, startCoordinator, type CoordinatorHandle } from "./harness/processes.js";

const kinds = await databaseKinds();

/** Reads server-sent events until `enough` says stop; returns them with their ids. */
async function readEvents(
  url: string,
  headers: Record<string, string>,
  enough: (events: { event: string; id: string; data: any }[]) => boolean,
  timeoutMs = 10_000,
  onEvents: (events: { event: string; id: string; data: any }[]) => void = () => {},
) {
  const ctrl = new AbortController();
  const timer = setTimeout(() => ctrl.abort(), timeoutMs);
  const res = await fetch(url, { headers, signal: ctrl.signal });
  const events: { event: string; id: string; data: any }[] = [];
  const reader = res.body!.getReader();
  let buf = "";
  try {
    while (!enough(events)) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += new TextDecoder().decode(value);
      let i: number;
      while ((i = buf.indexOf("\n\n")) >= 0) {
        const block = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const f = Object.fromEntries(block.split("\n").filter((l) => !l.startsWith(":")).map((l) => [l.slice(0, l.indexOf(":")), l.slice(l.indexOf(":") + 1).trim()]));
        if (f.event) events.push({ event: f.event, id: f.id ?? "", data: JSON.parse(f.data ?? "null") });
      }
      onEvents(events);
    }
  } finally {
    clearTimeout(timer);
    ctrl.abort();
  }
  return events;
}

describe.each(kinds)("console API on %s", (kind) => {
  let c: CoordinatorHandle;
  beforeAll(async () => {
    c = await startCoordinator(kind);
  });
  afterAll(async () => {
    if (c) await disposeCoordinator(c);
  });

  it("exchanges a token for an HttpOnly, SameSite=Strict session cookie that works until signed out", async () => {
    const bad = await fetch(`${c.url}/v1/session`, { method: "POST", body: JSON.stringify({ token: "mat_nope_nopenopenopenopenopenope" }) });
    expect(bad.status).toBe(401);
    const res = await fetch(`${c.url}/v1/session`, { method: "POST", body: JSON.stringify({ token: c.token }) });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { role: string }).role).toBe("admin");
    const setCookie = res.headers.get("set-cookie")!;
    expect(setCookie).toMatch(/muster_session=/);
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    const cookie = setCookie.split(";")[0]!;
    const status = await fetch(`${c.url}/v1/status`, { headers: { cookie } });
    expect(status.status).toBe(200);
    const forged = await fetch(`${c.url}/v1/status`, { headers: { cookie: `${cookie}x` } });
    expect(forged.status).toBe(401);
    const crossSite = await fetch(`${c.url}/v1/tasks`, {
      method: "POST",
      headers: { cookie, origin: "https://evil.example", "content-type": "application/json" },
      body: JSON.stringify({ agent: "exec", argv: ["true"] }),
    });
    expect(crossSite.status).toBe(403);
    const out = await fetch(`${c.url}/v1/session`, { method: "DELETE", headers: { cookie } });
    expect(out.status).toBe(204);
    expect(out.headers.get("set-cookie")).toMatch(/muster_session=;/);
  });

  it("streams fleet changes as server-sent events and resumes after a dropped connection", async () => {
    const headers = { authorization: `Bearer ${c.token}` };
    let opened = () => {};
    const hello = new Promise<void>((resolve) => (opened = resolve));
    const first = readEvents(`${c.url}/v1/events`, headers, (es) => es.some((e) => e.event === "task"), 10_000, (es) => {
      if (es.some((e) => e.event === "hello")) opened();
    });
    await hello;
    const t1 = await api<any>(c, "POST", "/v1/tasks", { agent: "exec", argv: ["true"], selector: "nowhere=true" });
    const got = await first;
    const taskEvent = got.find((e) => e.event === "task")!;
    expect(taskEvent.data).toEqual({ type: "task", taskId: t1.body.id, state: "queued" });
    // While nobody listens, another task is submitted; resuming from the last id delivers it.
    const t2 = await api<any>(c, "POST", "/v1/tasks", { agent: "exec", argv: ["true"], selector: "nowhere=true" });
    const resumed = await readEvents(`${c.url}/v1/events`, { ...headers, "last-event-id": taskEvent.id }, (es) =>
      es.some((e) => e.event === "task" && e.data.taskId === t2.body.id),
    );
    expect(resumed.filter((e) => e.event === "task").map((e) => e.data.taskId)).toContain(t2.body.id);
    expect(resumed.some((e) => e.data?.taskId === t1.body.id && e.id === taskEvent.id)).toBe(false);
    const reset = await readEvents(`${c.url}/v1/events`, { ...headers, "last-event-id": "-5" }, (es) => es.length > 0);
    expect(reset[0]?.event).toBe("reset");
    for (const t of [t1, t2]) await api(c, "POST", `/v1/tasks/${t.body.id}/cancel`);
  });
});
