// A worker is untrusted: for every sandbox mode this machine supports, a real node daemon runs a worker that tries to
// reach what belongs to the node (its environment, key, data dir) and to another claim (its dir, its ask socket),
// and everything a worker needs (asks, git commits in its worktree, time limits, network none) still works.
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { joinNode, muster, musterJson, startNode, tempDir, type NodeHandle } from "../harness/fleet.js";
import { disposeCoordinator, eventually, startCoordinator, type CoordinatorHandle } from "../harness/processes.js";

type Mode = "bwrap" | "user" | "none";
const CI = Boolean(process.env.CI);
const WORKER_USER = "muster-worker";
const isRoot = process.getuid?.() === 0;

function bwrapWorks(): boolean {
  const args = ["--unshare-pid", "--die-with-parent", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "true"];
  return spawnSync("bwrap", args, { stdio: "ignore" }).status === 0;
}
const workerUserExists = () => spawnSync("id", ["-u", WORKER_USER], { stdio: "ignore" }).status === 0;

/** In CI a mode the machine should support and does not is a failure, not a skip. */
function supportedModes(): Mode[] {
  const modes: Mode[] = [];
  if (bwrapWorks()) modes.push("bwrap");
  else if (CI) throw new Error("bwrap does not work on this CI machine (.ci/run installs bubblewrap)");
  if (isRoot && workerUserExists()) modes.push("user");
  else if (CI && isRoot) throw new Error(`no user ${WORKER_USER} on this CI machine (.ci/run creates it)`);
  modes.push("none");
  return modes;
}

const MODES = supportedModes();
const TERMINAL = ["succeeded", "failed", "cancelled"];
const DAEMON_MARK = "MUSTER_TEST_DAEMON_SECRET";

