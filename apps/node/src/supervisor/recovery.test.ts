import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ClaimOffer, type ClaimRecord } from "@muster/protocol";
import { silentLogger } from "../log.js";
import { DiskOutbox } from "../session/outbox.js";
import { findClaimProcesses, recoverClaims } from "./recovery.js";

const PATH = process.env.PATH ?? "/usr/bin:/bin";
const log = (seq: number): ClaimRecord => ({ seq, ts: 0, kind: "log", stream: "stdout", text: `l${seq}` });
const offer = (n: number) =>
  ClaimOffer.parse({ claimId: `clm_${n}`, taskId: `tsk_${n}`, token: n, attempt: 1, leaseMs: 1000, task: { agent: "exec", argv: ["sleep", "30"], timeoutMs: 60_000 } });

/** Alive and not a zombie waiting to be reaped. */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

/** Live (not zombie) processes in the group; an orphan's zombie may linger until init gets round to it. */
function groupMembers(pgid: number): number[] {
  return readdirSync("/proc").flatMap((name) => {
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      return state !== "Z" && Number(pgrp) === pgid ? [Number(name)] : [];
    } catch {
      return [];
    }
  });
}

let root: string;
const spawned: number[] = [];

/** A worker as the supervisor starts one: leader of its own group, MUSTER_CLAIM_ID in its environment. */
function fakeWorker(claimId: string | null, script = "exec sleep 30"): number {
  const env: Record<string, string> = { PATH };
  if (claimId) env.MUSTER_CLAIM_ID = claimId;
  const child = spawn("sh", ["-c", script], { detached: true, env, stdio: "ignore" });
  spawned.push(child.pid!);
  return child.pid!;
}

beforeEach(() => {
  root = join(mkdtempSync(join(tmpdir(), "muster-recovery-")), "claims");
});

afterEach(() => {
  for (const pid of spawned.splice(0)) {
    try {
      process.kill(-pid, "SIGKILL");
    } catch {
      // Already gone, as it should be.
    }
  }
});

describe.skipIf(process.platform !== "linux")("restart recovery", () => {
  it("kills the worker group a crashed daemon left and reports its claim interrupted after the last record", async () => {
    const first = DiskOutbox.open(root, silentLogger()).outbox;
    first.opened(offer(1));
    // The second sleep drops the claim's variable, so only the recorded (and proven) group reaches it.
    const pgid = fakeWorker("clm_1", "env -u MUSTER_CLAIM_ID sleep 30 & exec sleep 30");
    first.workerStarted("clm_1", pgid);
    for (let seq = 1; seq <= 3; seq++) first.append("clm_1", log(seq));
    first.ack("clm_1", 1);
    await expect.poll(() => findClaimProcesses(new Set(["clm_1"]))?.length, { timeout: 2000, interval: 10 }).toBe(1);

    // The daemon was SIGKILLed: a new one reads the same directory.
    const { outbox, stored } = DiskOutbox.open(root, silentLogger());
    const restored = await recoverClaims(stored, { journal: outbox, log: silentLogger(), now: () => 77 });
    expect(isAlive(pgid)).toBe(false);
    expect(groupMembers(pgid)).toEqual([]);
    const done = {
      claimId: "clm_1",
      taskId: "tsk_1",
      token: 1,
      lastSeq: 3,
      outcome: {
        status: "failed",
        exitCode: null,
        signal: null,
        reason: "interrupted",
        message: "the node daemon restarted",
        workspace: null,
        verify: null,
      },
      finishedAt: 77,
    };
    expect(restored).toEqual([{ offer: offer(1), done, phase: "interrupted" }]);
    expect(outbox.unacked("clm_1").map((r) => r.seq)).toEqual([2, 3]);
    // The result is on disk: a third start reports the claim exited, not interrupted again.
    const third = DiskOutbox.open(root, silentLogger());
    expect(third.stored[0]!.done).toEqual(done);
    expect(await recoverClaims(third.stored, { journal: third.outbox, log: silentLogger() })).toMatchObject([{ phase: "exited", done }]);
  });

  it("leaves alone a process that took over the recorded pid but is not the claim's", async () => {
    const first = DiskOutbox.open(root, silentLogger()).outbox;
    first.opened(offer(1));
    const stranger = fakeWorker(null);
    first.workerStarted("clm_1", stranger);
    const { outbox, stored } = DiskOutbox.open(root, silentLogger());
    await recoverClaims(stored, { journal: outbox, log: silentLogger() });
    expect(isAlive(stranger)).toBe(true);
  });

  it("finds a claim's process that left its group, by its environment", async () => {
    const first = DiskOutbox.open(root, silentLogger()).outbox;
    first.opened(offer(1));
    const loner = fakeWorker("clm_1");
    // Its pgid was never written: the daemon died between the spawn and the note.
    const { outbox, stored } = DiskOutbox.open(root, silentLogger());
    expect(stored[0]!.pgid).toBeNull();
    await recoverClaims(stored, { journal: outbox, log: silentLogger() });
    expect(isAlive(loner)).toBe(false);
  });
});
