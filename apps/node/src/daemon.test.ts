// The daemon as a real process: SIGKILLed with a worker running, then started again on the same data dir.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { writeConfig } from "./config.js";
import { generateNodeKeyPair } from "./identity/keys.js";
import { FakeCoordinator } from "./session/coordinator.fake.js";
import { isAlive, offer, ref } from "./session/node.fake.js";

const APP_DIR = join(dirname(fileURLToPath(import.meta.url)), "..");
// The sources run as they are through vite-node (vitest's own runner), so the test needs no build.
const VITE_NODE = join(dirname(createRequire(import.meta.url).resolve("vite-node")), "..", "vite-node.mjs");

let coord: FakeCoordinator;
let configPath: string;
let dataDir: string;
const daemons: ChildProcess[] = [];

beforeEach(async () => {
  coord = new FakeCoordinator();
  await coord.start();
  const dir = mkdtempSync(join(tmpdir(), "muster-daemon-"));
  configPath = join(dir, "node.json");
  dataDir = join(dir, "data");
  const { publicKey, privateKey } = await generateNodeKeyPair();
  await writeConfig(configPath, { url: coord.url, nodeId: "nod_1", name: "n1", audience: "muster:test", publicKey, privateKey, capacity: 2 });
});

afterEach(async () => {
  for (const d of daemons.splice(0)) d.kill("SIGKILL");
  await coord.stop();
});

function startDaemon(): ChildProcess {
  const child = spawn(process.execPath, [VITE_NODE, "src/main.ts", "--", "start", "--config", configPath], {
    cwd: APP_DIR,
    env: { ...process.env, MUSTER_NODE_DATA_DIR: dataDir, MUSTER_LOG_LEVEL: "warn" },
    stdio: ["ignore", "ignore", "inherit"],
  });
  daemons.push(child);
  return child;
}

/** The watchdog the daemon `daemonPid` started, found by its parent and its script. */
function reaperOf(daemonPid: number): number | undefined {
  const script = join(APP_DIR, "bin", "reaper.js");
  for (const name of readdirSync("/proc").filter((n) => /^\d+$/.test(n))) {
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === daemonPid && readFileSync(`/proc/${name}/cmdline`, "utf8").includes(script)) return Number(name);
    } catch {
      // Gone.
    }
  }
  return undefined;
}

describe.skipIf(process.platform !== "linux")("daemon process", () => {
  it("leaves no worker behind when SIGKILLed, and reports the claim interrupted when started again", { timeout: 60_000 }, async () => {
    const first = startDaemon();
    // A daemon process under vite-node takes seconds to start on a loaded machine.
    await coord.welcome(50, { helloTimeoutMs: 30_000 });
    coord.send("claim.offer", offer(1, ["sleep", "30"]), { id: "o1" });
    await coord.take("claim.accept", 20_000);
    const events = await coord.take("claim.events", 20_000);
    const started = events.payload.records[0]!;
    const pid = started.kind === "started" ? started.pid! : 0;
    expect(isAlive(pid)).toBe(true);
    const reaper = reaperOf(first.pid!);
    expect(reaper).toBeDefined();

    first.kill("SIGKILL");
    const killedAt = Date.now();
    await expect.poll(() => isAlive(pid), { timeout: 2500, interval: 10 }).toBe(false);
    expect(Date.now() - killedAt).toBeLessThan(2000);
    await expect.poll(() => isAlive(reaper!), { timeout: 3000, interval: 20 }).toBe(false);

    coord.inbox.length = 0;
    const second = startDaemon();
    const hello = await coord.welcome(50, { helloTimeoutMs: 30_000 });
    expect(hello.payload.claims).toEqual([{ ...ref(1), phase: "interrupted", lastSeq: 1, waitingAsks: [], tellsReceived: [] }]);
    const done = await coord.take("claim.done", 20_000);
    expect(done.payload).toMatchObject({ ...ref(1), lastSeq: 1, outcome: { status: "failed", reason: "interrupted" } });
    const secondReaper = reaperOf(second.pid!);
    expect(secondReaper).toBeDefined();
    coord.send("ack", { ...ref(1), seq: 1, done: true });
    await expect.poll(async () => (await coord.take("heartbeat")).payload.claims, { timeout: 5000, interval: 1 }).toEqual([]);

    // Drained with nothing running, it says goodbye and exits 0, and the watchdog goes with it. (Not SIGTERM here:
    // under vite-node the dev server's own SIGTERM handler would exit first.)
    coord.send("node.drain", { deadlineMs: null });
    const code = await new Promise<number | null>((resolve) => second.once("exit", (c) => resolve(c)));
    expect(code).toBe(0);
    await expect.poll(() => coord.closes.at(-1), { timeout: 2000, interval: 5 }).toBe(1000);
    await expect.poll(() => isAlive(secondReaper!), { timeout: 3000, interval: 20 }).toBe(false);
  });
});
