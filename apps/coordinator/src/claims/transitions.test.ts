import { ClaimState, TaskState } from "@muster/protocol";
import { describe, expect, it } from "vitest";
import { canMoveClaim, canMoveTask } from "./transitions.js";

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
  it("never leaves a finished state", () => {
    for (const from of ["succeeded", "failed", "cancelled"] as const)
      for (const to of TaskState.options) expect(canMoveTask(from, to)).toBe(false);
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
