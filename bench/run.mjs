#!/usr/bin/env node
// Task throughput and latency through a real fleet (coordinator + nodes on this machine), printed beside a
// peer: the same commands spawned directly with child_process, the floor any runner pays.
// Usage: npm run bench [-- --tasks 200 --nodes 2 --capacity 4 --database-url postgres://...]
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const root = resolve(fileURLToPath(new URL("..", import.meta.url)));
const { values: opt } = parseArgs({
  options: {
    tasks: { type: "string", default: "200" },
    nodes: { type: "string", default: "2" },
    capacity: { type: "string", default: "4" },
    "database-url": { type: "string" },
  },
});
const TASKS = Number(opt.tasks);
const NODES = Number(opt.nodes);
const CAPACITY = Number(opt.capacity);
const COMMAND = ["true"];
const bin = (app, name) => join(root, "apps", app, "bin", `${name}.js`);
const dir = mkdtempSync(join(tmpdir(), "muster-bench-"));
const procs = [];

function start(args, env = {}) {
  const child = spawn(process.execPath, args, { env: { ...process.env, MUSTER_LOG_FORMAT: "json", MUSTER_LOG_LEVEL: "warn", ...env }, stdio: ["ignore", "pipe", "pipe"] });
  procs.push(child);
  return child;
}
const pct = (xs, p) => xs.slice().sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
const fmt = (ms) => `${ms.toFixed(1)} ms`;

async function peer() {
  // Direct spawns with the same concurrency as the fleet's total slots.
  const slots = NODES * CAPACITY;
  const lat = [];
  const t0 = performance.now();
  let next = 0;
  async function lane() {
    while (next < TASKS) {
      next++;
      const s = performance.now();
      await new Promise((res) => spawn(COMMAND[0], COMMAND.slice(1), { stdio: "ignore" }).on("exit", res));
      lat.push(performance.now() - s);
    }
  }
  await Promise.all(Array.from({ length: slots }, lane));
  return { seconds: (performance.now() - t0) / 1000, lat };
}

async function fleet() {
  const port = 7600 + Math.floor(Math.random() * 300);
  const url = `http://127.0.0.1:${port}`;
  const args = [bin("coordinator", "muster-coordinator"), "start", "--port", String(port), "--data-dir", join(dir, "coord")];
  if (opt["database-url"]) args.push("--database-url", opt["database-url"]);
  start(args);
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${url}/healthz`)).ok) break;
    } catch {}
    if (i > 300) throw new Error("coordinator did not start");
    await new Promise((r) => setTimeout(r, 100));
  }
  const token = readFileSync(join(dir, "coord", "admin.token"), "utf8").trim();
  const call = async (method, path, body) => {
    const res = await fetch(`${url}${path}`, { method, headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: body && JSON.stringify(body) });
    return res.json();
  };
  const { key } = await call("POST", "/v1/join-keys", { uses: NODES });
  for (let i = 0; i < NODES; i++) {
    const config = join(dir, `node-${i}.json`);
    const r = spawnSync(process.execPath, [bin("node", "muster-node"), "join", url, "--name", `bench-${i}`, "--key", key, "--capacity", String(CAPACITY), "--config", config]);
    if (r.status !== 0) throw new Error(`join failed: ${r.stderr}`);
    start([bin("node", "muster-node"), "start", "--config", config], { MUSTER_NODE_DATA_DIR: join(dir, `node-${i}-data`) });
  }
  for (;;) {
    const s = await call("GET", "/v1/status");
    if (s.nodes.filter((n) => n.state === "ready").length === NODES) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  await Promise.all(Array.from({ length: TASKS }, () => call("POST", "/v1/tasks", { agent: "exec", argv: COMMAND })));
  // Watch the counts, not each task, so the benchmark does not load the coordinator it measures.
  for (;;) {
    const { tasks } = await call("GET", "/v1/status");
    if (tasks.succeeded + tasks.failed + tasks.cancelled >= TASKS) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const { tasks } = await call("GET", `/v1/tasks?limit=${Math.min(TASKS, 500)}`);
  if (tasks.some((t) => t.state !== "succeeded")) throw new Error("a task did not succeed");
  // createdAt: stored on submit; updatedAt: the result stored. Both on the coordinator's clock.
  const lat = tasks.map((t) => Date.parse(t.updatedAt) - Date.parse(t.createdAt));
  const first = Math.min(...tasks.map((t) => Date.parse(t.createdAt)));
  const last = Math.max(...tasks.map((t) => Date.parse(t.updatedAt)));
  return { seconds: (last - first) / 1000, lat };
}

try {
  process.stdout.write(`muster bench: ${TASKS} tasks of \`${COMMAND.join(" ")}\`, ${NODES} nodes x ${CAPACITY} slots, ${opt["database-url"] ? "postgres" : "pglite"}\n\n`);
  const p = await peer();
  const f = await fleet();
  const row = (name, r) =>
    `${name.padEnd(22)} ${(TASKS / r.seconds).toFixed(1).padStart(10)} ${fmt(pct(r.lat, 50)).padStart(12)} ${fmt(pct(r.lat, 95)).padStart(12)}`;
  process.stdout.write(`${"run".padEnd(22)} ${"tasks/s".padStart(10)} ${"p50".padStart(12)} ${"p95".padStart(12)}\n`);
  process.stdout.write(`${row("direct spawn (peer)", p)}\n${row("muster fleet", f)}\n\n`);
  process.stdout.write(`ratio muster/peer: throughput ${((TASKS / f.seconds) / (TASKS / p.seconds)).toFixed(3)}x, p50 latency ${(pct(f.lat, 50) / pct(p.lat, 50)).toFixed(1)}x\n`);
  process.stdout.write("(fleet latency: task stored to result stored, queueing included; peer latency: spawn to exit)\n");
} finally {
  for (const c of procs) c.kill("SIGTERM");
  await new Promise((r) => setTimeout(r, 1500));
  for (const c of procs) c.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
}
