import { describe, expect, it } from "vitest";
import { decodeFrame, encodeFrame } from "./frames.js";
import { CoordinatorToNode, NodeToCoordinator } from "./messages.js";

const hello = {
  nodeId: "nod_1",
  version: "0.1.0",
  protocol: 1,
  hostname: "h",
  os: "linux",
  arch: "x64",
  capacity: 2,
  labels: {},
  agents: [{ name: "exec", kind: "exec" as const }],
  claims: [],
};

describe("frames", () => {
  it("round-trips a message with its ids", () => {
    const raw = encodeFrame(NodeToCoordinator, "hello", hello, { id: "m1" });
    const res = decodeFrame(NodeToCoordinator, raw);
    expect(res.ok).toBe(true);
    if (res.ok) {
      expect(res.message.type).toBe("hello");
      expect(res.message.id).toBe("m1");
    }
  });
  it("will not encode an invalid payload", () => {
    expect(() => encodeFrame(CoordinatorToNode, "ack", { claimId: "c" } as never)).toThrow();
  });
  it.each([
    ["not JSON", "{", "malformed_frame"],
    ["no type", JSON.stringify({ v: 1, payload: {} }), "malformed_frame"],
    ["another version", JSON.stringify({ v: 9, type: "hello", payload: {} }), "version_mismatch"],
    ["an unknown type", JSON.stringify({ v: 1, type: "nope", id: "x", payload: {} }), "unknown_type"],
    ["a bad payload", JSON.stringify({ v: 1, type: "hello", payload: { nodeId: 3 } }), "invalid_payload"],
    ["a prototype key as type", JSON.stringify({ v: 1, type: "toString", payload: {} }), "unknown_type"],
    ["null", "null", "malformed_frame"],
  ])("refuses %s", (_what, raw, code) => {
    const res = decodeFrame(NodeToCoordinator, raw);
    expect(res.ok).toBe(false);
    if (!res.ok) expect(res.code).toBe(code);
  });
  it("keeps the id of a frame it refuses, so the error can answer it", () => {
    const res = decodeFrame(NodeToCoordinator, JSON.stringify({ v: 1, type: "nope", id: "x", payload: {} }));
    expect(!res.ok && res.id).toBe("x");
  });
  it("refuses an ack record batch out of the size bounds", () => {
    const raw = JSON.stringify({ v: 1, type: "claim.events", payload: { claimId: "c", taskId: "t", token: 1, records: [] } });
    expect(decodeFrame(NodeToCoordinator, raw).ok).toBe(false);
  });
});
