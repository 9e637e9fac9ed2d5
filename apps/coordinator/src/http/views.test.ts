import { describe, expect, it } from "vitest";
import type { NodeRow } from "../gateway/node-state.js";
import { nodeDisplayState } from "./views.js";

const row = (over: Partial<NodeRow>): NodeRow =>
  ({ state: "ready", capacity: 2, leaseExpiresAt: new Date(10_000), ...over }) as NodeRow;

describe("nodeDisplayState", () => {
  it("shows a connected node with free slots as ready, a full one as busy", () => {
    expect(nodeDisplayState(row({}), 1, 5000)).toBe("ready");
    expect(nodeDisplayState(row({}), 2, 5000)).toBe("busy");
  });
  it("shows a node whose lease lapsed as lost", () => {
    expect(nodeDisplayState(row({}), 0, 20_000)).toBe("lost");
    expect(nodeDisplayState(row({ state: "cordoned" }), 0, 20_000)).toBe("lost");
  });
  it("keeps offline, joined and revoked as stored", () => {
    for (const state of ["offline", "joined", "revoked"]) expect(nodeDisplayState(row({ state }), 0, 20_000)).toBe(state);
  });
});