/** Each probe prints `PROBE <name> exposed|blocked`; the commands get their targets through the environment. */
const PROBES: Record<string, string> = {
  parent_environ: `grep -qa ${DAEMON_MARK}= /proc/$DAEMON/environ`,
  scan_environ: `for f in /proc/[0-9]*/environ; do grep -qa ${DAEMON_MARK}= "$f" 2>/dev/null && exit 0; done; exit 1`,
  daemon_cmdline: `grep -qa "$NODE_CONFIG" /proc/$DAEMON/cmdline`,
  node_config: `grep -q privateKey "$NODE_CONFIG"`,
  node_data_dir: `ls -A "$NODE_DATA/claims" | grep -q .`,
  other_claim_dir: `grep -q victim-secret "$VICTIM_DIR/secret.txt"`,
  other_claim_socket: `node -e 'const s=require("net").connect(process.env.VICTIM_SOCK);s.on("connect",()=>process.exit(0));s.on("error",()=>process.exit(1))'`,
};
const attackScript = [
  "DAEMON=$PPID",
  ...Object.entries(PROBES).map(
    ([name, cmd]) => `if DAEMON=$DAEMON sh -c '${cmd.replace(/'/g, `'\\''`)}' >/dev/null 2>&1; then echo "PROBE ${name} exposed"; else echo "PROBE ${name} blocked"; fi`,
  ),
].join("\n");

describe.each(MODES)("sandbox %s", (mode) => {
  let c: CoordinatorHandle;
  let dir: ReturnType<typeof tempDir>;
  let node: NodeHandle;
  let repo: string;
  const label = `sandbox=${mode}`;

  beforeAll(async () => {
    c = await startCoordinator("pglite");
    dir = tempDir(`muster-sandbox-${mode}-`);
    // The worker user must pass the test dir to reach its work dir; the node's config inside stays 0600.
    chmodSync(dir.path, 0o711);
    const key = await musterJson<{ key: string }>(c, dir.path, "join-keys", "create", "--uses", "1", "--ttl", "10m");
    const joined = await joinNode(c, dir.path, key.key, `n-${mode}`, { labels: [label], capacity: 3 });
    node = startNode(joined, { MUSTER_NODE_SANDBOX: mode, [DAEMON_MARK]: `s3cret-${mode}` });
    await eventually(async () => {
      const s = await musterJson(c, dir.path, "status");
      return s.nodes.some((n: any) => n.name === node.name && n.state === "ready") ? true : undefined;
    }, 60_000, "the node ready");
    repo = join(dir.path, "repo");
    mkdirSync(repo);
    writeFileSync(join(repo, "README"), "hello\n");
    const git = (...args: string[]) => spawnSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.com", ...args], { cwd: repo, stdio: "ignore" });
    git("init", "-q", "-b", "main");
    git("add", "README");
    git("commit", "-qm", "first");
    chmodSync(repo, 0o755);
  }, 120_000);

  afterAll(async () => {
    await node?.proc.stop("SIGKILL");
    if (c) await disposeCoordinator(c);
    dir?.remove();
  });

  const submit = async (...args: string[]) => {
    const res = await muster(c, dir.path, "submit", "--label", label, ...args);
    expect(res.code, res.stderr).toBe(0);
    return res.stdout.trim();
  };
  const waitDone = (id: string) =>
    eventually(async () => {
      const t = await musterJson(c, dir.path, "task", id);
      return TERMINAL.includes(t.state) ? t : undefined;
    }, 90_000, `task ${id} to finish`);
  const logs = async (id: string) => (await muster(c, dir.path, "logs", id)).stdout;

  it("reports its sandbox in status", async () => {
    const s = await musterJson(c, dir.path, "status");
    expect(s.nodes.find((n: any) => n.name === node.name).sandbox).toEqual({ mode, network: "on" });
    expect((await muster(c, dir.path, "nodes")).stdout).toMatch(new RegExp(`n-${mode}.*\\s${mode}\\n`));
  });

  it(mode === "none" ? "shows what a worker reaches without a sandbox" : "keeps the node and other claims out of a worker's reach", async () => {
    const victim = await submit("--timeout", "2m", "--", "sh", "-c", 'echo victim-secret > "$MUSTER_WORKDIR/secret.txt"; echo "VICTIM $MUSTER_WORKDIR $MUSTER_ASK_SOCKET"; sleep 120');
    const line = await eventually(async () => (await logs(victim)).match(/^VICTIM (\S+) (\S+)$/m) ?? undefined, 60_000, "the victim's paths");
    const [, victimDir, victimSock] = line;
    const env = [`NODE_CONFIG=${node.config}`, `NODE_DATA=${node.dataDir}`, `VICTIM_DIR=${victimDir}`, `VICTIM_SOCK=${victimSock}`];
    const attacker = await submit(...env.flatMap((e) => ["--env", e]), "--", "sh", "-c", attackScript);
    const done = await waitDone(attacker);
    await muster(c, dir.path, "cancel", victim);
    expect(done.state, await logs(attacker)).toBe("succeeded");
    const found = Object.fromEntries([...(await logs(attacker)).matchAll(/^PROBE (\S+) (exposed|blocked)$/gm)].map((m) => [m[1], m[2]]));
    expect(Object.keys(found).sort()).toEqual(Object.keys(PROBES).sort());
    // The control shows every probe can succeed, so a blocked one in a sandbox means something.
    const expected = Object.fromEntries(Object.keys(PROBES).map((p) => [p, mode === "none" ? "exposed" : "blocked"]));
    // Another uid still sees the process list (and so the config's path), just not what is behind it.
    if (mode === "user") expected.daemon_cmdline = "exposed";
    expect(found).toEqual(expected);
  }, 180_000);

  it("lets a worker ask a person from inside", async () => {
    const id = await submit("--", "sh", "-c", 'a=$(muster ask "go on?") && echo "got $a"');
    const asked = await muster(c, dir.path, "asks", "wait", "--timeout", "60s", "--json");
    expect(asked.code, asked.stderr).toBe(0);
    const ask = JSON.parse(asked.stdout);
    expect(ask).toMatchObject({ taskId: id, question: "go on?" });
    expect((await muster(c, dir.path, "answer", ask.id, "yes")).code).toBe(0);
    expect((await waitDone(id)).state).toBe("succeeded");
    expect(await logs(id)).toBe("got yes\n");
  }, 120_000);

  it("edits and commits in the task's worktree", async () => {
    const script = 'echo more >> README && git add README && git -c user.name=w -c user.email=w@example.com commit -qm "from the worker" && git log -1 --format=%s';
    const id = await submit("--repo", repo, "--", "sh", "-c", script);
    const done = await waitDone(id);
    expect(done.state, await logs(id)).toBe("succeeded");
    expect(await logs(id)).toBe("from the worker\n");
    expect(done.workspace.head).not.toBe(done.workspace.base);
    const log = spawnSync("git", ["-C", join(node.dataDir, "repos", readdirSync(join(node.dataDir, "repos")).find((n) => n.endsWith(".git"))!), "log", "-1", "--format=%s", `muster/${id}`], { encoding: "utf8" });
    expect(log.stdout.trim()).toBe("from the worker");
  }, 120_000);

  it("does not let a worker point the daemon's git at a repository of its making", async () => {
    const pwned = join(dir.path, `pwned-${mode}`);
    const script = [
      "git init -q evil",
      "git -C evil -c user.name=w -c user.email=w@example.com commit -q --allow-empty -m base",
      // Commands git would run for whoever reads this repository: the node after the agent exits, outside the sandbox.
      `git -C evil config core.fsmonitor "touch ${pwned}; false"`,
      `git -C evil config filter.own.clean "touch ${pwned}; cat"`,
      'echo "* filter=own" > .gitattributes',
      'rm -f .git && printf "gitdir: %s\\n" "$PWD/evil/.git" > .git',
      "echo planted",
    ].join(" && ");
    const id = await submit("--repo", repo, "--", "sh", "-c", script);
    const done = await waitDone(id);
    expect(await logs(id)).toBe("planted\n");
    expect(done.state).toBe("succeeded");
    expect(existsSync(pwned)).toBe(false);
  }, 120_000);

  it("kills everything in the sandbox at the time limit", async () => {
    const id = await submit("--timeout", "3s", "--", "sh", "-c", "sleep 300 & (sleep 300 &) ; echo up; wait");
    const done = await waitDone(id);
    expect(done).toMatchObject({ state: "failed", reason: "timeout" });
    const claimId = done.claims[0].claimId;
    const left = () =>
      readdirSync("/proc")
        .filter((n) => /^\d+$/.test(n))
        .filter((n) => {
          try {
            return readFileSync(`/proc/${n}/environ`, "latin1").split("\0").includes(`MUSTER_CLAIM_ID=${claimId}`);
          } catch {
            return false;
          }
        });
    await eventually(() => (left().length === 0 ? true : undefined), 15_000, () => `no process of claim ${claimId} left (${left().join(",")})`);
  }, 120_000);

  if (mode === "none") {
    it("refuses to start, in one line, when the sandbox asked for cannot be had", async () => {
      const other = { ...node, name: "refused", dataDir: join(dir.path, "refused-data") };
      const refused = startNode(other, { MUSTER_NODE_SANDBOX: "bwrap", PATH: "/nonexistent" });
      expect((await refused.proc.exited).code).toBe(2);
      expect(refused.proc.lines).toContain("muster-node: sandbox bwrap does not work here: bwrap is not on PATH");
      const bad = startNode(other, { MUSTER_NODE_SANDBOX: "jail" });
      expect((await bad.proc.exited).code).toBe(2);
      expect(bad.proc.lines).toContain('muster-node: MUSTER_NODE_SANDBOX must be bwrap, user or none, not "jail"');
    }, 60_000);
  }

  if (mode === "bwrap") {
    it("runs a task with network none without any network, and the same task without it with", async () => {
      const port = new URL(c.url).port;
      const probe = `node -e 'const s=require("net").connect(${port},"127.0.0.1");s.on("connect",()=>{console.log("NET on");process.exit(0)});s.on("error",(e)=>{console.log("NET "+e.code);process.exit(0)})'`;
      const cut = await submit("--network", "none", "--", "sh", "-c", probe);
      const open = await submit("--", "sh", "-c", probe);
      expect((await waitDone(cut)).state).toBe("succeeded");
      expect((await waitDone(open)).state).toBe("succeeded");
      expect(await logs(cut)).toMatch(/^NET (ECONNREFUSED|ENETUNREACH|EHOSTUNREACH)\n$/);
      expect(await logs(open)).toBe("NET on\n");
      expect((await musterJson(c, dir.path, "task", cut)).network).toBe("none");
    }, 120_000);
  } else {
    it("fails a task with network none, saying why, since it cannot cut the network", async () => {
      const id = await submit("--network", "none", "--", "true");
      const done = await waitDone(id);
      expect(done).toMatchObject({ state: "failed", reason: "spawn_failed" });
      expect(done.message).toMatch(/network none needs sandbox bwrap|cannot run a worker without network/);
    }, 120_000);
  }
});
