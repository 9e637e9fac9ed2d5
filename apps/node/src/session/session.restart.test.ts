import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ClaimOffer, type ClaimRecord } from "@muster/protocol";
import { silentLogger } from "../log.js";
import { offer, ref, startTestNode, useSessionFixture } from "./node.fake.js";
import { DiskOutbox } from "./outbox.js";

const f = useSessionFixture();

const log = (seq: number): ClaimRecord => ({ seq, ts: 0, kind: "log", stream: "stdout", text: `l${seq}` });

describe("restart", () => {
  it("reports what a crashed daemon held (interrupted or exited), re-sends its unacked records and results, then forgets them", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "muster-restart-"));
    // What a daemon SIGKILLed mid-work leaves: claim 1 was running, claim 2 had ended but its result was not acked.
    const before = DiskOutbox.open(join(dataDir, "claims"), silentLogger()).outbox;
    before.opened(ClaimOffer.parse(offer(1, ["sleep", "30"])));
    for (let seq = 1; seq <= 3; seq++) before.append("clm_1", log(seq));
    before.ack("clm_1", 1);
    before.opened(ClaimOffer.parse(offer(2, ["true"])));
    before.append("clm_2", log(1));
    const outcome = { status: "succeeded" as const, exitCode: 0, signal: null, reason: null, message: null, workspace: null, verify: null };
    before.finished({ ...ref(2), lastSeq: 1, outcome, finishedAt: 1 });

    f.node = await startTestNode(f.coord, f.keys, { dataDir });
    const hello = await f.coord.welcome();
    expect(hello.payload.claims).toEqual([
      { ...ref(1), phase: "interrupted", lastSeq: 3, waitingAsks: [], tellsReceived: [] },
      { ...ref(2), phase: "exited", lastSeq: 1, waitingAsks: [], tellsReceived: [] },
    ]);
    const events = [await f.coord.take("claim.events"), await f.coord.take("claim.events")].map((f) => f.payload);
    expect(events).toEqual(
      expect.arrayContaining([
        { ...ref(1), records: [log(2), log(3)] },
        { ...ref(2), records: [log(1)] },
      ]),
    );
    const results = [await f.coord.take("claim.done"), await f.coord.take("claim.done")].map((f) => f.payload);
    expect(results).toContainEqual(
      expect.objectContaining({
        ...ref(1),
        lastSeq: 3,
        outcome: expect.objectContaining({ status: "failed", exitCode: null, reason: "interrupted", message: "the node daemon restarted" }),
      }),
    );
    expect(results).toContainEqual(expect.objectContaining({ ...ref(2), outcome: expect.objectContaining({ status: "succeeded" }) }));

    f.coord.send("ack", { ...ref(1), seq: 3, done: true });
    f.coord.send("ack", { ...ref(2), seq: 1, done: true });
    f.coord.inbox.length = 0;
    await expect.poll(async () => (await f.coord.take("heartbeat")).payload.claims, { timeout: 2000, interval: 1 }).toEqual([]);
    expect(existsSync(join(dataDir, "claims", "clm_1"))).toBe(false);
    expect(existsSync(join(dataDir, "claims", "clm_2"))).toBe(false);
  });
});
