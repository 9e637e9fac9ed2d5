import { describe, expect, it } from "vitest";
import { LineAssembler } from "./lines.js";

describe("line assembler", () => {
  it("returns the lines a chunk completes and holds a partial line until its newline", () => {
    const lines = new LineAssembler();
    expect(lines.push('{"a":')).toEqual([]);
    expect(lines.push("1}\n{")).toEqual(['{"a":1}']);
    expect(lines.push('"b":2}\n\nlast')).toEqual(['{"b":2}', ""]);
    expect(lines.flush()).toBe("last");
    expect(lines.flush()).toBeNull();
  });

  it("keeps a line cut into many one-character chunks whole", () => {
    const lines = new LineAssembler();
    const got = [...'{"type":"x"}\n'].flatMap((c) => lines.push(c));
    expect(got).toEqual(['{"type":"x"}']);
  });

  it("drops a line that outgrows the limit, up to its newline, and goes on with the next", () => {
    const lines = new LineAssembler(10);
    expect(lines.push("0123456")).toEqual([]);
    expect(lines.push("789abcdef")).toEqual([]);
    expect(lines.push("still the long one\nok\n")).toEqual(["ok"]);
    expect(lines.push("x".repeat(11))).toEqual([]);
    expect(lines.flush()).toBeNull();
    expect(lines.push(`${"y".repeat(11)}\nshort\n`)).toEqual(["short"]);
  });
});
