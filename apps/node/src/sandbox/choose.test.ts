import { describe, expect, it } from "vitest";
import { chooseSandbox, findOnPath, type MachineSandboxes } from "./choose.js";
import { SandboxError } from "./sandbox.js";

const worker = { name: "muster-worker", uid: 999, gid: 999 };
const machine = (m: Partial<MachineSandboxes>): MachineSandboxes => ({ bwrapProblem: null, root: true, user: worker, ...m });
const choose = (configured: "bwrap" | "user" | "none" | undefined, m: Partial<MachineSandboxes>, network: "on" | "none" = "on") =>
  chooseSandbox({ configured, network, userName: "muster-worker", machine: machine(m) });

describe("chooseSandbox", () => {
  it("takes bwrap when it works and nothing is configured", () => {
    expect(choose(undefined, {})).toBe("bwrap");
  });

  it("falls back to the worker user when bwrap does not work and the daemon is root", () => {
    expect(choose(undefined, { bwrapProblem: "bwrap is not on PATH" })).toBe("user");
  });

  it("refuses to pick for the operator when neither works, naming the choices", () => {
    expect(() => choose(undefined, { bwrapProblem: "bwrap is not on PATH", root: false })).toThrow(SandboxError);
    expect(() => choose(undefined, { bwrapProblem: "bwrap is not on PATH", root: false })).toThrow(/--sandbox bwrap\|user.*--sandbox none/);
    expect(() => choose(undefined, { bwrapProblem: "x", user: null })).toThrow(/no user muster-worker exists/);
  });

  it("runs none only when asked", () => {
    expect(choose("none", { bwrapProblem: "x", root: false, user: null })).toBe("none");
  });

  it("refuses a configured mode the machine cannot do, in one line", () => {
    expect(() => choose("bwrap", { bwrapProblem: "a trial run failed: no permission" })).toThrow(/^sandbox bwrap does not work here: a trial run failed/);
    expect(() => choose("user", { root: false })).toThrow(/needs the node daemon to run as root/);
    expect(() => choose("user", { user: null })).toThrow(/useradd --system --no-create-home muster-worker/);
    expect(() => choose("user", { user: { ...worker, uid: 0 } })).toThrow(/uid 0/);
  });

  it("refuses network none without bwrap", () => {
    expect(choose("bwrap", {}, "none")).toBe("bwrap");
    expect(() => choose("user", {}, "none")).toThrow(/network none needs sandbox bwrap/);
  });
});

describe("findOnPath", () => {
  it("finds an executable on PATH and nothing for a missing one", () => {
    expect(findOnPath("sh", "/nonexistent:/bin:/usr/bin")).toMatch(/\/sh$/);
    expect(findOnPath("no-such-tool-here", "/bin:/usr/bin")).toBeNull();
  });
});
