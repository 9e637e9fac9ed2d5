import { describe, expect, it } from "vitest";
import { StreamQuota } from "../http/streams.js";
import { FailureLimiter, RateLimited } from "./limits.js";

function fakeClock(start = 1_000_000) {
  const clock = { t: start, now: () => clock.t };
  return clock;
}

describe("failure limiter", () => {
  it("lets an address fail up to the limit, then refuses it until the window ends", () => {
    const clock = fakeClock();
    const limiter = new FailureLimiter({ max: 3, windowMs: 60_000 }, clock);
    for (let i = 0; i < 3; i++) {
      expect(limiter.retryAfterMs("10.0.0.1")).toBe(0);
      limiter.fail("10.0.0.1");
    }
    clock.t += 15_000;
    expect(limiter.retryAfterMs("10.0.0.1")).toBe(45_000);
    expect(() => limiter.check("10.0.0.1")).toThrow(RateLimited);
    try {
      limiter.check("10.0.0.1");
    } catch (err) {
      expect((err as RateLimited).retryAfterS).toBe(45);
      expect((err as RateLimited).status).toBe(429);
    }
    // Another address is not affected.
    expect(limiter.retryAfterMs("10.0.0.2")).toBe(0);
    clock.t += 45_000;
    expect(limiter.retryAfterMs("10.0.0.1")).toBe(0);
    limiter.fail("10.0.0.1");
    expect(limiter.retryAfterMs("10.0.0.1")).toBe(0);
  });

  it("forgets ended windows when it tracks many addresses", () => {
    const clock = fakeClock();
    const limiter = new FailureLimiter({ max: 1, windowMs: 1000 }, clock);
    for (let i = 0; i < 10_001; i++) limiter.fail(`a${i}`);
    clock.t += 1000;
    limiter.fail("late");
    expect(limiter.retryAfterMs("a0")).toBe(0);
    expect(limiter.retryAfterMs("late")).toBe(1000);
  });
});

describe("stream quota", () => {
  it("gives each token its own count and takes back released streams once", () => {
    const quota = new StreamQuota(2);
    const a1 = quota.take("a");
    quota.take("a");
    expect(() => quota.take("a")).toThrow(/2 live streams/);
    expect(() => quota.take("b")).not.toThrow();
    a1();
    a1();
    expect(quota.open("a")).toBe(1);
    expect(() => quota.take("a")).not.toThrow();
    expect(() => quota.take("a")).toThrow();
  });
});
