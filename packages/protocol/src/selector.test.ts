import { describe, expect, it } from "vitest";
import { combineSelector, formatSelector, parseSelector, SelectorError, selectorMatches } from "./selector.js";

describe("parseSelector", () => {
  it("parses every operator", () => {
    expect(parseSelector("gpu=true, zone in (a,b), os!=windows, tier notin (x), ssd, !spot")).toEqual([
      { key: "gpu", op: "eq", values: ["true"] },
      { key: "zone", op: "in", values: ["a", "b"] },
      { key: "os", op: "ne", values: ["windows"] },
      { key: "tier", op: "notin", values: ["x"] },
      { key: "ssd", op: "exists", values: [] },
      { key: "spot", op: "absent", values: [] },
    ]);
  });
  it("selects everything when empty", () => {
    expect(parseSelector("  ")).toEqual([]);
  });
  it.each(["zone in (a,", "a=b,,c=d", "bad key=1", "k in ()", "=v", "k=v)"])("refuses %j", (src) => {
    expect(() => parseSelector(src)).toThrow(SelectorError);
  });
  it("round-trips through formatSelector", () => {
    const src = "gpu=true,zone in (a,b),!spot";
    expect(formatSelector(parseSelector(src))).toBe(src);
  });
});

describe("selectorMatches", () => {
  const labels = { gpu: "true", zone: "a" };
  it("matches on equality, sets, existence and absence", () => {
    expect(selectorMatches(parseSelector("gpu=true,zone in (a,b)"), labels)).toBe(true);
    expect(selectorMatches(parseSelector("zone notin (a)"), labels)).toBe(false);
    expect(selectorMatches(parseSelector("!spot,gpu"), labels)).toBe(true);
    expect(selectorMatches(parseSelector("spot"), labels)).toBe(false);
  });
  it("treats != and notin as true when the label is missing", () => {
    expect(selectorMatches(parseSelector("os!=windows,tier notin (x)"), labels)).toBe(true);
  });
  it("is not fooled by inherited properties", () => {
    expect(selectorMatches(parseSelector("constructor"), labels)).toBe(false);
  });
});

describe("combineSelector", () => {
  it("joins --label shorthands with a selector expression", () => {
    expect(combineSelector({ gpu: "true" }, "zone in (a,b)")).toBe("gpu=true,zone in (a,b)");
  });
});
