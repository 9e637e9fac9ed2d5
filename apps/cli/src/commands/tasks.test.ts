import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorBody, type FakeCoordinator, startFakeCoordinator } from "../_testing/fake-coordinator.js";
import { fakeIo } from "../_testing/fake-io.js";
import { attempt, taskDetail, taskView } from "../_testing/fixtures.js";
import { runCli } from "../cli.js";

let fake: FakeCoordinator;
const env = () => ({ MUSTER_URL: fake.url, MUSTER_TOKEN: "mat_t" });

const running = taskView({ id: "tsk_2", state: "running", attempts: 1, nodeId: "nod_1", nodeName: "gpu-1" });
const claude = taskView({ id: "tsk_3", agent: "claude", argv: [], prompt: "fix the\nflaky test", state: "queued" });

beforeAll(async () => {
  process.env.TZ = "UTC";
  fake = await startFakeCoordinator({
    "GET /v1/tasks": { body: { tasks: [running, claude], nextCursor: null } },
    "POST /v1/tasks/tsk_2/cancel": { body: { ...running, state: "cancelled", reason: "cancelled" } },
    "POST /v1/tasks/tsk_9/cancel": { status: 409, body: errorBody("invalid_state", "task tsk_9 already succeeded") },
  });
});
afterAll(() => fake.close());

describe("muster tasks", () => {
  it("prints a table with attempts, age and a command or prompt excerpt", async () => {
    const io = fakeIo({ env: env() });
    expect(await runCli(["tasks"], io)).toBe(0);
    expect(io.out()).toBe(
      [
        "ID     STATE    AGENT   NODE   ATTEMPTS  AGE  COMMAND",
        "tsk_2  running  exec    gpu-1  1/3       5m   make test",
        "tsk_3  queued   claude  -      0/3       5m   fix the flaky test",
        "",
      ].join("\n"),
    );
  });

  it("colours the STATE column only on a terminal without NO_COLOR", async () => {
    const tty = fakeIo({ env: env(), tty: true });
    expect(await runCli(["tasks"], tty)).toBe(0);
    expect(tty.out()).toContain("tsk_3  \u001b[33mqueued\u001b[39m   claude");
    expect(tty.out()).toContain("tsk_2  running  exec");
    for (const io of [fakeIo({ env: env() }), fakeIo({ env: { ...env(), NO_COLOR: "1" }, tty: true })]) {
      expect(await runCli(["tasks"], io)).toBe(0);
      expect(io.out()).not.toContain("\u001b");
    }
  });

  it("says what a waiting task waits on", async () => {
    fake.on("GET /v1/tasks", { body: { tasks: [{ ...claude, pending: "agent claude on no connected node" }], nextCursor: null } });
    const io = fakeIo({ env: env() });
    expect(await runCli(["tasks"], io)).toBe(0);
    expect(io.out()).toMatch(/WAITING ON\n.*agent claude on no connected node/);
    fake.on("GET /v1/tasks", { body: { tasks: [running, claude], nextCursor: null } });
  });

  it("retries a finished task", async () => {
    fake.on("POST /v1/tasks/tsk_2/retry", { body: { ...running, state: "queued" } });
    const io = fakeIo({ env: env() });
    expect(await runCli(["retry", "tsk_2"], io)).toBe(0);
    expect(io.out()).toBe("tsk_2 queued\n");
  });

  it("sends --state and --limit as query parameters", async () => {
    const io = fakeIo({ env: env() });
    expect(await runCli(["tasks", "--state", "running", "--limit", "5", "--json"], io)).toBe(0);
    expect(fake.requests.at(-1)?.url).toBe("/v1/tasks?state=running&limit=5");
    expect(JSON.parse(io.out())).toEqual({ tasks: [running, claude], nextCursor: null });
  });

  it("sends --agent, --node and --label as filters and keeps them in the next-page hint", async () => {
    fake.on("GET /v1/tasks", { body: { tasks: [running], nextCursor: "c3" } });
    const io = fakeIo({ env: env() });
    expect(await runCli(["tasks", "--agent", "claude", "--node", "gpu-1", "--label", "gpu=true", "--limit", "1"], io)).toBe(0);
    expect(fake.requests.at(-1)?.url).toBe("/v1/tasks?agent=claude&node=gpu-1&label=gpu%3Dtrue&limit=1");
    expect(io.err()).toBe("more: muster tasks --agent claude --node gpu-1 --label gpu=true --limit 1 --cursor c3\n");
  });

  it("says how to get the next page", async () => {
    fake.on("GET /v1/tasks", { body: { tasks: [running], nextCursor: "c2" } });
    const io = fakeIo({ env: env() });
    expect(await runCli(["tasks", "--limit", "1"], io)).toBe(0);
    expect(io.err()).toBe("more: muster tasks --limit 1 --cursor c2\n");
  });
});

