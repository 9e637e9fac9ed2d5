#!/usr/bin/env node
// `npm start`: a dev fleet in one command. The coordinator on the embedded database under ./.muster/,
// plus one local node joined automatically. Ctrl-C (or closing the terminal) stops both; running it again reuses
// the same data, and stops what a fleet that died without cleaning up left running.
import { spawn } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const home = resolve(process.env.MUSTER_DEV_DIR ?? join(process.cwd(), ".muster"));
const port = process.env.MUSTER_PORT ?? "7391";
const url = `http://127.0.0.1:${port}`;
const coordDir = join(home, "coordinator");
const nodeConfig = join(home, "node.json");
const bin = (app, name) => join(root, "apps", app, "bin", `${name}.js`);
const fleetFile = join(home, "fleet.json");

let coordinator;
let node;
let stopping = false;
const say = (line) => process.stdout.write(`${line}\n`);
/** Before anything was started: nothing to stop. */
const refuse = (line) => {
  process.stderr.write(`muster dev fleet: ${line}\n`);
  process.exit(1);
};
const fail = (line) => {
  process.stderr.write(`muster dev fleet: ${line}\n`);
  shutdown(1);
};

mkdirSync(home, { recursive: true });
for (const [app, name] of [["coordinator", "muster-coordinator"], ["node", "muster-node"], ["cli", "muster"]]) {
  if (!existsSync(join(root, "apps", app, "dist", "main.js")))
    fail(`${name} is not built; run npm ci (or npm run build) first`);
}

/** The command line of a live process, or null when there is none with that pid. */
function commandLine(pid) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ");
  } catch {
    try {
      process.kill(pid, 0);
      return "";
    } catch {
      return null;
    }
  }
}

const ours = (pid, script) => typeof pid === "number" && (commandLine(pid) ?? "").includes(script);

async function waitGone(pid, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (commandLine(pid) !== null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  return commandLine(pid) === null;
}

/**
 * Another `npm start` on this directory is refused; processes left by one that died without stopping them (its
 * terminal closed under an older version, a SIGKILL) are stopped, so this start can take their place.
 */
async function takeOverDirectory() {
  if (!existsSync(fleetFile)) return;
  let last;
  try {
    last = JSON.parse(readFileSync(fleetFile, "utf8"));
  } catch {
    return;
  }
  if (last.pid !== process.pid && ours(last.pid, "dev-fleet"))
    refuse(`a dev fleet is already running from ${home} (pid ${last.pid}); stop it first (Ctrl-C in its terminal, or kill ${last.pid})`);
  const left = [
    ["coordinator", last.coordinator, "muster-coordinator"],
    ["node", last.node, "muster-node"],
  ].filter(([, pid, script]) => ours(pid, script));
  if (left.length === 0) return;
  say(`  found a stale dev fleet (${left.map(([name, pid]) => `${name} pid ${pid}`).join(", ")}); stopping it`);
  // The node first, so it can hand its results to the coordinator before that goes too.
  for (const [name, pid] of left) {
    try {
      process.kill(-pid, "SIGTERM");
    } catch {
      try {
        process.kill(pid, "SIGTERM");
      } catch {}
    }
    if (!(await waitGone(pid, 15_000))) {
      try {
        process.kill(-pid, "SIGKILL");
      } catch {}
      if (!(await waitGone(pid, 5_000))) refuse(`the stale ${name} (pid ${pid}) does not stop; kill it and start again`);
    }
  }
}

function recordFleet() {
  const fleet = { pid: process.pid, coordinator: coordinator?.pid ?? null, node: node?.pid ?? null, port: Number(port) };
  writeFileSync(fleetFile, JSON.stringify(fleet) + "\n");
}

/**
 * The local node sandboxes its workers the way it would anywhere (bwrap, else a dedicated user when root); on a
 * machine with neither, the dev fleet still runs, with unsandboxed workers and a line saying how to fix that.
 */
async function devSandbox() {
  const asked = process.env.MUSTER_NODE_SANDBOX;
  if (asked) return { env: undefined, shown: asked };
  const { chooseSandbox, probeMachine } = await import(join(root, "apps", "node", "dist", "sandbox", "choose.js"));
  try {
    const mode = chooseSandbox({ configured: undefined, network: "on", userName: "muster-worker", machine: probeMachine("muster-worker", process.env) });
    return { env: undefined, shown: mode };
  } catch (err) {
    process.stderr.write(`muster dev fleet: ${err.message}\n`);
    process.stderr.write("muster dev fleet: the local node runs its workers unsandboxed; install bubblewrap (apt-get install bubblewrap) to sandbox them\n");
    return { env: "none", shown: "none" };
  }
}

const children = new Set();
function run(name, args, opts = {}) {
  // Own process group, so Ctrl-C reaches only us and we can stop the node before the coordinator.
  const child = spawn(process.execPath, args, { stdio: opts.stdio ?? "inherit", detached: true, env: { ...process.env, ...opts.env } });
  children.add(child);
  child.on("exit", () => children.delete(child));
  child.name = name;
  return child;
}

async function waitHealthy(timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`${url}/healthz`)).ok) return;
    } catch {}
    if (coordinator.exitCode !== null) fail(`the coordinator exited (code ${coordinator.exitCode}); is port ${port} in use?`);
    await new Promise((r) => setTimeout(r, 150));
  }
  fail(`the coordinator did not answer at ${url} within ${timeoutMs / 1000}s`);
}

