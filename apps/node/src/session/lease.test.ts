import { describe, expect, it } from "vitest";
import { FakeClock } from "./clock.fake.js";
import { NodeLease } from "./lease.js";

function setup() {
  const clock = new FakeClock();
  let expired = 0;
  const lease = new NodeLease(clock, () => (expired += 1));
  return { clock, lease, expired: () => expired };
}

describe("node lease", () => {
  it("runs from when the renewing frame was sent, not from when its reply arrived", () => {
    const { clock, lease, expired } = setup();
    lease.sent("h1");
    clock.advance(400);
    lease.renew("h1", 1000);
    expect(lease.remainingMs()).toBe(600);
    clock.advance(599);
    expect(expired()).toBe(0);
    clock.advance(1);
    expect(expired()).toBe(1);
    expect(lease.held).toBe(false);
  });

  it("is extended by each acked heartbeat and never shortened by a late reply", () => {
    const { clock, lease, expired } = setup();
    lease.sent("h1");
    lease.renew("h1", 1000);
    clock.advance(500);
    lease.sent("b1");
    clock.advance(100);
    lease.sent("b2");
    lease.renew("b2", 1000);
    // b1's reply after b2's would only move the deadline back; and b2's reply retired b1 anyway.
    lease.renew("b1", 1000);
    expect(lease.remainingMs()).toBe(1000);
    clock.advance(999);
    expect(expired()).toBe(0);
    clock.advance(1);
    expect(expired()).toBe(1);
  });

  it("keeps running through a disconnect, and replies to frames of the old socket renew nothing", () => {
    const { clock, lease, expired } = setup();
    lease.sent("h1");
    lease.renew("h1", 1000);
    lease.sent("b1");
    lease.disconnected();
    lease.renew("b1", 5000);
    lease.renew(undefined, 5000);
    clock.advance(1000);
    expect(expired()).toBe(1);
  });

  it("holds no lease before the first renewal and none after stop", () => {
    const { clock, lease, expired } = setup();
    expect(lease.held).toBe(false);
    expect(lease.remainingMs()).toBeNull();
    clock.advance(100_000);
    lease.sent("h1");
    lease.renew("h1", 1000);
    lease.stop();
    clock.advance(5000);
    expect(expired()).toBe(0);
  });
});
