import { describe, expect, it } from "vitest";
import { EventBus } from "./bus.js";
import { EventFeed } from "./feed.js";

describe("event feed", () => {
  it("numbers events and replays what a reconnecting client missed", () => {
    const bus = new EventBus();
    const feed = new EventFeed(bus, 3, 1);
    const seen: number[] = [];
    const off = feed.subscribe((e) => seen.push(e.id));
    bus.emit("task.changed", { taskId: "t1", state: "queued" });
    bus.emit("node.changed", { nodeId: "n1", state: "ready" });
    expect(seen).toEqual([1, 2]);
    expect(feed.since(1)).toEqual([{ id: 2, event: { type: "node", nodeId: "n1", state: "ready" } }]);
    expect(feed.since(2)).toEqual([]);
    off();
    bus.emit("task.changed", { taskId: "t1", state: "assigned" });
    expect(seen).toEqual([1, 2]);
  });

  it("says when it cannot resume because the events are gone", () => {
    const bus = new EventBus();
    const feed = new EventFeed(bus, 2, 1);
    for (let i = 0; i < 5; i++) bus.emit("task.changed", { taskId: `t${i}`, state: "queued" });
    expect(feed.since(1)).toBeNull();
    expect(feed.since(3)?.map((e) => e.id)).toEqual([4, 5]);
    expect(feed.lastId).toBe(5);
  });

  it("sends a client from before a restart to reset, whether its id is older or newer than this feed's", () => {
    const before = new EventFeed(new EventBus(), 10, 1000);
    const bus = new EventBus();
    const after = new EventFeed(bus, 10, 5000);
    bus.emit("task.changed", { taskId: "t1", state: "queued" });
    expect(after.since(before.lastId)).toBeNull();
    expect(after.since(after.lastId + 100)).toBeNull();
    expect(after.since(after.lastId)).toEqual([]);
  });

  it("carries join key changes", () => {
    const bus = new EventBus();
    const feed = new EventFeed(bus, 10, 1);
    bus.emit("joinkey.changed", { joinKeyId: "jk1", state: "revoked" });
    expect(feed.since(0)).toEqual([{ id: 1, event: { type: "join_key", joinKeyId: "jk1", state: "revoked" } }]);
  });
});