describe("muster task", () => {
  it("says which tool calls wait for approval, and how long", async () => {
    fake.on("GET /v1/tasks/tsk_7", { body: taskDetail({ ...running, id: "tsk_7", agent: "claude", approveTools: ["Bash", "Write"], approveToolsTimeoutMs: 600_000 }) });
    const io = fakeIo({ env: env() });
    expect(await runCli(["task", "tsk_7"], io)).toBe(0);
    expect(io.out()).toMatch(/approve tools: +Bash, Write, denied if unanswered in 10m\n/);
  });

  it("prints the task's fields and an attempts table", async () => {
    const detail = taskDetail({
      ...running,
      state: "failed",
      attempts: 2,
      exitCode: 3,
      reason: "exit_code",
      claims: [
        attempt({ state: "expired", exitCode: null, reason: "lost", finishedAt: null }),
        attempt({ claimId: "clm_2", attempt: 2, token: 2, nodeId: "nod_2", nodeName: "cpu-1", exitCode: 3, reason: "exit_code" }),
      ],
    });
    fake.on("GET /v1/tasks/tsk_2", { body: detail });
    const io = fakeIo({ env: env() });
    expect(await runCli(["task", "tsk_2"], io)).toBe(0);
    const out = io.out();
    expect(out).toContain("state:       failed: exit code 3\n");
    const said = taskDetail({ ...detail, id: "tsk_3", message: "exited with code 3: Invalid API key · Please run /login" });
    fake.on("GET /v1/tasks/tsk_3", { body: said });
    const io3 = fakeIo({ env: env() });
    expect(await runCli(["task", "tsk_3"], io3)).toBe(0);
    expect(io3.out()).toContain("state:       failed: exit code 3, Invalid API key · Please run /login\n");
    expect(out).toContain("command:     make test\n");
    expect(out).toContain("timeout:     1h\n");
    expect(out).toContain("attempts:    2 of 3\n");
    expect(out).toContain(
      [
        "ATTEMPTS",
        "#  CLAIM  NODE           TOKEN  STATE    OFFERED   STARTED   FINISHED  EXIT  REASON",
        "1  clm_1  gpu-1 (nod_1)      1  expired  11:56:40  11:56:41  -         -     lost",
        "2  clm_2  cpu-1 (nod_2)      2  done     11:56:40  11:56:41  11:58:20  3     exit_code",
      ].join("\n"),
    );
  });

  it("--json prints the TaskDetail body", async () => {
    const io = fakeIo({ env: env() });
    expect(await runCli(["task", "tsk_2", "--json"], io)).toBe(0);
    expect(JSON.parse(io.out()).claims).toHaveLength(2);
  });
});

describe("muster cancel", () => {
  it("prints the task's new state", async () => {
    const io = fakeIo({ env: env() });
    expect(await runCli(["cancel", "tsk_2"], io)).toBe(0);
    expect(io.out()).toBe("tsk_2 cancelled\n");
  });

  it("exits 1 with the server's reason when the task already ended", async () => {
    const io = fakeIo({ env: env() });
    expect(await runCli(["cancel", "tsk_9"], io)).toBe(1);
    expect(io.err()).toBe("muster: task tsk_9 already succeeded [invalid_state]\n");
  });
});
