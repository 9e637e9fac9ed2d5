// Limits one client cannot push past: failed authentications and joins per address, live streams per token, and a
// node's frames waiting to be handled (a flooding node must not starve the others).
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { databaseKinds } from "../harness/databases.js";
import { api, disposeCoordinator, eventually, startCoordinator, type CoordinatorHandle } from "../harness/processes.js";
import { connectedNode, createJoinKey, enrol, enrolledNode, openSocket, signNodeJwt } from "../harness/raw-node.js";
import { HAND_DRIVEN_TIMINGS, heartbeat } from "./claims.js";

const kinds = await databaseKinds();
const WINDOW_MS = 4000;
const LIMITS = {
  MUSTER_AUTH_FAILURE_LIMIT: "3",
  MUSTER_JOIN_FAILURE_LIMIT: "2",
  MUSTER_FAILURE_WINDOW: `${WINDOW_MS}ms`,
  MUSTER_STREAMS_PER_TOKEN: "2",
  MUSTER_NODE_FRAME_QUEUE: "8",
};
const BAD_TOKEN = "mat_AAAAAAAAAAAAAAAA_bm90LWEtcmVhbC1zZWNyZXQtYXQtYWxsLXJlYWxseQ";

async function expectRateLimited(res: Response): Promise<void> {
  expect(res.status).toBe(429);
  const retryAfter = Number(res.headers.get("retry-after"));
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(WINDOW_MS / 1000);
  const body = (await res.json()) as any;
  expect(body.error.code).toBe("rate_limited");
  expect(body.error.message).toMatch(/try again/);
}

