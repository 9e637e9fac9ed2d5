// A drained node as its operator meets it: the daemon says how to take the node back, a started-again daemon
// says it again, waiting tasks name the drained node, and uncordon puts it back to work.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { joinNode, musterJson, startNode, tempDir, type NodeHandle } from "./harness/fleet.js";
import { api, disposeCoordinator, eventually, startCoordinator, type CoordinatorHandle } from "./harness/processes.js";

describe("a drained node", () => {
  let c: CoordinatorHandle;
  let joined: Omit<NodeHandle, "proc">;
  let node: NodeHandle | undefined;
  const dir = tempDir("muster-drain-");
  const hint = "muster-node: the coordinator drained this node; to take it back into service run: muster nodes uncordon parked";

  const nodeState = async () =>
    (await api<{ nodes: { name: string; state: string }[] }>(c, "GET", "/v1/status")).body.nodes.find((n) => n.name === "parked")?.state;

  beforeAll(async () => {
    c = await startCoordinator("pglite");
    const key = await musterJson<{ key: string }>(c, dir.path, "join-keys", "create", "--uses", "1");
    joined = await joinNode(c, dir.path, key.key, "parked", { labels: ["pool=parked"] });
  }, 120_000);

  afterAll(async () => {
    await node?.proc.stop();
    if (c) await disposeCoordinator(c);
    dir.remove();
  });

  it("says how to take it back, and waiting work names it, until it is uncordoned", async () => {
    node = startNode(joined);
    await eventually(async () => ((await nodeState()) === "ready" ? true : undefined), 30_000, "the node to be ready");
    expect((await api(c, "POST", `/v1/nodes/${joined.nodeId}/drain`, {})).status).toBe(200);
    expect((await node.proc.exited).code).toBe(0);
    expect(node.proc.lines).toContain(hint);

    const task = await api<{ id: string }>(c, "POST", "/v1/tasks", { agent: "exec", argv: ["true"], selector: "pool=parked" });
    const pending = await eventually(async () => {
      const t = (await api<{ pending: string | null }>(c, "GET", `/v1/tasks/${task.body.id}`)).body;
      return t.pending?.includes("drained") ? t.pending : undefined;
    }, 20_000, "the task to say why it waits");
    expect(pending).toBe("the matching node parked is drained or cordoned (muster nodes uncordon parked takes it back)");

    node = startNode(joined);
    expect((await node.proc.exited).code).toBe(0);
    expect(node.proc.lines).toContain(hint);

    expect((await api(c, "POST", `/v1/nodes/${joined.nodeId}/uncordon`)).status).toBe(200);
    node = startNode(joined);
    const done = await eventually(async () => {
      const t = (await api<{ state: string }>(c, "GET", `/v1/tasks/${task.body.id}`)).body;
      return t.state === "succeeded" ? t : undefined;
    }, 30_000, "the task to run on the node taken back");
    expect(done.state).toBe("succeeded");
  }, 150_000);
});
