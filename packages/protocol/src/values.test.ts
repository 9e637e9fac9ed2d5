import { describe, expect, it } from "vitest";
import { formatDuration, parseDuration, parseLabel, parseLabelFilter, parseLabels } from "./values.js";

describe("parseDuration", () => {
  it.each([
    ["200ms", 200],
    ["5s", 5000],
    ["10m", 600_000],
    ["1h30m", 5_400_000],
    ["1.5s", 1500],
    ["2d", 172_800_000],
  ])("reads %s", (text, ms) => expect(parseDuration(text)).toBe(ms));
  it.each(["", "5", "5x", "-1s", "s5", "1h 30m"])("refuses %j", (text) => {
    expect(() => parseDuration(text)).toThrow();
  });
});

describe("formatDuration", () => {
  it.each([
    [850, "850ms"],
    [12_000, "12s"],
    [250_000, "4m10s"],
    [3_600_000, "1h"],
    [90_000_000, "1d1h"],
  ])("formats %d", (ms, text) => expect(formatDuration(ms)).toBe(text));
});

describe("labels", () => {
  it("parses k=v and keeps = in values out", () => {
    expect(parseLabel("zone=eu-west-1")).toEqual(["zone", "eu-west-1"]);
    expect(parseLabels(["a=1", "b=2", "a=3"])).toEqual({ a: "3", b: "2" });
  });
  it.each(["novalue", "=v", "bad key=v", "k=has space"])("refuses %j", (text) => {
    expect(() => parseLabel(text)).toThrow(/invalid label/);
  });
});

describe("parseLabelFilter", () => {
  it("reads k=v and a bare k", () => {
    expect(parseLabelFilter("gpu=true")).toEqual({ key: "gpu", value: "true" });
    expect(parseLabelFilter("zone=")).toEqual({ key: "zone", value: "" });
    expect(parseLabelFilter("example.com/pool")).toEqual({ key: "example.com/pool", value: null });
  });
  it.each(["", "=v", "bad key", "k!=v", "k=a,b", "k in (a)", "%", "k=v%"])("refuses %j", (text) => {
    expect(() => parseLabelFilter(text)).toThrow(/invalid label/);
  });
});
