import { describe, expect, it } from "vitest";
import { Backoff, backoffDelay, DEFAULT_BACKOFF } from "./backoff.js";

describe("reconnect backoff", () => {
  it("doubles its ceiling from 0.5 s up to 30 s", () => {
    const top = (attempt: number) => backoffDelay(attempt, { ...DEFAULT_BACKOFF, random: () => 0.999999 });
    expect([0, 1, 2, 3, 4, 5, 6, 7, 50].map(top)).toEqual([499, 999, 1999, 3999, 7999, 15999, 29999, 29999, 29999]);
  });

  it("draws the delay uniformly below the ceiling (full jitter)", () => {
    expect(backoffDelay(3, { ...DEFAULT_BACKOFF, random: () => 0 })).toBe(0);
    expect(backoffDelay(3, { ...DEFAULT_BACKOFF, random: () => 0.25 })).toBe(1000);
  });

  it("starts over after a reset", () => {
    const draws = [0.5, 0.5, 0.5, 0.5];
    const backoff = new Backoff({ baseMs: 100, maxMs: 10_000, random: () => draws.shift() ?? 0.5 });
    expect([backoff.next(), backoff.next(), backoff.next()]).toEqual([50, 100, 200]);
    backoff.reset();
    expect(backoff.next()).toBe(50);
  });
});
