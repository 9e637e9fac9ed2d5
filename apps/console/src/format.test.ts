import { describe, expect, it } from "vitest";
import { ago, duration, parseDuration, parseLabels, roughly, usd } from "./format";

describe("console formatting", () => {
  it("says how long ago in the coarsest useful unit", () => {
    const now = Date.parse("2026-01-01T12:00:00Z");
    expect(ago("2026-01-01T12:00:00.500Z", now)).toBe("just now");
    expect(ago("2026-01-01T11:59:55.600Z", now)).toBe("4 s ago");
    expect(ago("2026-01-01T11:55:00Z", now)).toBe("5 min ago");
    expect(ago("2026-01-01T14:00:00Z", now)).toBe("in 2 h");
    expect(ago(null, now)).toBe("—");
    expect(roughly(3 * 86_400_000)).toBe("3 d");
  });

  it("writes durations and money", () => {
    expect(duration(250)).toBe("250 ms");
    expect(duration(4200)).toBe("4.2 s");
    expect(duration(125_000)).toBe("2 min 5 s");
    expect(usd(0)).toBe("$0");
    expect(usd(0.0617606)).toBe("$0.06");
    expect(usd(0.004)).toBe("$0.0040");
    expect(usd(null)).toBe("—");
  });

  it("parses durations and labels, refusing what they are not", () => {
    expect(parseDuration("30m")).toBe(1_800_000);
    expect(parseDuration("1.5h")).toBe(5_400_000);
    expect(parseDuration("250")).toBe(250);
    expect(parseDuration("soon")).toBeNull();
    expect(parseLabels("gpu=true, region=eu")).toEqual({ gpu: "true", region: "eu" });
    expect(parseLabels("")).toEqual({});
    expect(() => parseLabels("gpu")).toThrow(/not key=value/);
  });
});
