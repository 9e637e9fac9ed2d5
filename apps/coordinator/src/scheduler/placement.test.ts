import { parseSelector } from "@muster/protocol";
import { describe, expect, it } from "vitest";
import { pickNode, type Candidate } from "./placement.js";

const node = (nodeId: string, over: Partial<Candidate> = {}): Candidate => ({
  nodeId,
  labels: {},
  agents: new Set(["exec"]),
  capacity: 2,
  running: 0,
  lastOfferAt: 0,
  ...over,
});
const task = (selector = "", agent = "exec") => ({ id: "t", agent, requirements: parseSelector(selector) });

describe("pickNode", () => {
  it("places on the least-loaded node", () => {
    const picked = pickNode(task(), [node("a", { running: 1 }), node("b", { running: 0 })]);
    expect(picked?.nodeId).toBe("b");
  });
  it("breaks a tie in favour of the node that waited longest for work", () => {
    const picked = pickNode(task(), [node("a", { lastOfferAt: 20 }), node("b", { lastOfferAt: 10 })]);
    expect(picked?.nodeId).toBe("b");
  });
  it("skips full nodes", () => {
    expect(pickNode(task(), [node("a", { running: 2 })])).toBeNull();
  });
  it("needs the task's agent on the node", () => {
    expect(pickNode(task("", "claude"), [node("a")])).toBeNull();
    expect(pickNode(task("", "claude"), [node("a", { agents: new Set(["claude"]) })])?.nodeId).toBe("a");
  });
  it("matches the selector against node labels", () => {
    const nodes = [node("cpu", { labels: { gpu: "false" } }), node("gpu", { labels: { gpu: "true" } })];
    expect(pickNode(task("gpu=true"), nodes)?.nodeId).toBe("gpu");
    expect(pickNode(task("zone in (a,b)"), nodes)).toBeNull();
  });
  it("does not offer again to a node that just refused", () => {
    expect(pickNode(task(), [node("a")], new Set(["a"]))).toBeNull();
  });
});
