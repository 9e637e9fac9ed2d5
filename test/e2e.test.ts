// End to end with real processes: a coordinator, two nodes joined with a join key, exec tasks through the CLI.
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { databaseKinds } from "./harness/databases.js";
import { cliEnv, joinNode, muster, musterJson, runBin, startNode, tempDir, type NodeHandle } from "./harness/fleet.js";
import { BIN } from "./harness/paths.js";
import { disposeCoordinator, eventually, spawnProc, startCoordinator, type CoordinatorHandle } from "./harness/processes.js";

const kinds = await databaseKinds();
const TERMINAL = ["succeeded", "failed", "cancelled"];

describe.each(kinds)("a fleet on %s", (kind) => {
  let c: CoordinatorHandle;
  let dir: ReturnType<typeof tempDir>;
  const nodes: NodeHandle[] = [];

  beforeAll(async () => {
    c = await startCoordinator(kind);
    dir = tempDir("muster-e2e-");
    const key = await musterJson<{ key: string; uses: number }>(c, dir.path, "join-keys", "create", "--uses", "2", "--ttl", "10m");
    expect(key.key).toMatch(/^mjk_/);
    for (const [name, zone] of [["alpha", "a"], ["beta", "b"]] as const) {
      nodes.push(startNode(await joinNode(c, dir.path, key.key, name, { labels: [`zone=${zone}`], capacity: 2 })));
    }
    await eventually(async () => {
      const s = await musterJson(c, dir.path, "status");
      return s.nodes.filter((n: any) => n.state === "ready").length === 2 ? s : undefined;
    }, 20_000, "both nodes ready");
  });

  afterAll(async () => {
    for (const n of nodes) await n.proc.stop("SIGKILL");
    if (c) await disposeCoordinator(c);
    dir?.remove();
  });

  const waitDone = (id: string) =>
    eventually(async () => {
      const t = await musterJson(c, dir.path, "task", id);
      return TERMINAL.includes(t.state) ? t : undefined;
    }, 30_000, `task ${id} to finish`);

  it("shows both nodes with their labels, capacity and agents", async () => {
    const s = await musterJson(c, dir.path, "status");
    const byName = Object.fromEntries(s.nodes.map((n: any) => [n.name, n]));
    expect(byName.alpha).toMatchObject({ state: "ready", labels: { zone: "a" }, capacity: 2, running: 0, connected: true });
    expect(byName.beta.labels).toEqual({ zone: "b" });
    expect(byName.alpha.agents.map((a: any) => a.name)).toContain("exec");
    expect(s.tasks).toMatchObject({ queued: 0, running: 0 });
    const human = await muster(c, dir.path, "status");
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/alpha\s+ready\s+zone=a\s+0\/2/);
  });

  it("runs several exec tasks across both nodes with their output and exit codes", async () => {
    const ids: string[] = [];
    for (let i = 1; i <= 6; i++) {
      const code = i === 6 ? 3 : 0;
      const script = `echo out-${i}; echo err-${i} >&2; sleep 0.3; echo done-${i}; exit ${code}`;
      const res = await muster(c, dir.path, "submit", "--agent", "exec", "--", "sh", "-c", script);
      expect(res.code, res.stderr).toBe(0);
      ids.push(res.stdout.trim());
    }
    const done = await Promise.all(ids.map(waitDone));
    for (const [i, t] of done.entries()) {
      const n = i + 1;
      expect(t.state).toBe(n === 6 ? "failed" : "succeeded");
      expect(t.exitCode).toBe(n === 6 ? 3 : 0);
      expect(t.claims).toHaveLength(1);
      expect(t.claims[0]).toMatchObject({ token: 1, attempt: 1, state: "done" });
      expect(["alpha", "beta"]).toContain(t.claims[0].nodeName);
      const out = await muster(c, dir.path, "logs", t.id);
      expect(out.stdout).toBe(`out-${n}\ndone-${n}\n`);
      expect(out.stderr).toBe(`err-${n}\n`);
    }
    expect(done.find((t) => t.exitCode === 3)?.reason).toBe("exit_code");
    expect(new Set(done.map((t) => t.claims[0].nodeName))).toEqual(new Set(["alpha", "beta"]));
  });

  it("places a task by its label selector", async () => {
    for (const zone of ["a", "b"]) {
      const t = await musterJson(c, dir.path, "submit", "--agent", "exec", "--label", `zone=${zone}`, "--wait", "--", "true");
      expect(t.state).toBe("succeeded");
      expect(t.nodeName).toBe(zone === "a" ? "alpha" : "beta");
    }
  });

  it("waits for a task and exits by its outcome", async () => {
    const ok = await muster(c, dir.path, "submit", "--agent", "exec", "--wait", "--", "echo", "hi");
    expect(ok.code).toBe(0);
    const bad = await muster(c, dir.path, "submit", "--agent", "exec", "--wait", "--", "sh", "-c", "exit 7");
    expect(bad.code).not.toBe(0);
    const res = await muster(c, dir.path, "submit", "--agent", "exec", "--wait", "--json", "--", "/nonexistent/binary");
    expect(res.code).toBe(1);
    const missing = JSON.parse(res.stdout);
    expect(missing.state).toBe("failed");
    expect(missing.reason).toBe("spawn_failed");
  });

  it("says why a task waits, in submit --wait and in logs -f, until it is cancelled", async () => {
    const waiter = spawnProc("submit", [BIN.cli, "submit", "--wait", "--label", "nowhere=true", "--", "true"], cliEnv(c, dir.path));
    await waiter.waitFor(/^waiting: no node has label nowhere=true$/, 30_000);
    const id = waiter.lines[0]!;
    const logs = spawnProc("logs", [BIN.cli, "logs", "-f", id], cliEnv(c, dir.path));
    await logs.waitFor(/\[waiting: no node has label nowhere=true\]/, 30_000);
    await musterJson(c, dir.path, "cancel", id);
    expect((await waiter.exited).code).toBe(1);
    expect((await logs.exited).code).toBe(1);
  });

  it("keeps the node's credentials out of a worker's environment", async () => {
    const submitted = await musterJson(c, dir.path, "submit", "--agent", "exec", "--env", "GREETING=hello", "--wait", "--", "env");
    expect(submitted.state).toBe("succeeded");
    const t = await musterJson(c, dir.path, "task", submitted.id);
    const env = (await muster(c, dir.path, "logs", t.id)).stdout;
    expect(env).toContain(`MUSTER_TASK_ID=${t.id}`);
    expect(env).toContain(`MUSTER_CLAIM_ID=${t.claims[0].claimId}`);
    expect(env).toContain("MUSTER_ATTEMPT=1");
    expect(env).toContain("GREETING=hello");
    expect(env).not.toMatch(/MUSTER_NODE_CONFIG|MUSTER_TOKEN|MUSTER_URL/);
    for (const n of nodes) {
      const cfg = JSON.parse(readFileSync(n.config, "utf8"));
      expect(env).not.toContain(cfg.privateKey.d);
    }
  });

  it("follows logs live and cancels a running task", async () => {
    const id = (await muster(c, dir.path, "submit", "--agent", "exec", "--", "sh", "-c", "echo started; sleep 30")).stdout.trim();
    await eventually(async () => ((await musterJson(c, dir.path, "task", id)).state === "running" ? true : undefined));
    await eventually(async () => ((await muster(c, dir.path, "logs", id)).stdout.includes("started") ? true : undefined));
    const cancel = await musterJson(c, dir.path, "cancel", id);
    expect(cancel.state).toBe("cancelled");
    const t = await waitDone(id);
    expect(t.state).toBe("cancelled");
    expect(t.claims[0].state).toBe("revoked");
    const followed = await muster(c, dir.path, "logs", id, "-f");
    // A followed task that did not succeed exits 1 and says how it ended.
    expect(followed.code).toBe(1);
    expect(followed.stdout).toBe("started\n");
    expect(followed.stderr).toMatch(/\[task cancelled\]\n$/);
    await eventually(async () => {
      const s = await musterJson(c, dir.path, "status");
      return s.nodes.every((n: any) => n.running === 0) ? true : undefined;
    }, 15_000, "the cancelled worker's slot to free");
  });

  it("refuses a join with a used-up key, with one line and a non-zero exit", async () => {
    const key = await musterJson<{ key: string }>(c, dir.path, "join-keys", "create", "--uses", "1");
    await joinNode(c, dir.path, key.key, "gamma");
    const res = await runBin(BIN.node, ["join", c.url, "--name", "delta", "--key", key.key, "--config", `${dir.path}/delta.json`], { HOME: dir.path });
    expect(res.code).toBe(1);
    expect(res.stderr.trim().split("\n")).toHaveLength(1);
    expect(res.stderr).toMatch(/join_key_exhausted/);
  });

  it("revokes a node: its daemon is cut off and exits, and work goes elsewhere", async () => {
    const beta = nodes.find((n) => n.name === "beta")!;
    const res = await muster(c, dir.path, "nodes", "revoke", "beta");
    expect(res.code, res.stderr).toBe(0);
    const exit = await beta.proc.exited;
    expect(exit.code).not.toBe(0);
    const shown = await musterJson(c, dir.path, "nodes", "show", beta.nodeId);
    expect(shown.state).toBe("revoked");
    const t = await musterJson(c, dir.path, "submit", "--agent", "exec", "--wait", "--", "true");
    expect(t.nodeName).toBe("alpha");
  });

  it("stops a node cleanly on SIGTERM and shows it offline", async () => {
    const alpha = nodes.find((n) => n.name === "alpha")!;
    const exit = await alpha.proc.stop("SIGTERM");
    expect(exit.code).toBe(0);
    const s = await musterJson(c, dir.path, "status");
    expect(s.nodes.find((n: any) => n.name === "alpha").state).toBe("offline");
  });
});