async function call(method, path, token, body) {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, body: await res.json().catch(() => null) };
}

function runToEnd(args) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    child.on("exit", (code) => resolve({ code, out }));
  });
}

/** Joins the local node unless its config names a node the coordinator still knows. */
async function ensureJoined(token) {
  if (existsSync(nodeConfig)) {
    const { nodeId } = JSON.parse(readFileSync(nodeConfig, "utf8"));
    const res = await call("GET", `/v1/nodes/${nodeId}`, token);
    if (res.status === 200 && res.body.state !== "revoked") return res.body.name;
    rmSync(nodeConfig);
  }
  const key = await call("POST", "/v1/join-keys", token, { uses: 1, ttlMs: 600_000, description: "npm start local node" });
  if (key.status !== 201) fail(`cannot create a join key: ${JSON.stringify(key.body)}`);
  const name = `local-${hostname().replace(/[^A-Za-z0-9.-]/g, "-").slice(0, 40)}`.replace(/[-.]+$/, "");
  const joined = await runToEnd([bin("node", "muster-node"), "join", url, "--name", name, "--key", key.body.key, "--config", nodeConfig, "--label", "dev=true"]);
  if (joined.code !== 0) fail(`the local node could not join: ${joined.out.trim()}`);
  return name;
}

let interrupts = 0;
// SIGHUP: the terminal closed. The children have process groups of their own, so it reaches only us.
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(sig, () => {
    interrupts += 1;
    if (interrupts > 1) {
      for (const c of children) c.kill("SIGKILL");
      process.exit(130);
    }
    say("\n  stopping the fleet…");
    void shutdown(0);
  });
}
await takeOverDirectory();
const logEnv = { MUSTER_LOG_LEVEL: process.env.MUSTER_LOG_LEVEL ?? "info" };
coordinator = run("coordinator", [bin("coordinator", "muster-coordinator"), "start", "--data-dir", coordDir, "--port", port], { env: logEnv });
coordinator.on("exit", (code) => {
  if (!stopping) fail(`the coordinator stopped unexpectedly (code ${code})`);
});
recordFleet();

await waitHealthy(60_000);
const token = (process.env.MUSTER_ADMIN_TOKEN ?? readFileSync(join(coordDir, "admin.token"), "utf8")).trim();
const cliConfig = join(home, "cli.json");
writeFileSync(cliConfig, JSON.stringify({ url, token }, null, 2) + "\n", { mode: 0o600 });
chmodSync(cliConfig, 0o600);
const nodeName = await ensureJoined(token);
const sandbox = await devSandbox();
node = run("node", [bin("node", "muster-node"), "start", "--config", nodeConfig], {
  env: { ...logEnv, MUSTER_NODE_DATA_DIR: join(home, "node"), ...(sandbox.env ? { MUSTER_NODE_SANDBOX: sandbox.env } : {}) },
});
node.on("exit", (code) => {
  if (!stopping) fail(`the local node stopped unexpectedly (code ${code})`);
});
recordFleet();

say("");
say("  Muster dev fleet is running");
say(`  console      ${url}/   (sign in with the admin token)`);
say(`  admin token  ${token}`);
say(`  API          ${url}/v1`);
say(`  local node   ${nodeName} (workers sandboxed: ${sandbox.shown})`);
say(`  data         ${home}`);
say("");
say("  In another terminal, from this directory:");
say("    npx muster status");
say("    npx muster submit --agent exec --wait -- echo hello from muster");
say("");
say("  Ctrl-C stops the fleet.");
say("");

function stopChild(child, signal, timeoutMs) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.once("exit", () => {
      clearTimeout(t);
      resolve();
    });
    child.kill(signal);
  });
}

async function shutdown(code) {
  if (stopping) return;
  stopping = true;
  await stopChild(node, "SIGTERM", 15_000);
  await stopChild(coordinator, "SIGTERM", 10_000);
  forgetFleet();
  process.exit(code);
}

function forgetFleet() {
  try {
    if (JSON.parse(readFileSync(fleetFile, "utf8")).pid === process.pid) rmSync(fleetFile);
  } catch {}
}

process.on("exit", () => {
  for (const c of children) c.kill("SIGKILL");
});
