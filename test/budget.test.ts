// The fleet's daily budget and task cost, with a hand-driven node reporting what its agent spent.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { databaseKinds } from "./harness/databases.js";
import { api, disposeCoordinator, eventually, startCoordinator, type CoordinatorHandle } from "./harness/processes.js";
import { createJoinKey, enrol, helloPayload, openSocket, signNodeJwt } from "./harness/raw-node.js";

const kinds = await databaseKinds();

describe.each(kinds)("daily budget on %s", (kind) => {
  let c: CoordinatorHandle;
  beforeAll(async () => {
    c = await startCoordinator(kind, { MUSTER_DAILY_BUDGET: "1.00" });
  });
  afterAll(async () => {
    if (c) await disposeCoordinator(c);
  });

  it("stops placing once the day's reported spend reaches the budget, and says so", async () => {
    const id = (await enrol(c, await createJoinKey(c), "spender")).identity!;
    const { ws } = await openSocket(c.url, await signNodeJwt(id));
    const s = ws!;
    s.send("hello", helloPayload(id.nodeId), "h");
    await s.type("welcome");
    const held: object[] = [];
    const beat = setInterval(() => s.send("heartbeat", { claims: held, capacity: 2 }, "hb"), 200);
    try {
      const first = await api<any>(c, "POST", "/v1/tasks", { agent: "exec", argv: ["x"] });
      const offer = (await s.type("claim.offer")).payload;
      const ref = { claimId: offer.claimId, taskId: offer.taskId, token: offer.token };
      held.push({ ...ref, phase: "running", lastSeq: 2 });
      s.send("claim.accept", ref);
      const ts = Date.now();
      s.send(
        "claim.events",
        {
          ...ref,
          records: [
            { seq: 1, ts, kind: "started", pid: 1, command: ["x"], workdir: "/w" },
            { seq: 2, ts, kind: "cost", usd: 0.75, inputTokens: 100, outputTokens: 10 },
            { seq: 3, ts, kind: "cost", usd: 1.5, inputTokens: 200, outputTokens: 20 },
          ],
        },
        "e",
      );
      await s.next((f) => f.re === "e");
      const ok = { status: "succeeded", exitCode: 0, signal: null, reason: null, message: null };
      s.send("claim.done", { ...ref, lastSeq: 3, outcome: ok, finishedAt: Date.now() }, "d");
      await s.next((f) => f.re === "d");
      held.length = 0;
      expect((await api<any>(c, "GET", `/v1/tasks/${first.body.id}`)).body.costUsd).toBe(1.5);

      const status = await api<any>(c, "GET", "/v1/status");
      expect(status.body.budget).toEqual({ dailyUsd: 1, spentTodayUsd: 1.5, exhausted: true });
      const second = await api<any>(c, "POST", "/v1/tasks", { agent: "exec", argv: ["x"] });
      const pending = await eventually(async () => {
        const t = (await api<any>(c, "GET", `/v1/tasks/${second.body.id}`)).body;
        return t.pending ?? undefined;
      });
      expect(pending).toBe("daily budget spent ($1.50 of $1.00)");
      expect(s.frames.some((f) => f.type === "claim.offer")).toBe(false);
    } finally {
      clearInterval(beat);
      s.close();
    }
  });
});
