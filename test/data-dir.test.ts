// A data directory belongs to one process: a second coordinator or node daemon on it is refused with one line that
// names the holder, and the holder keeps running untouched.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { joinNode, musterJson, runBin, startNode, tempDir, type NodeHandle } from "./harness/fleet.js";
import { BIN } from "./harness/paths.js";
import { api, disposeCoordinator, eventually, startCoordinator, type CoordinatorHandle } from "./harness/processes.js";

describe("one process per data directory", () => {
  let c: CoordinatorHandle;
  let node: NodeHandle;
  const dir = tempDir("muster-datadir-");

  beforeAll(async () => {
    c = await startCoordinator("pglite");
    const key = await musterJson<{ key: string }>(c, dir.path, "join-keys", "create", "--uses", "1");
    node = startNode(await joinNode(c, dir.path, key.key, "solo"));
    await eventually(async () => {
      const s = (await api<{ nodes: { name: string; state: string }[] }>(c, "GET", "/v1/status")).body;
      return s.nodes.some((n) => n.name === "solo" && n.state === "ready") ? true : undefined;
    }, 30_000, "the node to be ready");
  }, 120_000);

  afterAll(async () => {
    await node?.proc.stop();
    if (c) await disposeCoordinator(c);
    dir.remove();
  });

  it("refuses a second coordinator on the same data directory", async () => {
    const res = await runBin(BIN.coordinator, ["start", "--port", "0", "--data-dir", c.dataDir]);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(`the data directory ${c.dataDir} is in use by another process (pid ${c.proc.child.pid})`);
    expect((await api(c, "GET", "/v1/status")).status).toBe(200);
  }, 60_000);

  it("refuses a second node daemon on the same data directory", async () => {
    const res = await runBin(BIN.node, ["start", "--config", node.config], { MUSTER_NODE_DATA_DIR: node.dataDir });
    expect(res.code).toBe(1);
    expect(res.stderr.trim()).toBe(`muster-node: the data directory ${node.dataDir} is in use by another process (pid ${node.proc.child.pid}); stop it first or use another data directory`);
    expect(node.proc.child.exitCode).toBeNull();
  }, 60_000);
});
