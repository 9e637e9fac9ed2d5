import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorBody, type FakeCoordinator, startFakeCoordinator } from "../_testing/fake-coordinator.js";
import { fakeIo } from "../_testing/fake-io.js";
import { nodeView } from "../_testing/fixtures.js";
import { runCli } from "../cli.js";

let fake: FakeCoordinator;
const env = () => ({ MUSTER_URL: fake.url, MUSTER_TOKEN: "mat_t" });

beforeAll(async () => {
  fake = await startFakeCoordinator({
    "GET /v1/nodes": { body: { nodes: [nodeView()] } },
    "GET /v1/nodes/gpu-1": { body: nodeView() },
    "POST /v1/nodes/gpu-1/revoke": { body: nodeView({ state: "revoked", connected: false }) },
    "POST /v1/nodes/ghost/revoke": { status: 404, body: errorBody("not_found", "no node ghost") },
    "POST /v1/nodes/gpu-1/cordon": { body: nodeView({ state: "cordoned", cordoned: true }) },
    "POST /v1/nodes/gpu-1/uncordon": { body: nodeView() },
    "POST /v1/nodes/gpu-1/drain": { body: nodeView({ state: "draining", draining: true }) },
  });
});
afterAll(() => fake.close());

describe("muster nodes", () => {
  it("lists nodes with their ids by default, and as `ls`", async () => {
    for (const argv of [["nodes"], ["nodes", "ls"], ["nodes", "list"]]) {
      const io = fakeIo({ env: env() });
      expect(await runCli(argv, io)).toBe(0);
      expect(io.out().split("\n")[0]).toBe("ID     NAME   STATE  LABELS           RUNNING  AGENTS       HEARTBEAT  VERSION  SANDBOX");
      expect(io.out().split("\n")[1]).toMatch(/^nod_1  gpu-1  ready/);
    }
  });

  it("passes --json through to the default subcommand", async () => {
    const io = fakeIo({ env: env() });
    expect(await runCli(["nodes", "--json"], io)).toBe(0);
    expect(JSON.parse(io.out())).toEqual({ nodes: [nodeView()] });
  });

  it("shows one node's fields", async () => {
    const io = fakeIo({ env: env() });
    expect(await runCli(["nodes", "show", "gpu-1"], io)).toBe(0);
    expect(io.out()).toContain("state:      ready (connected)");
    expect(io.out()).toContain("agents:     exec, claude 1.0.3");
    expect(io.out()).toContain("platform:   linux/x64");
  });

  it("revokes by name and reports a missing node as exit 1", async () => {
    const io = fakeIo({ env: env() });
    expect(await runCli(["nodes", "revoke", "gpu-1"], io)).toBe(0);
    expect(io.out()).toBe("revoked node gpu-1 (nod_1)\n");
    const io2 = fakeIo({ env: env() });
    expect(await runCli(["nodes", "revoke", "ghost"], io2)).toBe(1);
    expect(io2.err()).toBe("muster: no node ghost [not_found]\n");
  });

  it("cordons, uncordons and drains, sending the drain's deadline in ms", async () => {
    for (const [argv, line, body] of [
      [["cordon", "gpu-1"], "cordoned node gpu-1 (cordoned)\n", {}],
      [["uncordon", "gpu-1"], "uncordoned node gpu-1 (ready)\n", {}],
      [["drain", "gpu-1"], "draining node gpu-1\n", { deadlineMs: null }],
      [["drain", "gpu-1", "--deadline", "1h"], "draining node gpu-1 (deadline 1h)\n", { deadlineMs: 3_600_000 }],
    ] as const) {
      const io = fakeIo({ env: env() });
      expect(await runCli(["nodes", ...argv], io)).toBe(0);
      expect(io.out()).toBe(line);
      expect(fake.requests.at(-1)).toMatchObject({ method: "POST", url: `/v1/nodes/gpu-1/${argv[0]}`, body });
    }
  });

  it("escapes ids and names in the path", async () => {
    const io = fakeIo({ env: env() });
    await runCli(["nodes", "show", "a/b"], io);
    expect(fake.requests.at(-1)?.url).toBe("/v1/nodes/a%2Fb");
  });
});
