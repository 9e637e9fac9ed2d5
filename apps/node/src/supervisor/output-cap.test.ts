import { describe, expect, it } from "vitest";
import { OutputCap, utf8Prefix } from "./output-cap.js";

describe("output cap", () => {
  it("keeps output up to the cap, then gives one notice and drops the rest", () => {
    const cap = new OutputCap(10);
    expect(cap.take("12345")).toEqual({ kept: "12345", notice: null });
    expect(cap.take("6789012")).toEqual({ kept: "67890", notice: "[muster] output truncated after 10 bytes\n" });
    expect(cap.take("more")).toEqual({ kept: "", notice: null });
  });

  it("never cuts a multi-byte character in two", () => {
    expect(utf8Prefix("aé€😀", 1)).toBe("a");
    expect(utf8Prefix("aé€😀", 2)).toBe("a");
    expect(utf8Prefix("aé€😀", 3)).toBe("aé");
    expect(utf8Prefix("aé€😀", 9)).toBe("aé€");
    expect(utf8Prefix("aé€😀", 10)).toBe("aé€😀");
  });
});
