import { describe, expect, it } from "vitest";
import { DESIRED } from "./coordinator.fake.js";
import { NODE, offer, ref, sleeper, startTestNode, useSessionFixture } from "./node.fake.js";

const f = useSessionFixture();

describe("drain", () => {
  it("on f.node.drain finishes what runs, stops the rest at the deadline as interrupted, and exits 0 once results are acked", async () => {
    f.node = await startTestNode(f.coord, f.keys);
    await f.coord.welcome();
    f.coord.send("claim.offer", offer(1, [NODE, "-e", "setTimeout(() => console.log('finished'), 200)"]), { id: "o1" });
    f.coord.send("claim.offer", sleeper(2), { id: "o2" });
    await f.coord.take("claim.accept");
    await f.coord.take("claim.accept");
    f.coord.send("node.drain", { deadlineMs: 800 });
    await expect.poll(async () => (await f.coord.take("heartbeat")).payload.draining, { timeout: 2000, interval: 1 }).toBe(true);
    f.coord.send("claim.offer", sleeper(3), { id: "o3" });
    expect(await f.coord.take("claim.reject")).toMatchObject({ re: "o3", payload: { reason: "draining" } });

    const results = [await f.coord.take("claim.done"), await f.coord.take("claim.done")];
    const byClaim = Object.fromEntries(results.map((d) => [d.payload.claimId, d.payload]));
    expect(byClaim.clm_1!.outcome).toMatchObject({ status: "succeeded" });
    expect(byClaim.clm_2!.outcome).toMatchObject({ status: "failed", reason: "interrupted" });
    expect(f.coord.closes).toEqual([]);
    f.coord.send("ack", { ...ref(1), seq: byClaim.clm_1!.lastSeq, done: true });
    await new Promise((r) => setTimeout(r, 100));
    expect(f.coord.closes).toEqual([]);
    f.coord.send("ack", { ...ref(2), seq: byClaim.clm_2!.lastSeq, done: true });
    expect(await f.node.running).toEqual({ exitCode: 0 });
    await expect.poll(() => f.coord.closes, { timeout: 2000, interval: 5 }).toEqual([1000]);
  });

  it("drains when the coordinator's desired state says so, and a stale ack does not undo it", async () => {
    f.node = await startTestNode(f.coord, f.keys);
    await f.coord.welcome();
    f.coord.send("claim.offer", offer(1, [NODE, "-e", "setTimeout(() => console.log('finished'), 300)"]), { id: "o1" });
    await f.coord.take("claim.accept");
    f.coord.send("heartbeat.ack", { leaseMs: 5000, desired: { ...DESIRED, draining: true } });
    f.coord.send("heartbeat.ack", { leaseMs: 5000, desired: DESIRED });
    await expect.poll(async () => (await f.coord.take("heartbeat")).payload.draining, { timeout: 2000, interval: 1 }).toBe(true);
    const done = await f.coord.take("claim.done");
    expect(done.payload.outcome.status).toBe("succeeded");
    f.coord.send("ack", { ...ref(1), seq: done.payload.lastSeq, done: true });
    expect(await f.node.running).toEqual({ exitCode: 0 });
    await expect.poll(() => f.coord.closes, { timeout: 2000, interval: 5 }).toEqual([1000]);
  });

  it("exits at once when told to drain with nothing running", async () => {
    f.node = await startTestNode(f.coord, f.keys);
    await f.coord.welcome();
    f.coord.send("node.drain", { deadlineMs: null });
    expect(await f.node.running).toEqual({ exitCode: 0 });
    await expect.poll(() => f.coord.closes, { timeout: 2000, interval: 5 }).toEqual([1000]);
  });
});
