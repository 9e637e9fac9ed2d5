import { describe, expect, it } from "vitest";
import type { ClaimRecord } from "@muster/protocol";
import { MemoryOutbox } from "./outbox.js";

const log = (seq: number): ClaimRecord => ({ seq, ts: 0, kind: "log", stream: "stdout", text: `l${seq}` });

describe("memory outbox", () => {
  it("keeps records per claim until a cumulative ack covers them", () => {
    const outbox = new MemoryOutbox();
    for (let seq = 1; seq <= 5; seq++) outbox.append("a", log(seq));
    outbox.append("b", log(1));
    outbox.ack("a", 3);
    expect(outbox.unacked("a").map((r) => r.seq)).toEqual([4, 5]);
    expect(outbox.unacked("a", 4).map((r) => r.seq)).toEqual([5]);
    expect(outbox.unacked("b").map((r) => r.seq)).toEqual([1]);
    outbox.ack("a", 2);
    expect(outbox.unacked("a").map((r) => r.seq)).toEqual([4, 5]);
    outbox.forget("a");
    expect(outbox.unacked("a")).toEqual([]);
    outbox.ack("missing", 1);
  });
});
