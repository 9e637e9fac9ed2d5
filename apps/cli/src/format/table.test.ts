import { describe, expect, it } from "vitest";
import { cleanCell, formatFields, formatTable, truncate } from "./table.js";

describe("formatTable", () => {
  it("pads every column to its widest cell with two spaces between columns", () => {
    const out = formatTable(["NAME", "STATE"], [["gpu-1", "ready"], ["a", "lost"]]);
    expect(out.split("\n")).toEqual(["NAME   STATE", "gpu-1  ready", "a      lost"]);
  });

  it("never leaves trailing spaces, even when the last column is short", () => {
    const out = formatTable(["A", "LONGHEADER"], [["x", ""]]);
    for (const line of out.split("\n")) expect(line).toBe(line.trimEnd());
  });

  it("right-aligns the columns asked for", () => {
    const out = formatTable(["#", "X"], [["1", "a"], ["10", "b"]], { align: ["right"] });
    expect(out.split("\n")).toEqual([" #  X", " 1  a", "10  b"]);
  });

  it("fills missing cells and replaces control characters so a row stays one line", () => {
    const out = formatTable(["A", "B", "C"], [["line1\nline2\u001b[31m", "x"]]);
    expect(out.split("\n")).toHaveLength(2);
    expect(out).not.toContain("\u001b");
    expect(out.split("\n")[1]).toBe("line1 line2 [31m  x");
  });

  it("measures width in code points", () => {
    const out = formatTable(["A", "B"], [["…", "x"], ["ab", "y"]]);
    expect(out.split("\n")).toEqual(["A   B", "…   x", "ab  y"]);
  });
});

describe("formatFields", () => {
  it("aligns values after the longest key", () => {
    expect(formatFields([["id", "1"], ["created by", "me"]]).split("\n")).toEqual(["id:          1", "created by:  me"]);
  });
});

describe("truncate / cleanCell", () => {
  it("cuts long text with an ellipsis and leaves short text alone", () => {
    expect(truncate("abcdef", 4)).toBe("abc…");
    expect(truncate("abc", 4)).toBe("abc");
  });
  it("collapses runs of control characters to one space", () => {
    expect(cleanCell("a\r\n\tb")).toBe("a b");
  });
});
