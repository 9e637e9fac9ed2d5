import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { generateNodeKeyPair, type NodeKeyPair } from "../identity/keys.js";
import { DESIRED, FakeCoordinator } from "./coordinator.fake.js";
import { NODE, offer, ref, sleeper, startTestNode, type TestNode } from "./node.fake.js";

let coord: FakeCoordinator;
let keys: NodeKeyPair;
let node: TestNode | null;

beforeEach(async () => {
  coord = new FakeCoordinator();
  await coord.start();
  keys = await generateNodeKeyPair();
  node = null;
});

afterEach(async () => {
  node?.session.stopWorkers();
  await node?.running;
  await coord.stop();
});

describe("drain", () => {
  it("on node.drain finishes what runs, stops the rest at the deadline as interrupted, and exits 0 once results are acked", async () => {
    node = await startTestNode(coord, keys);
    await coord.welcome();
    coord.send("claim.offer", offer(1, [NODE, "-e", "setTimeout(() => console.log('finished'), 200)"]), { id: "o1" });
    coord.send("claim.offer", sleeper(2), { id: "o2" });
    await coord.take("claim.accept");
    await coord.take("claim.accept");
    coord.send("node.drain", { deadlineMs: 800 });
    await expect.poll(async () => (await coord.take("heartbeat")).payload.draining, { timeout: 2000, interval: 1 }).toBe(true);
    coord.send("claim.offer", sleeper(3), { id: "o3" });
    expect(await coord.take("claim.reject")).toMatchObject({ re: "o3", payload: { reason: "draining" } });

    const results = [await coord.take("claim.done"), await coord.take("claim.done")];
    const byClaim = Object.fromEntries(results.map((d) => [d.payload.claimId, d.payload]));
    expect(byClaim.clm_1!.outcome).toMatchObject({ status: "succeeded" });
    expect(byClaim.clm_2!.outcome).toMatchObject({ status: "failed", reason: "interrupted" });
    expect(coord.closes).toEqual([]);
    coord.send("ack", { ...ref(1), seq: byClaim.clm_1!.lastSeq, done: true });
    await new Promise((r) => setTimeout(r, 100));
    expect(coord.closes).toEqual([]);
    coord.send("ack", { ...ref(2), seq: byClaim.clm_2!.lastSeq, done: true });
    expect(await node.running).toEqual({ exitCode: 0 });
    await expect.poll(() => coord.closes, { timeout: 2000, interval: 5 }).toEqual([1000]);
  });

  it("drains when the coordinator's desired state says so, and a stale ack does not undo it", async () => {
    node = await startTestNode(coord, keys);
    await coord.welcome();
    coord.send("claim.offer", offer(1, [NODE, "-e", "setTimeout(() => console.log('finished'), 300)"]), { id: "o1" });
    await coord.take("claim.accept");
    coord.send("heartbeat.ack", { leaseMs: 5000, desired: { ...DESIRED, draining: true } });
    coord.send("heartbeat.ack", { leaseMs: 5000, desired: DESIRED });
    await expect.poll(async () => (await coord.take("heartbeat")).payload.draining, { timeout: 2000, interval: 1 }).toBe(true);
    const done = await coord.take("claim.done");
    expect(done.payload.outcome.status).toBe("succeeded");
    coord.send("ack", { ...ref(1), seq: done.payload.lastSeq, done: true });
    expect(await node.running).toEqual({ exitCode: 0 });
    await expect.poll(() => coord.closes, { timeout: 2000, interval: 5 }).toEqual([1000]);
  });

  it("exits at once when told to drain with nothing running", async () => {
    node = await startTestNode(coord, keys);
    await coord.welcome();
    coord.send("node.drain", { deadlineMs: null });
    expect(await node.running).toEqual({ exitCode: 0 });
    await expect.poll(() => coord.closes, { timeout: 2000, interval: 5 }).toEqual([1000]);
  });
});
