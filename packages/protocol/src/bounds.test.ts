import { describe, expect, it } from "vitest";
import { decodeFrame } from "./frames.js";
import { NodeToCoordinator } from "./messages.js";
import { EPOCH_MS_MAX, INT4_MAX } from "./values.js";

const ref = { claimId: "clm_1", taskId: "tsk_1", token: 1 };
const outcome = { status: "succeeded", exitCode: 0, signal: null, reason: null, message: null };
const frame = (type: string, payload: unknown) => JSON.stringify({ v: 1, type, payload });
const events = (record: object) => frame("claim.events", { ...ref, records: [{ seq: 1, ts: 0, kind: "log", stream: "stdout", text: "x", ...record }] });
const done = (over: object) => frame("claim.done", { ...ref, lastSeq: 0, outcome, finishedAt: 0, ...over });

describe("bounds that match the coordinator's columns", () => {
  it("keep seqs, tokens and exit codes within int4", () => {
    expect(decodeFrame(NodeToCoordinator, events({ seq: INT4_MAX })).ok).toBe(true);
    expect(decodeFrame(NodeToCoordinator, events({ seq: INT4_MAX + 1 })).ok).toBe(false);
    expect(decodeFrame(NodeToCoordinator, done({ token: INT4_MAX + 1 })).ok).toBe(false);
    expect(decodeFrame(NodeToCoordinator, done({ outcome: { ...outcome, exitCode: -(2 ** 31) } })).ok).toBe(true);
    expect(decodeFrame(NodeToCoordinator, done({ outcome: { ...outcome, exitCode: 2 ** 40 } })).ok).toBe(false);
    expect(decodeFrame(NodeToCoordinator, done({ lastSeq: 2 ** 31 })).ok).toBe(false);
  });

  it("keep times within what a Date and a timestamp column hold", () => {
    expect(new Date(EPOCH_MS_MAX).toISOString()).toBe("9999-12-31T23:59:59.999Z");
    expect(decodeFrame(NodeToCoordinator, events({ ts: EPOCH_MS_MAX })).ok).toBe(true);
    expect(decodeFrame(NodeToCoordinator, events({ ts: 9e15 })).ok).toBe(false);
    expect(decodeFrame(NodeToCoordinator, done({ finishedAt: 9e15 })).ok).toBe(false);
  });
});
