import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeCoordinator, startFakeCoordinator } from "../_testing/fake-coordinator.js";
import { fakeIo } from "../_testing/fake-io.js";
import { nodeView, status } from "../_testing/fixtures.js";
import { runCli } from "../cli.js";

let fake: FakeCoordinator;
const env = () => ({ MUSTER_URL: fake.url, MUSTER_TOKEN: "mat_t" });

beforeAll(async () => {
  fake = await startFakeCoordinator({ "GET /v1/status": { body: status() }, "GET /v1/nodes": { body: { nodes: [nodeView()] } } });
});
afterAll(() => fake.close());

describe("muster status", () => {
  it("prints the coordinator, an aligned node table and the task counts", async () => {
    const io = fakeIo({ env: env() });
    expect(await runCli(["status"], io)).toBe(0);
    expect(io.out()).toBe(
      [
        `coordinator ${fake.url}  version 0.1.0  pglite  up 3h`,
        "",
        "NAME   STATE  LABELS           RUNNING  AGENTS       HEARTBEAT  VERSION",
        "gpu-1  ready  gpu=true,zone=a  1/4      exec,claude  2s ago     0.1.0",
        "cpu-1  lost   -                0/2      -            -          -",
        "",
        "tasks: 3 queued, 0 assigned, 1 running, 10 succeeded, 2 failed, 0 cancelled",
        "",
      ].join("\n"),
    );
  });

  it("--json prints the Status body exactly", async () => {
    const io = fakeIo({ env: env() });
    expect(await runCli(["status", "--json"], io)).toBe(0);
    expect(JSON.parse(io.out())).toEqual(status());
    expect(fake.requests.at(-1)?.headers.authorization).toBe("Bearer mat_t");
  });

  it("says how to add a node when there are none", async () => {
    fake.on("GET /v1/status", { body: status({ nodes: [] }) });
    const io = fakeIo({ env: env() });
    expect(await runCli(["status"], io)).toBe(0);
    expect(io.out()).toContain("no nodes yet: make a join key with `muster join-keys create`");
  });
});
