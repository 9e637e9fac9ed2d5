// `npm start`'s dev fleet as a person uses it: a terminal closed under it, and a start that finds what an earlier
// fleet left behind.
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ROOT } from "./harness/paths.js";
import { eventually, spawnProc, tempDir, type Proc } from "./harness/processes.js";

const DEV_FLEET = join(ROOT, "infra", "dev-fleet.mjs");

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

interface FleetFile {
  pid: number;
  coordinator: number;
  node: number;
}

describe("the dev fleet", () => {
  const started: Proc[] = [];
  const pids: number[] = [];
  let dir: ReturnType<typeof tempDir>;
  let port: number;

  afterEach(async () => {
    for (const p of started.splice(0)) await p.stop("SIGINT", 20_000);
    for (const pid of pids.splice(0)) {
      try {
        process.kill(-pid, "SIGKILL");
      } catch {}
    }
    dir?.remove();
  });

  async function start(): Promise<Proc> {
    const proc = spawnProc("dev-fleet", [DEV_FLEET], { MUSTER_DEV_DIR: dir.path, MUSTER_PORT: String(port), MUSTER_LOG_LEVEL: "warn" });
    started.push(proc);
    return proc;
  }

  const fleetFile = () => JSON.parse(readFileSync(join(dir.path, "fleet.json"), "utf8")) as FleetFile;

  async function running(proc: Proc): Promise<FleetFile> {
    await proc.waitFor(/Muster dev fleet is running/, 90_000);
    const fleet = fleetFile();
    pids.push(fleet.coordinator, fleet.node);
    return fleet;
  }

  it("stops the coordinator and the node when its terminal closes (SIGHUP)", async () => {
    dir = tempDir("muster-dev-");
    port = await freePort();
    const proc = await start();
    const fleet = await running(proc);
    proc.child.kill("SIGHUP");
    expect((await proc.exited).code).toBe(0);
    expect(alive(fleet.coordinator)).toBe(false);
    expect(alive(fleet.node)).toBe(false);
  }, 150_000);

  it("refuses a second start on the same directory, and takes over from a fleet that died without stopping", async () => {
    dir = tempDir("muster-dev-");
    port = await freePort();
    const first = await start();
    const fleet = await running(first);

    const second = await start();
    expect((await second.exited).code).toBe(1);
    expect(second.lines.join("\n")).toContain(`a dev fleet is already running from ${dir.path} (pid ${fleet.pid})`);

    // The fleet's own process dies without a chance to stop its children, as on a SIGKILL.
    first.child.kill("SIGKILL");
    await first.exited;
    expect(alive(fleet.coordinator) && alive(fleet.node)).toBe(true);

    const third = await start();
    await third.waitFor(/found a stale dev fleet \(coordinator pid \d+, node pid \d+\); stopping it/, 30_000);
    const next = await running(third);
    expect(alive(fleet.coordinator)).toBe(false);
    expect(alive(fleet.node)).toBe(false);
    const res = await eventually(async () => {
      const r = await fetch(`http://127.0.0.1:${port}/healthz`);
      return r.ok ? r : undefined;
    }, 20_000, "the new coordinator to answer");
    expect(res.status).toBe(200);
    expect(next.pid).toBe(third.child.pid);
  }, 240_000);
});
