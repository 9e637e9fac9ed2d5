import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { silentLogger } from "../log.js";
import { Reaper, REAPER_SCRIPT } from "./reaper.js";

const PATH = process.env.PATH ?? "/usr/bin:/bin";
const cleanup: (() => void)[] = [];

/** Alive and not a zombie waiting to be reaped. */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

/** A worker as the supervisor starts one: leader of its own group, its claim in its environment. */
function worker(claimId: string, script = "exec sleep 30"): number {
  const child = spawn("sh", ["-c", script], { detached: true, env: { PATH, MUSTER_CLAIM_ID: claimId }, stdio: "ignore" });
  const pid = child.pid!;
  cleanup.push(() => {
    try {
      process.kill(-pid, "SIGKILL");
    } catch {
      // Gone, as it should be.
    }
  });
  return pid;
}

function startScript(graceMs = 300): ChildProcess {
  const child = spawn(process.execPath, [REAPER_SCRIPT, String(graceMs)], { stdio: ["pipe", "ignore", "ignore"] });
  cleanup.push(() => child.kill("SIGKILL"));
  return child;
}

/** Waits until the worker runs its own program, with its claim in its environment (not the parent's copy). */
async function execed(pid: number, claimId: string): Promise<void> {
  await expect
    .poll(() => {
      try {
        return readFileSync(`/proc/${pid}/environ`, "utf8").split("\0").includes(`MUSTER_CLAIM_ID=${claimId}`);
      } catch {
        return false;
      }
    }, { timeout: 5000, interval: 10 })
    .toBe(true);
}

const exited = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once("exit", (code) => resolve(code))));

afterEach(() => {
  for (const fn of cleanup.splice(0)) fn();
});

describe.skipIf(process.platform !== "linux")("reaper", () => {
  it("kills every watched group when its stdin closes, and leaves unwatched ones alone", async () => {
    const reaper = startScript();
    const a = worker("clm_a", "sleep 30 & exec sleep 30");
    const b = worker("clm_b");
    await execed(a, "clm_a");
    await execed(b, "clm_b");
    reaper.stdin!.write(`watch clm_a\npgid clm_a ${a}\nwatch clm_b\npgid clm_b ${b}\nunwatch clm_b\n`);
    reaper.stdin!.end();
    await expect.poll(() => isAlive(a), { timeout: 2000, interval: 10 }).toBe(false);
    expect(await exited(reaper)).toBe(0);
    expect(isAlive(b)).toBe(true);
  });

  it("SIGKILLs a group that ignores SIGTERM once the grace is over", async () => {
    const reaper = startScript(300);
    const stubborn = worker("clm_a", "trap '' TERM; sleep 30 & wait");
    await execed(stubborn, "clm_a");
    reaper.stdin!.write(`watch clm_a\npgid clm_a ${stubborn}\n`);
    const t0 = Date.now();
    reaper.stdin!.end();
    await expect.poll(() => isAlive(stubborn), { timeout: 3000, interval: 10 }).toBe(false);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
  });

  it("finds a watched claim's process by its environment when its group was never reported", async () => {
    const reaper = startScript();
    const loner = worker("clm_a");
    await execed(loner, "clm_a");
    reaper.stdin!.write("watch clm_a\n");
    reaper.stdin!.end();
    await expect.poll(() => isAlive(loner), { timeout: 2000, interval: 10 }).toBe(false);
  });

  it("is started again and told what it watched when it dies under a live daemon", async () => {
    const reaper = Reaper.start({ log: silentLogger(), graceMs: 300 });
    cleanup.push(() => void reaper.close());
    const pid = worker("clm_a");
    reaper.watch("clm_a");
    reaper.started("clm_a", pid);
    const first = reaper.pid!;
    process.kill(first, "SIGKILL");
    await expect.poll(() => reaper.pid !== undefined && reaper.pid !== first, { timeout: 3000, interval: 10 }).toBe(true);
    await reaper.close();
    await expect.poll(() => isAlive(pid), { timeout: 2000, interval: 10 }).toBe(false);
  });
});