describe.each(kinds)("limits on %s", (kind) => {
  let c: CoordinatorHandle;
  beforeAll(async () => {
    c = await startCoordinator(kind, { ...HAND_DRIVEN_TIMINGS, ...LIMITS });
  });
  afterAll(async () => {
    if (c) await disposeCoordinator(c);
  });

  const status = (token: string) => fetch(`${c.url}/v1/status`, { headers: { authorization: `Bearer ${token}` } });
  /** The address's window has passed once a good request gets through again. */
  const windowPassed = () => eventually(async () => ((await status(c.token)).status === 200 ? true : undefined), WINDOW_MS * 3, "the failure window to end");

  it("makes an address that keeps failing bearer authentication wait, good token or not, and lets it back after the window", async () => {
    for (let i = 0; i < 3; i++) expect((await status(BAD_TOKEN)).status).toBe(401);
    await expectRateLimited(await status(c.token));
    await expectRateLimited(await status(BAD_TOKEN));
    // The node gateway counts the same address.
    const upgrade = await openSocket(c.url, "garbage");
    expect(upgrade.status).toBe(429);
    expect(JSON.parse(upgrade.body!).error.code).toBe("rate_limited");
    await windowPassed();
  });

  it("counts bad node tokens on the websocket upgrade", async () => {
    const id = await enrolledNode(c);
    for (let i = 0; i < 3; i++) expect((await openSocket(c.url, await signNodeJwt(id, { aud: "muster:elsewhere" }))).status).toBe(401);
    const refused = await openSocket(c.url, await signNodeJwt(id));
    expect(refused.ws).toBeUndefined();
    expect(refused.status).toBe(429);
    await expectRateLimited(await status(c.token));
    await windowPassed();
    const ok = await openSocket(c.url, await signNodeJwt(id));
    expect(ok.ws).toBeDefined();
    ok.ws!.close();
  });

  it("counts failed console sign-ins", async () => {
    const signIn = (token: string) =>
      fetch(`${c.url}/v1/session`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ token }) });
    for (let i = 0; i < 3; i++) expect((await signIn(BAD_TOKEN)).status).toBe(401);
    const res = await signIn(c.token);
    expect(res.headers.get("set-cookie")).toBeNull();
    await expectRateLimited(res);
    await windowPassed();
    expect((await signIn(c.token)).status).toBe(200);
  });

  it("makes an address that keeps failing joins wait, and uses up nothing meanwhile", async () => {
    const good = await createJoinKey(c, { uses: 1 });
    for (let i = 0; i < 2; i++) expect((await enrol(c, `mjk_AAAAAAAAAAAAAAAA_${randomUUID()}`, `guess-${i}`)).status).toBe(401);
    const limited = await enrol(c, good, "patient");
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe("rate_limited");
    const keys = await api<any>(c, "GET", "/v1/join-keys");
    expect(keys.body.joinKeys.find((k: any) => good.includes(k.id)).used).toBe(0);
    const joined = await eventually(async () => {
      const res = await enrol(c, good, "patient");
      return res.status === 429 ? undefined : res;
    }, WINDOW_MS * 3, "the join window to end");
    expect(joined.status).toBe(201);
  });

  it("caps the live streams one token holds open, and frees a slot when one closes", async () => {
    const viewer = (await api<any>(c, "POST", "/v1/tokens", { name: "stream viewer", role: "viewer" })).body.token as string;
    const task = await api<any>(c, "POST", "/v1/tasks", { agent: "exec", argv: ["true"], selector: "nowhere=true" });
    const open = (path: string, token = c.token) => {
      const ctrl = new AbortController();
      const res = fetch(`${c.url}${path}`, { headers: { authorization: `Bearer ${token}` }, signal: ctrl.signal });
      return { res, close: () => ctrl.abort() };
    };
    const first = open("/v1/events");
    const second = open(`/v1/tasks/${task.body.id}/logs?follow=1`);
    expect((await first.res).status).toBe(200);
    expect((await second.res).status).toBe(200);
    for (const path of ["/v1/events", `/v1/tasks/${task.body.id}/logs?follow=1`]) {
      const third = await fetch(`${c.url}${path}`, { headers: { authorization: `Bearer ${c.token}` } });
      expect(third.status).toBe(429);
      expect(((await third.json()) as any).error.code).toBe("too_many_streams");
    }
    // Another token has its own streams.
    const other = open("/v1/events", viewer);
    expect((await other.res).status).toBe(200);
    other.close();
    first.close();
    const again = await eventually(async () => {
      const s = open("/v1/events");
      const res = await s.res;
      if (res.status === 200) return s;
      return undefined;
    }, 10_000, "a stream slot to free up");
    again.close();
    second.close();
    await api(c, "POST", `/v1/tasks/${task.body.id}/cancel`);
  });

  it("pauses a node that floods frames, and keeps acknowledging the other nodes' heartbeats", async () => {
    const flooder = await connectedNode(c, await enrolledNode(c, "flooder"));
    const steady = await connectedNode(c, await enrolledNode(c, "steady"));
    const flooderId = (await api<any>(c, "GET", "/v1/nodes")).body.nodes.find((n: any) => n.name === "flooder").id;
    const FLOOD = 600;
    for (let i = 0; i < FLOOD; i++) flooder.send("heartbeat", { claims: [], capacity: 2 }, `flood-${i}`);
    // While the flood is handled, the steady node's heartbeats are answered.
    for (let i = 0; i < 5; i++) {
      const started = Date.now();
      expect((await heartbeat(steady, [])).leaseMs).toBeGreaterThan(0);
      expect(Date.now() - started).toBeLessThan(5000);
    }
    // ...before the flooder's own frames are all handled: it waits behind itself, not the others behind it.
    expect(flooder.frames.some((f) => f.re === `flood-${FLOOD - 1}`)).toBe(false);
    await c.proc.waitFor(new RegExp(`"nodeId":"${flooderId}".*node socket paused`), 20_000);
    // Nothing the flooder sent is lost: its last frame is answered once the queue drains.
    await flooder.next((f) => f.re === `flood-${FLOOD - 1}`, 60_000);
    flooder.close();
    steady.close();
  });
});
