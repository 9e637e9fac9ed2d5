import { ClaimState, NodeState, TaskState } from "@muster/protocol";
import { describe, expect, it } from "vitest";
import { canMoveClaim, canMoveNode, canMoveTask } from "./transitions.js";

describe("task transitions", () => {
  it("follows queued -> assigned -> running -> succeeded", () => {
    expect(canMoveTask("queued", "assigned")).toBe(true);
    expect(canMoveTask("assigned", "running")).toBe(true);
    expect(canMoveTask("running", "succeeded")).toBe(true);
  });
  it("re-queues an assigned or running task whose claim is lost", () => {
    expect(canMoveTask("assigned", "queued")).toBe(true);
    expect(canMoveTask("running", "queued")).toBe(true);
  });
  it("leaves a finished state only when a user retries it", () => {
    for (const from of ["succeeded", "failed", "cancelled"] as const)
      for (const to of TaskState.options) expect(canMoveTask(from, to)).toBe(to === "queued");
  });
  it("cannot run a task that was never assigned", () => {
    expect(canMoveTask("queued", "running")).toBe(false);
    expect(canMoveTask("queued", "succeeded")).toBe(false);
  });
});

describe("claim transitions", () => {
  it("follows offered -> accepted -> running -> done", () => {
    expect(canMoveClaim("offered", "accepted")).toBe(true);
    expect(canMoveClaim("accepted", "running")).toBe(true);
    expect(canMoveClaim("running", "done")).toBe(true);
  });
  it("never revives an ended claim", () => {
    for (const from of ["done", "rejected", "expired", "revoked"] as const)
      for (const to of ClaimState.options) expect(canMoveClaim(from, to)).toBe(false);
  });
  it("cannot reject a claim after accepting it", () => {
    expect(canMoveClaim("accepted", "rejected")).toBe(false);
    expect(canMoveClaim("running", "rejected")).toBe(false);
  });
});

describe("node transitions", () => {
  it("goes ready when it connects and lost when its lease lapses", () => {
    expect(canMoveNode("joined", "ready")).toBe(true);
    expect(canMoveNode("ready", "lost")).toBe(true);
    expect(canMoveNode("lost", "ready")).toBe(true);
  });
  it("drains to offline", () => {
    expect(canMoveNode("ready", "draining")).toBe(true);
    expect(canMoveNode("draining", "offline")).toBe(true);
  });
  it("never comes back from revoked", () => {
    for (const to of NodeState.options) expect(canMoveNode("revoked", to)).toBe(false);
  });
  it("cannot be lost before it ever held a lease", () => {
    expect(canMoveNode("joined", "lost")).toBe(false);
    expect(canMoveNode("joined", "offline")).toBe(false);
  });
  it("can be revoked from every other state", () => {
    for (const from of NodeState.options) if (from !== "revoked") expect(canMoveNode(from, "revoked")).toBe(true);
  });
});
