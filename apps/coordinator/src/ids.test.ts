import { describe, expect, it } from "vitest";
import { newId } from "./ids.js";

describe("newId", () => {
  it("sorts by creation time", () => {
    const a = newId("tsk", 1_000_000);
    const b = newId("tsk", 1_000_001);
    expect(a < b).toBe(true);
    expect(a).toMatch(/^tsk_[0-9A-Z]{26}$/);
  });
  it("does not repeat within one millisecond", () => {
    const ids = new Set(Array.from({ length: 1000 }, () => newId("x", 5)));
    expect(ids.size).toBe(1000);
  });
});
