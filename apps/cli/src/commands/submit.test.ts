import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { errorBody, type FakeCoordinator, json, startFakeCoordinator } from "../_testing/fake-coordinator.js";
import { fakeIo } from "../_testing/fake-io.js";
import { logEntry, taskDetail, taskView } from "../_testing/fixtures.js";
import { runCli } from "../cli.js";

let fake: FakeCoordinator;
const env = () => ({ MUSTER_URL: fake.url, MUSTER_TOKEN: "mat_t" });
const lastBody = () => fake.requests.filter((r) => r.method === "POST").at(-1)?.body;

beforeAll(async () => {
  fake = await startFakeCoordinator();
});
beforeEach(() => {
  fake.on("POST /v1/tasks", (req, res) => json(res, 201, taskView({ ...(req.body as object), id: "tsk_new" })));
});
afterAll(() => fake.close());

describe("muster submit", () => {
  it("prints only the task id, so id=$(muster submit ...) works", async () => {
    const io = fakeIo({ env: env() });
    expect(await runCli(["submit", "--label", "gpu=true", "--timeout", "10m", "--", "python", "train.py", "--epochs", "3"], io)).toBe(0);
    expect(io.out()).toBe("tsk_new\n");
    expect(io.err()).toBe("");
    expect(lastBody()).toEqual({ agent: "exec", argv: ["python", "train.py", "--epochs", "3"], labels: { gpu: "true" }, timeoutMs: 600_000 });
  });

  it("keeps options after -- in the argv, even ones muster itself knows", async () => {
    const io = fakeIo({ env: env() });
    expect(await runCli(["submit", "--agent", "exec", "--", "ls", "--json", "--config", "x", "-la"], io)).toBe(0);
    expect(io.out()).toBe("tsk_new\n");
    expect(lastBody()).toEqual({ agent: "exec", argv: ["ls", "--json", "--config", "x", "-la"] });
  });

  it("takes repeated --label and --env flags", async () => {
    const io = fakeIo({ env: { ...env(), TOKEN_FOR_AGENT: "v" } });
    const argv = ["submit", "--label", "a=1", "--label", "b=2", "--env", "X=1", "--env", "TOKEN_FOR_AGENT", "--priority", "-5", "--", "true"];
    expect(await runCli(argv, io)).toBe(0);
    expect(lastBody()).toMatchObject({ labels: { a: "1", b: "2" }, env: { X: "1", TOKEN_FOR_AGENT: "v" }, priority: -5 });
  });

  it("--json prints the created TaskView", async () => {
    const io = fakeIo({ env: env() });
    expect(await runCli(["submit", "--json", "--name", "n", "--", "true"], io)).toBe(0);
    expect(JSON.parse(io.out())).toMatchObject({ id: "tsk_new", name: "n", argv: ["true"] });
  });

  it("reads a claude prompt from --prompt, a file, or stdin", async () => {
    const dir = await mkdtemp(join(tmpdir(), "muster-submit-"));
    await writeFile(join(dir, "task.md"), "from a file\n");
    const cases: [string[], string, string][] = [
      [["--prompt", "inline"], "", "inline"],
      [["--prompt-file", "task.md"], "", "from a file\n"],
      [["--prompt-file", "-"], "from stdin", "from stdin"],
    ];
    for (const [flags, stdin, prompt] of cases) {
      const io = fakeIo({ env: env(), cwd: dir, stdin });
      expect(await runCli(["submit", "--agent", "claude", "--model", "opus", ...flags], io)).toBe(0);
      expect(lastBody()).toEqual({ agent: "claude", prompt, model: "opus" });
    }
    await rm(dir, { recursive: true, force: true });
  });

  it("refuses bad usage with exit 2 and one line, sending nothing", async () => {
    const before = fake.requests.length;
    const cases: [string[], string][] = [
      [["submit"], "agent exec needs a non-empty argv"],
      [["submit", "--agent", "claude"], "agent claude needs a prompt"],
      [["submit", "--timeout", "soon", "--", "x"], '--timeout: invalid duration "soon" (use e.g. 500ms, 30s, 10m, 1h, 2d)'],
      [["submit", "--label", "=x", "--", "x"], '--label: invalid label "=x" (expected key=value)'],
      [["submit", "--agent", "claude", "--prompt", "a", "--prompt-file", "b"], "use --prompt or --prompt-file, not both"],
      [["submit", "--agent", "claude", "--prompt-file", "/nonexistent/p.md"], "--prompt-file: cannot read /nonexistent/p.md: ENOENT"],
    ];
    for (const [argv, message] of cases) {
      const io = fakeIo({ env: env() });
      expect(await runCli(argv, io)).toBe(2);
      expect(io.err()).toBe(`muster: ${message}\n`);
    }
    expect(fake.requests.length).toBe(before);
  });

  it("points at -- when the command's own options were given without it", async () => {
    const io = fakeIo({ env: env() });
    expect(await runCli(["submit", "ls", "-la"], io)).toBe(2);
    expect(io.err()).toBe("muster: unknown option '-la' (put the task's command after --, e.g. muster submit -- ls -la)\n");
  });

  it("reports the coordinator's validation error with exit 1", async () => {
    fake.on("POST /v1/tasks", { status: 400, body: errorBody("validation_failed", "selector: unknown label") });
    const io = fakeIo({ env: env() });
    expect(await runCli(["submit", "--", "x"], io)).toBe(1);
    expect(io.err()).toBe("muster: selector: unknown label [validation_failed]\n");
  });
});

