import { describe, expect, it } from "vitest";
import { colorEnabled, stateColor } from "./color.js";
import { formatTable } from "./table.js";

describe("colorEnabled", () => {
  it.each([
    [{ isTTY: true }, {}, true],
    [{ isTTY: true }, { NO_COLOR: "1" }, false],
    [{ isTTY: true }, { NO_COLOR: "0" }, false],
    [{ isTTY: true }, { NO_COLOR: "" }, true],
    [{ isTTY: true }, { TERM: "xterm-256color" }, true],
    [{ isTTY: true }, { TERM: "dumb" }, false],
    [{ isTTY: false }, {}, false],
    [{}, {}, false],
  ])("stream %j env %j -> %s", (stream, env, expected) => {
    expect(colorEnabled({ write: () => undefined, ...stream }, env)).toBe(expected);
  });
});

describe("stateColor", () => {
  it("colours states by meaning when enabled, and leaves them alone when not", () => {
    const on = stateColor(true);
    expect(on("ready")).toBe("\u001b[32mready\u001b[39m");
    expect(on("succeeded")).toBe("\u001b[32msucceeded\u001b[39m");
    expect(on("queued")).toBe("\u001b[33mqueued\u001b[39m");
    expect(on("draining")).toBe("\u001b[33mdraining\u001b[39m");
    expect(on("failed")).toBe("\u001b[31mfailed\u001b[39m");
    expect(on("lost")).toBe("\u001b[31mlost\u001b[39m");
    expect(on("running")).toBe("running");
    const off = stateColor(false);
    for (const s of ["ready", "queued", "failed", "lost"]) expect(off(s)).toBe(s);
  });

  it("keeps table columns aligned: widths are measured before painting", () => {
    const paint = stateColor(true);
    const plain = formatTable(["ID", "STATE", "NODE"], [["t1", "failed", "a"], ["t2", "ready", "b"]]);
    const painted = formatTable(["ID", "STATE", "NODE"], [["t1", "failed", "a"], ["t2", "ready", "b"]], { paint: [undefined, paint] });
    expect(painted.replace(/\u001b\[\d+m/g, "")).toBe(plain);
    expect(painted.split("\n")[0]).toBe("ID  STATE   NODE");
  });
});
