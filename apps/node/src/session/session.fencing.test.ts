import { describe, expect, it } from "vitest";
import type { ClaimRecord } from "@muster/protocol";
import { FakeClock } from "./clock.fake.js";
import { DESIRED } from "./coordinator.fake.js";
import { isAlive, NODE, offer, ref, sleeper, startTestNode, useSessionFixture } from "./node.fake.js";

const f = useSessionFixture();

/** The pid from the claim's `started` record, once the worker runs. */
async function workerPid(claimId: string): Promise<number> {
  let started: ClaimRecord | undefined;
  await expect
    .poll(() => (started = f.node!.outbox.unacked(claimId).find((r) => r.kind === "started")), { timeout: 5000, interval: 10 })
    .toBeDefined();
  return started?.kind === "started" ? started.pid! : 0;
}

describe("self-fencing", () => {
  it("when the lease runs out, kills stop claims (SIGKILL after half the grace) as lost, keeps keep claims, and reconnects", async () => {
    const clock = new FakeClock();
    f.node = await startTestNode(f.coord, f.keys, { clock });
    await f.coord.welcome(50, { leaseMs: 5000, leaseGraceMs: 600 });
    // Ignores SIGTERM, so only the SIGKILL after min(2 s, grace/2) = 300 ms ends it.
    f.coord.send("claim.offer", offer(1, [NODE, "-e", "process.on('SIGTERM', () => {}); console.log('up'); setInterval(() => {}, 1000)"]), { id: "o1" });
    f.coord.send("claim.offer", sleeper(2, { onDisconnect: "keep" }), { id: "o2" });
    const [stopPid, keepPid] = [await workerPid("clm_1"), await workerPid("clm_2")];
    await expect.poll(() => f.node!.outbox.unacked("clm_1").some((r) => r.kind === "log"), { timeout: 5000, interval: 10 }).toBe(true);

    // No heartbeat.ack renews the lease: it runs from the hello's send time.
    clock.advance(4999);
    await new Promise((r) => setTimeout(r, 100));
    expect(isAlive(stopPid)).toBe(true);
    expect(f.coord.inbox.filter((m) => m.type === "hello")).toEqual([]);
    const fencedAt = Date.now();
    clock.advance(1);

    await expect.poll(() => isAlive(stopPid), { timeout: 3000, interval: 10 }).toBe(false);
    expect(Date.now() - fencedAt).toBeGreaterThanOrEqual(250);
    expect(Date.now() - fencedAt).toBeLessThan(1500);
    expect(isAlive(keepPid)).toBe(true);

    // The socket was dropped; the node comes back and reports both claims.
    const hello = await f.coord.welcome();
    expect(hello.payload.claims).toContainEqual(expect.objectContaining({ ...ref(2), phase: "running" }));
    const done = await f.coord.take("claim.done");
    expect(done.payload).toMatchObject({ ...ref(1), outcome: { status: "failed", reason: "lost", signal: "SIGKILL" } });
    expect(f.node.supervisor.get("clm_2")?.phase).toBe("running");
  });

  it("renews the lease from each acked heartbeat's send time and fences nothing while acks arrive", async () => {
    const clock = new FakeClock();
    f.node = await startTestNode(f.coord, f.keys, { clock });
    await f.coord.welcome(50, { leaseMs: 1000 });
    f.coord.send("claim.offer", sleeper(1), { id: "o1" });
    const pid = await workerPid("clm_1");
    for (let i = 0; i < 5; i++) {
      clock.advance(600);
      f.coord.inbox.length = 0;
      const beat = await f.coord.take("heartbeat");
      f.coord.send("heartbeat.ack", { leaseMs: 1000, desired: DESIRED }, { re: beat.id! });
      await expect.poll(() => f.node!.session.leaseRemainingMs(), { timeout: 1000, interval: 5 }).toBe(1000);
    }
    expect(isAlive(pid)).toBe(true);
    expect(f.coord.inbox.filter((m) => m.type === "hello")).toEqual([]);
  });
});