describe("muster submit --max-cost", () => {
  it("warns when the agent cannot be stopped by its cost while it runs, and still submits", async () => {
    for (const [agent, warning] of [
      ["claude", "muster: warning: claude reports its cost only when it finishes: --max-cost fails the task then (reason budget) but cannot stop it sooner\n"],
      ["codex", "muster: warning: codex reports no cost: --max-cost has no effect on it (use --timeout to bound it)\n"],
      ["pi", ""],
    ] as const) {
      const io = fakeIo({ env: env() });
      expect(await runCli(["submit", "--agent", agent, "--max-cost", "2", "--prompt", "x"], io)).toBe(0);
      expect(io.out()).toBe("tsk_new\n");
      expect(io.err()).toBe(warning);
    }
  });
});

describe("muster submit --wait", () => {
  function sequence(states: ReturnType<typeof taskView>[]): void {
    let i = 0;
    fake.on("GET /v1/tasks/tsk_new", (_req, res) => json(res, 200, taskDetail(states[Math.min(i++, states.length - 1)])));
  }

  it("polls with backoff from 200 ms to 2 s and exits 0 when the task succeeds", async () => {
    const states = ["queued", "assigned", "running", "running", "running", "running", "running"] as const;
    sequence([...states.map((state) => taskView({ id: "tsk_new", state })), taskView({ id: "tsk_new", state: "succeeded", exitCode: 0 })]);
    const io = fakeIo({ env: env() });
    expect(await runCli(["submit", "--wait", "--", "true"], io)).toBe(0);
    expect(io.out()).toBe("tsk_new\n");
    expect(io.err()).toBe("tsk_new succeeded: exit code 0\n");
    expect(io.sleeps).toEqual([200, 400, 800, 1600, 2000, 2000, 2000]);
  });

  it("does not repeat the exit code the message already states", async () => {
    sequence([taskView({ id: "tsk_new", state: "failed", exitCode: 3, reason: "exit_code", message: "exited with code 3" })]);
    const io = fakeIo({ env: env() });
    expect(await runCli(["submit", "--wait", "--", "false"], io)).toBe(1);
    expect(io.err()).toBe("tsk_new failed: exit code 3\n");
  });

  it("exits 1 when the task fails, printing why on stderr", async () => {
    sequence([taskView({ id: "tsk_new", state: "failed", exitCode: null, reason: "timeout", message: "killed after 10m" })]);
    const io = fakeIo({ env: env() });
    expect(await runCli(["submit", "--wait", "--", "sleep", "1000"], io)).toBe(1);
    expect(io.err()).toBe("tsk_new failed: timeout, killed after 10m\n");
  });

  it("--json prints only the final TaskView", async () => {
    sequence([taskView({ id: "tsk_new", state: "running" }), taskView({ id: "tsk_new", state: "cancelled", reason: "cancelled" })]);
    const io = fakeIo({ env: env() });
    expect(await runCli(["submit", "--wait", "--json", "--", "true"], io)).toBe(1);
    const out = JSON.parse(io.out());
    expect(out).toMatchObject({ id: "tsk_new", state: "cancelled" });
    expect(out).not.toHaveProperty("claims");
  });

  it("says why the task waits when that appears and when it changes, on stderr", async () => {
    const queued = (pending: string | null) => taskView({ id: "tsk_new", state: "queued", pending });
    sequence([
      queued(null),
      queued("no node has label gpu=true"),
      queued("no node has label gpu=true"),
      queued("1 matching node is full"),
      taskView({ id: "tsk_new", state: "succeeded", exitCode: 0 }),
    ]);
    const io = fakeIo({ env: env() });
    expect(await runCli(["submit", "--wait", "--label", "gpu=true", "--", "true"], io)).toBe(0);
    expect(io.err()).toBe("waiting: no node has label gpu=true\nwaiting: 1 matching node is full\ntsk_new succeeded: exit code 0\n");
  });

  it("--follow streams the output, says why it waits, and exits by the outcome", async () => {
    fake.on("GET /v1/tasks/tsk_new/logs", (_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
      const event = (name: string, data: unknown, id?: string) => `event: ${name}\n${id ? `id: ${id}\n` : ""}data: ${JSON.stringify(data)}\n\n`;
      res.write(event("waiting", { taskId: "tsk_new", pending: "no node has label gpu=true" }));
      res.write(event("waiting", { taskId: "tsk_new", pending: null }));
      res.write(event("log", logEntry(1, "hello\n"), "1:1"));
      res.end(event("end", { taskId: "tsk_new", state: "failed", exitCode: 2, reason: "exit_code" }));
    });
    sequence([taskView({ id: "tsk_new", state: "failed", exitCode: 2, reason: "exit_code", message: "exited with code 2" })]);
    const io = fakeIo({ env: env() });
    expect(await runCli(["submit", "--follow", "--", "false"], io)).toBe(1);
    expect(io.out()).toBe("tsk_new\nhello\n");
    expect(io.err()).toBe("[waiting: no node has label gpu=true]\ntsk_new failed: exit code 2\n");
  });

  it("keeps waiting through a coordinator restart (502s)", async () => {
    let i = 0;
    fake.on("GET /v1/tasks/tsk_new", (_req, res) => {
      i++;
      if (i <= 2) {
        res.writeHead(502);
        res.end();
      } else json(res, 200, taskDetail(taskView({ id: "tsk_new", state: "succeeded", exitCode: 0 })));
    });
    const io = fakeIo({ env: env() });
    expect(await runCli(["submit", "--wait", "--", "true"], io)).toBe(0);
  });
});
