import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { coalesce } from "./coalesce";

describe("coalesce", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("calls once after a quiet moment for a burst", () => {
    const fn = vi.fn();
    const c = coalesce(fn, 150, 1000);
    for (let i = 0; i < 5; i++) {
      c.trigger();
      vi.advanceTimersByTime(20);
    }
    expect(fn).not.toHaveBeenCalled();
    vi.advanceTimersByTime(150);
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it("still calls under a steady stream of triggers, at most the longest wait after the first", () => {
    const fn = vi.fn();
    const c = coalesce(fn, 150, 1000);
    // An event every 50 ms for 3 s: never a quiet 150 ms.
    for (let t = 0; t < 3000; t += 50) {
      c.trigger();
      vi.advanceTimersByTime(50);
    }
    expect(fn.mock.calls.length).toBeGreaterThanOrEqual(2);
    expect(fn.mock.calls.length).toBeLessThanOrEqual(4);
  });

  it("does nothing once cancelled", () => {
    const fn = vi.fn();
    const c = coalesce(fn, 150, 1000);
    c.trigger();
    c.cancel();
    vi.advanceTimersByTime(2000);
    expect(fn).not.toHaveBeenCalled();
  });
});
