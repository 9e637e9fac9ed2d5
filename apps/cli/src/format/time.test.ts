import { beforeAll, describe, expect, it } from "vitest";
import { agoSince, formatAge, formatAgo, formatClock, formatTimestamp, relativeTo } from "./time.js";

const NOW = Date.parse("2025-03-01T12:00:00.000Z");

beforeAll(() => {
  process.env.TZ = "UTC";
});

describe("ages", () => {
  it("uses one coarse unit", () => {
    expect(formatAge(0)).toBe("0s");
    expect(formatAge(2400)).toBe("2s");
    expect(formatAge(61_000)).toBe("1m");
    expect(formatAge(3 * 3_600_000 + 5)).toBe("3h");
    expect(formatAge(50 * 3_600_000)).toBe("2d");
    expect(formatAge(-5)).toBe("0s");
  });

  it('prints heartbeat ages as "2s ago" and a missing one as "-"', () => {
    expect(formatAgo(2000)).toBe("2s ago");
    expect(formatAgo(null)).toBe("-");
  });

  it("measures ISO times against now, both ways", () => {
    expect(agoSince("2025-03-01T11:55:00.000Z", NOW)).toBe("5m ago");
    expect(relativeTo("2025-03-01T13:00:00.000Z", NOW)).toBe("in 1h");
    expect(relativeTo("2025-03-01T12:59:59.995Z", NOW)).toBe("in 1h");
    expect(relativeTo(null, NOW)).toBe("-");
    expect(relativeTo("2025-03-01T12:00:00.300Z", NOW)).toBe("just now");
    expect(relativeTo("2025-03-01T11:59:59.700Z", NOW)).toBe("just now");
    expect(agoSince("not a date", NOW)).toBe("-");
  });
});

describe("clock times", () => {
  it("shows only the time of day for today and the date otherwise", () => {
    expect(formatClock("2025-03-01T09:05:07.000Z", NOW)).toBe("09:05:07");
    expect(formatClock("2025-02-27T09:05:07.000Z", NOW)).toBe("2025-02-27 09:05");
    expect(formatClock(null, NOW)).toBe("-");
  });

  it("shows full timestamps with their age", () => {
    expect(formatTimestamp("2025-03-01T11:59:58.000Z", NOW)).toBe("2025-03-01 11:59:58 (2s ago)");
  });
});
