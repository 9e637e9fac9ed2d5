import { Command } from "commander";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorBody, type FakeCoordinator, startFakeCoordinator } from "../_testing/fake-coordinator.js";
import { fakeIo } from "../_testing/fake-io.js";
import { askView, nodeView, taskView } from "../_testing/fixtures.js";
import { buildProgram, runCli } from "../cli.js";
import { argumentKind, COMPLETE_TIMEOUT_MS, optionKind, RECENT_TASKS } from "./_complete.js";

let fake: FakeCoordinator;
const env = () => ({ MUSTER_URL: fake.url, MUSTER_TOKEN: "mat_t" });

const nodes = [
  nodeView(),
  nodeView({ id: "nod_2", name: "gpu-2", agents: [{ ...nodeView().agents[1]!, name: "codex" }, nodeView().agents[0]!] }),
  nodeView({ id: "nod_3", name: "cpu-1", agents: [] }),
];

beforeAll(async () => {
  fake = await startFakeCoordinator({
    "GET /v1/nodes": { body: { nodes } },
    "GET /v1/tasks": { body: { tasks: [taskView({ id: "tsk_b" }), taskView({ id: "tsk_a" })], nextCursor: "tsk_a" } },
    "GET /v1/asks": { body: { asks: [askView({ id: "ask_1" }), askView({ id: "ask_2" })] } },
  });
});
afterAll(() => fake.close());

async function complete(args: string[], over: Record<string, string> = env()): Promise<{ code: number; out: string; err: string }> {
  const io = fakeIo({ env: over });
  const code = await runCli(["__complete", ...args], io);
  return { code, out: io.out(), err: io.err() };
}

describe("muster __complete", () => {
  it("prints node names and ids, one per line", async () => {
    expect(await complete(["nodes"])).toEqual({ code: 0, out: "gpu-1\nnod_1\ngpu-2\nnod_2\ncpu-1\nnod_3\n", err: "" });
  });

  it("keeps only the values starting with the prefix", async () => {
    expect((await complete(["nodes", "gpu"])).out).toBe("gpu-1\ngpu-2\n");
    expect((await complete(["nodes", "nod_2"])).out).toBe("nod_2\n");
    expect(await complete(["nodes", "zzz"])).toEqual({ code: 0, out: "", err: "" });
  });

  it("offers the newest tasks, asking for no more than the recent ones", async () => {
    const before = fake.requests.length;
    expect((await complete(["tasks", "tsk_"])).out).toBe("tsk_b\ntsk_a\n");
    const asked = fake.requests.slice(before).find((r) => r.url.startsWith("/v1/tasks"));
    expect(asked?.url).toBe(`/v1/tasks?limit=${RECENT_TASKS}`);
  });

  it("offers pending asks", async () => {
    const before = fake.requests.length;
    expect((await complete(["asks"])).out).toBe("ask_1\nask_2\n");
    expect(fake.requests.slice(before).map((r) => r.url)).toEqual(["/v1/asks?state=pending&limit=500"]);
  });

  it("offers each agent the nodes offer once", async () => {
    expect((await complete(["agents"])).out).toBe("exec\nclaude\ncodex\n");
    expect((await complete(["agents", "c"])).out).toBe("claude\ncodex\n");
  });

  it("says nothing and exits 0 when nobody is signed in", async () => {
    expect(await complete(["nodes"], {})).toEqual({ code: 0, out: "", err: "" });
  });

  it("says nothing and exits 0 when the token is refused", async () => {
    const refusing = await startFakeCoordinator({ "GET /v1/nodes": { status: 401, body: errorBody("unauthorized", "invalid or revoked token") } });
    try {
      expect(await complete(["nodes"], { MUSTER_URL: refusing.url, MUSTER_TOKEN: "mat_bad" })).toEqual({ code: 0, out: "", err: "" });
      expect(refusing.requests).toHaveLength(1);
    } finally {
      await refusing.close();
    }
  });

  it("says nothing and exits 0 when the coordinator is down or answers garbage", async () => {
    const gone = await startFakeCoordinator();
    const url = gone.url;
    await gone.close();
    expect(await complete(["tasks"], { MUSTER_URL: url, MUSTER_TOKEN: "mat_t" })).toEqual({ code: 0, out: "", err: "" });
    const odd = await startFakeCoordinator({ "GET /v1/nodes": { body: { nodes: "?" } } });
    try {
      expect(await complete(["agents"], { MUSTER_URL: odd.url, MUSTER_TOKEN: "mat_t" })).toEqual({ code: 0, out: "", err: "" });
    } finally {
      await odd.close();
    }
  });

  it("gives up silently after its time limit when the coordinator does not answer", async () => {
    const silent = await startFakeCoordinator({ "GET /v1/nodes": () => undefined });
    try {
      const started = Date.now();
      expect(await complete(["nodes"], { MUSTER_URL: silent.url, MUSTER_TOKEN: "mat_t" })).toEqual({ code: 0, out: "", err: "" });
      expect(Date.now() - started).toBeGreaterThanOrEqual(COMPLETE_TIMEOUT_MS - 50);
      expect(Date.now() - started).toBeLessThan(COMPLETE_TIMEOUT_MS + 10_000);
    } finally {
      await silent.close();
    }
  });

  it("is a usage error for an unknown kind, and is not listed in the help", async () => {
    const r = await complete(["planets"]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^muster: command-argument value 'planets' is invalid for argument 'kind'\. Allowed choices are nodes, tasks, asks, agents\./);
    const io = fakeIo();
    expect(await runCli(["--help"], io)).toBe(0);
    expect(io.out()).not.toContain("__complete");
  });
});

describe("what the command tree completes from the coordinator", () => {
  it("finds every node, task and ask argument and the --node, --agent and --task values", async () => {
    const program = await buildProgram({ io: fakeIo(), exitCode: 0 });
    const found: string[] = [];
    const walk = (cmd: Command, path: string[]) => {
      cmd.registeredArguments.forEach((arg, i) => {
        const kind = argumentKind(arg);
        if (kind) found.push(`${[...path, cmd.name()].slice(1).join(" ")} #${i} ${kind}`);
      });
      for (const opt of cmd.options) {
        const kind = optionKind(opt);
        if (kind) found.push(`${[...path, cmd.name()].slice(1).join(" ")} ${opt.long} ${kind}`);
      }
      for (const sub of cmd.commands) walk(sub, [...path, cmd.name()]);
    };
    walk(program, []);
    expect(found.sort()).toEqual(
      [
        "nodes show #0 nodes",
        "nodes revoke #0 nodes",
        "nodes cordon #0 nodes",
        "nodes uncordon #0 nodes",
        "nodes drain #0 nodes",
        "tasks --agent agents",
        "tasks --node nodes",
        "task #0 tasks",
        "cancel #0 tasks",
        "retry #0 tasks",
        "logs #0 tasks",
        "tell #0 tasks",
        "answer #0 asks",
        "asks ls --task tasks",
        "submit --agent agents",
        "pulse configure --agent agents",
      ].sort(),
    );
    expect(optionKind(new Command().createOption("--node", "a switch"))).toBeUndefined();
  });
});
