// The node daemon's watchdog, so that no worker outlives its daemon, even one killed with SIGKILL.
// The daemon starts it detached and writes one line per event on its stdin:
//   watch <claimId>          a worker is about to be spawned for the claim
//   pgid <claimId> <pgid>    it runs as the leader of that process group
//   unwatch <claimId>        it and its group are gone
// When stdin reaches EOF the daemon is gone (the kernel closes the pipe however it died): SIGTERM to every
// group still watched, SIGKILL after the grace (argv[2], ms), then exit. Processes of a watched claim outside
// its group (spawned before its pgid arrived, or moved to a group of their own) are found on Linux by
// MUSTER_CLAIM_ID in /proc/<pid>/environ.
// Plain JavaScript with no dependencies: it needs no build and starts in milliseconds.
import { readdirSync, readFileSync } from "node:fs";

const graceMs = Number.parseInt(process.argv[2] ?? "1000", 10) || 1000;
/** claimId -> pgid, or null until the worker has one. */
const watched = new Map();
let pending = "";
let reaping = false;

// Ctrl-C or a hangup meant for the daemon's terminal must not take the watchdog with it.
process.on("SIGINT", () => {});
process.on("SIGHUP", () => {});
process.stderr.on("error", () => {});

function report(msg, fields) {
  process.stderr.write(`${JSON.stringify({ level: 40, time: Date.now(), pid: process.pid, component: "reaper", ...fields, msg })}\n`);
}

function command(line) {
  const [verb, claimId, pgid] = line.trim().split(" ");
  if (!claimId) return;
  if (verb === "watch") watched.set(claimId, watched.get(claimId) ?? null);
  else if (verb === "pgid" && Number(pgid) > 1) watched.set(claimId, Number(pgid));
  else if (verb === "unwatch") watched.delete(claimId);
}

/** Pids of live processes whose environment names a watched claim. */
function strays() {
  const pids = [];
  let entries;
  try {
    entries = readdirSync("/proc");
  } catch {
    return pids;
  }
  for (const name of entries) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const entry = readFileSync(`/proc/${name}/environ`, "latin1")
        .split("\0")
        .find((e) => e.startsWith("MUSTER_CLAIM_ID="));
      if (entry && watched.has(entry.slice("MUSTER_CLAIM_ID=".length))) pids.push(Number(name));
    } catch {
      // Gone already, or not ours.
    }
  }
  return pids;
}

/** Signals every watched group and stray; true when any of them was still there. */
function signalAll(signal) {
  let any = false;
  for (const pgid of watched.values()) {
    if (pgid === null) continue;
    try {
      process.kill(-pgid, signal);
      any = true;
    } catch {
      // The group is gone.
    }
  }
  for (const pid of strays()) {
    try {
      process.kill(pid, signal);
      any = true;
    } catch {
      // Gone.
    }
  }
  return any;
}

function reap() {
  if (reaping) return;
  reaping = true;
  if (watched.size === 0 || !signalAll("SIGTERM")) process.exit(0);
  report("daemon pipe closed; stopping the workers still watched", { claims: [...watched.keys()], graceMs });
  const started = Date.now();
  const poll = setInterval(() => {
    // Signal 0 only asks whether anything is left, so the watchdog can leave early.
    if (Date.now() - started < graceMs && signalAll(0)) return;
    clearInterval(poll);
    signalAll("SIGKILL");
    process.exit(0);
  }, 50);
}

process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => {
  pending += chunk;
  for (let nl = pending.indexOf("\n"); nl >= 0; nl = pending.indexOf("\n")) {
    command(pending.slice(0, nl));
    pending = pending.slice(nl + 1);
  }
});
process.stdin.on("end", reap);
process.stdin.on("error", reap);
