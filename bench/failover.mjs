#!/usr/bin/env node
// Time from SIGKILL of the node running a task to that task running on another node, measured on a real fleet
// (coordinator + two nodes on this machine), with the default lease settings or the test ones.
// Usage: node bench/failover.mjs [--settings default|test] [--runs 3]
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const root = resolve(fileURLToPath(new URL("..", import.meta.url)));
const { values: opt } = parseArgs({ options: { settings: { type: "string", default: "default" }, runs: { type: "string", default: "3" } } });
const SETTINGS = {
  default: {},
  test: { MUSTER_HEARTBEAT_INTERVAL: "200ms", MUSTER_LEASE: "1500ms", MUSTER_LEASE_GRACE: "500ms", MUSTER_RETRY_BACKOFF: "100ms" },
}[opt.settings];
if (!SETTINGS) throw new Error("--settings is default or test");
const bin = (app, name) => join(root, "apps", app, "bin", `${name}.js`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const procs = [];

function start(args, env = {}) {
  const child = spawn(process.execPath, args, {
    env: { ...process.env, MUSTER_LOG_FORMAT: "json", MUSTER_LOG_LEVEL: "warn", ...SETTINGS, ...env },
    stdio: "ignore",
  });
  procs.push(child);
  return child;
}

async function run(i) {
  const dir = mkdtempSync(join(tmpdir(), "muster-failover-"));
  const port = 7900 + i;
  const url = `http://127.0.0.1:${port}`;
  start([bin("coordinator", "muster-coordinator"), "start", "--port", String(port), "--data-dir", join(dir, "coord")]);
  for (let t = 0; ; t++) {
    try {
      if ((await fetch(`${url}/healthz`)).ok) break;
    } catch {}
    if (t > 300) throw new Error("coordinator did not start");
    await sleep(100);
  }
  const token = readFileSync(join(dir, "coord", "admin.token"), "utf8").trim();
  const call = async (method, path, body) =>
    (await fetch(`${url}${path}`, { method, headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: body && JSON.stringify(body) })).json();
  const { key } = await call("POST", "/v1/join-keys", { uses: 2 });
  const daemons = {};
  for (const name of ["a", "b"]) {
    const config = join(dir, `${name}.json`);
    const r = spawnSync(process.execPath, [bin("node", "muster-node"), "join", url, "--name", name, "--key", key, "--capacity", "1", "--config", config]);
    if (r.status !== 0) throw new Error(`join failed: ${r.stderr}`);
    daemons[name] = start([bin("node", "muster-node"), "start", "--config", config], { MUSTER_NODE_DATA_DIR: join(dir, `${name}-data`) });
  }
  while ((await call("GET", "/v1/status")).nodes.filter((n) => n.state === "ready").length < 2) await sleep(100);
  const task = await call("POST", "/v1/tasks", { agent: "exec", argv: ["sleep", "600"] });
  let first;
  while (!(first = (await call("GET", `/v1/tasks/${task.id}`)).claims.find((c) => c.state === "running"))) await sleep(50);
  // Kill at a random point of the heartbeat cycle, as a real crash would.
  await sleep(Math.random() * 5000 * (opt.settings === "test" ? 0.04 : 1));
  const killedAt = Date.now();
  daemons[first.nodeName].kill("SIGKILL");
  for (;;) {
    const t = await call("GET", `/v1/tasks/${task.id}`);
    const moved = t.claims.find((c) => c.nodeName !== first.nodeName && c.state === "running");
    if (moved) {
      for (const c of procs) c.kill("SIGKILL");
      procs.length = 0;
      rmSync(dir, { recursive: true, force: true });
      return Date.now() - killedAt;
    }
    await sleep(25);
  }
}

const times = [];
try {
  for (let i = 0; i < Number(opt.runs); i++) {
    times.push(await run(i));
    process.stdout.write(`run ${i + 1}: ${(times[i] / 1000).toFixed(2)} s\n`);
  }
} finally {
  for (const c of procs) c.kill("SIGKILL");
}
const avg = times.reduce((a, b) => a + b, 0) / times.length;
process.stdout.write(
  `\nSIGKILL of a node -> its task running on another node, ${opt.settings} settings (${times.length} runs):\n` +
    `  min ${(Math.min(...times) / 1000).toFixed(2)} s, mean ${(avg / 1000).toFixed(2)} s, max ${(Math.max(...times) / 1000).toFixed(2)} s\n` +
    "  published figures for peers: Hatchet 30 s (heartbeat timeout), Buildkite 4 min (lost agent)\n",
);
