// Tool-by-tool approvals through the whole fleet: a fake `claude` that uses its permission prompt tool as Claude
// Code does starts the node's approval MCP server; each listed tool call becomes an ask with the tool, its input
// and a diff, answered with `muster answer` (allow, deny with a reason, allow-for-task), and a call nobody
// answers is denied when its time is up.
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { databaseKinds } from "./harness/databases.js";
import { cliEnv, joinNode, muster, musterJson, runBin, startNode, tempDir, type NodeHandle } from "./harness/fleet.js";
import { BIN, ROOT } from "./harness/paths.js";
import { api, disposeCoordinator, eventually, startCoordinator, type CoordinatorHandle } from "./harness/processes.js";

const kinds = await databaseKinds();

/** The `claude` put first on the node's PATH: test/approvals/fake-claude.mjs, outside /tmp so a sandboxed worker sees it. */
const FAKE_CLAUDE_BIN = join(ROOT, "test/approvals/bin");

interface Ask {
  id: string;
  taskId: string;
  state: string;
  question: string;
  options: string[];
  tool: { name: string; input: Record<string, unknown>; diff: string | null } | null;
  reason: string | null;
  expiresAt: string | null;
}

interface ToolResult {
  callId: string;
  ok: boolean;
  output: string;
}

describe.each(kinds)("tool approvals on %s", (kind) => {
  let c: CoordinatorHandle;
  let dir: ReturnType<typeof tempDir>;
  let node: NodeHandle;

  beforeAll(async () => {
    c = await startCoordinator(kind);
    dir = tempDir("muster-approvals-");
    const key = await musterJson<{ key: string }>(c, dir.path, "join-keys", "create");
    node = startNode(await joinNode(c, dir.path, key.key, "worker"), { PATH: `${FAKE_CLAUDE_BIN}:${process.env.PATH}` });
    await eventually(async () => {
      const s = await musterJson(c, dir.path, "status");
      const n = s.nodes.find((x: any) => x.name === "worker");
      return n?.state === "ready" && n.agents.some((a: any) => a.name === "claude") ? true : undefined;
    }, 20_000, "the node to offer claude");
  });

  afterAll(async () => {
    await node?.proc.stop("SIGKILL");
    if (c) await disposeCoordinator(c);
    dir?.remove();
  });

  const submitClaude = async (calls: unknown[], ...flags: string[]) => {
    const res = await muster(c, dir.path, "submit", "--agent", "claude", ...flags, "--prompt", JSON.stringify(calls));
    expect(res.code, res.stderr).toBe(0);
    return res.stdout.trim();
  };
  // Generous: on a busy machine the worker, its claude and the approval server take a while to start.
  const nextAsk = async (): Promise<Ask> => {
    const res = await runBin(BIN.cli, ["asks", "wait", "--timeout", "75s", "--json"], cliEnv(c, dir.path), 90_000);
    expect(res.code, res.stderr).toBe(0);
    return JSON.parse(res.stdout) as Ask;
  };
  const finished = (id: string) =>
    eventually(async () => {
      const t = (await api<{ state: string }>(c, "GET", `/v1/tasks/${id}`)).body;
      return ["succeeded", "failed", "cancelled"].includes(t.state) ? t : undefined;
    }, 60_000, `task ${id} to finish`, 250);
  const asksOf = async (id: string) => (await api<{ asks: Ask[] }>(c, "GET", `/v1/asks?taskId=${id}`)).body.asks;
  const toolResults = async (id: string): Promise<Map<string, ToolResult>> => {
    const logs = await muster(c, dir.path, "logs", id, "--json");
    const records = logs.stdout.trim().split("\n").map((l) => JSON.parse(l).record);
    return new Map(records.filter((r) => r.kind === "tool_result").map((r) => [r.callId, r as ToolResult]));
  };

  it("asks before each listed tool call with its input and diff, and does what the answers say", async () => {
    const id = await submitClaude(
      [
        { tool: "Bash", input: { command: "echo first-run" } },
        { tool: "Bash", input: { command: "echo second-run" } },
        { tool: "Bash", input: { command: "echo third-run" } },
        { tool: "Write", input: { file_path: "notes.txt", content: "hello\n" } },
        { tool: "Glob", input: { pattern: "*.txt" } },
      ],
      "--approve-tools",
      "Bash,Write",
    );
    const view = await api<{ approveTools: unknown }>(c, "GET", `/v1/tasks/${id}`);
    expect(view.body.approveTools).toEqual(["Bash", "Write"]);

    const first = await nextAsk();
    expect(first).toMatchObject({
      taskId: id,
      state: "pending",
      question: "Allow Bash: echo first-run",
      options: ["allow", "deny", "allow-for-task"],
      tool: { name: "Bash", input: { command: "echo first-run" }, diff: null },
    });
    expect(Date.parse(first.expiresAt!)).toBeGreaterThan(Date.now() + 25 * 60_000);
    expect((await api<{ waiting: boolean }>(c, "GET", `/v1/tasks/${id}`)).body.waiting).toBe(true);
    expect((await muster(c, dir.path, "answer", first.id, "allow")).code).toBe(0);

    const second = await nextAsk();
    expect(second.tool).toMatchObject({ name: "Bash", input: { command: "echo second-run" } });
    expect((await muster(c, dir.path, "answer", second.id, "allow-for-task")).code).toBe(0);

    // The third Bash call is not asked about: the next ask is the Write, with the change it would make.
    const write = await nextAsk();
    expect(write.tool).toMatchObject({ name: "Write", input: { file_path: "notes.txt", content: "hello\n" } });
    expect(write.tool?.diff).toContain("+hello");
    const shown = await muster(c, dir.path, "asks", "wait", "--timeout", "5s");
    expect(shown.stdout).toMatch(/tool:\s+Write\n/);
    expect(shown.stdout).toMatch(/input:\s+notes\.txt\n/);
    expect(shown.stdout).toContain("+++ notes.txt");
    expect(shown.stdout).toContain(`muster answer ${write.id} allow|deny|allow-for-task [--reason TEXT]`);
    const denied = await muster(c, dir.path, "answer", write.id, "deny", "--reason", "no");
    expect(denied.code, denied.stderr).toBe(0);
    expect(denied.stdout).toBe(`answered ${write.id}: deny (no)\n`);

    expect((await finished(id)).state).toBe("succeeded");
    const results = await toolResults(id);
    expect(results.get("toolu_1")).toMatchObject({ ok: true, output: "first-run\n" });
    expect(results.get("toolu_2")).toMatchObject({ ok: true, output: "second-run\n" });
    expect(results.get("toolu_3")).toMatchObject({ ok: true, output: "third-run\n" });
    expect(results.get("toolu_4")?.ok).toBe(false);
    expect(results.get("toolu_4")?.output).toMatch(/denied this Write call: no$/);
    // Glob is not in the list: it ran without an ask.
    expect(results.get("toolu_5")).toMatchObject({ ok: true, output: "Glob done" });

    const asks = await asksOf(id);
    expect(asks.map((a) => [a.tool?.name, a.state]).reverse()).toEqual([
      ["Bash", "answered"],
      ["Bash", "answered"],
      ["Write", "answered"],
    ]);
    expect(asks[0]?.reason).toBe("no");
  }, 240_000);

  it("denies a call nobody answers in time; the ask expires and takes no late answer", async () => {
    const id = await submitClaude([{ tool: "Bash", input: { command: "echo never" } }], "--approve-tools", "all", "--approve-tools-timeout", "2s");
    const ask = await nextAsk();
    expect(ask.tool?.name).toBe("Bash");
    expect((await finished(id)).state).toBe("succeeded");
    const result = (await toolResults(id)).get("toolu_1");
    expect(result?.ok).toBe(false);
    expect(result?.output).toBe("Nobody answered the approval for this Bash call within 2 s, so it is denied.");
    expect((await asksOf(id)).map((a) => a.state)).toEqual(["expired"]);
    const late = await muster(c, dir.path, "answer", ask.id, "allow");
    expect(late.code).toBe(1);
    expect(late.stderr).toMatch(/expired at .* without an answer/);
  }, 180_000);

  it("refuses approveTools for an agent other than claude with a clear error", async () => {
    const res = await api<{ error: { code: string; message: string } }>(c, "POST", "/v1/tasks", { agent: "codex", prompt: "x", approveTools: ["Bash"] });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("validation_failed");
    expect(res.body.error.message).toMatch(/approveTools works only with agent claude, not codex/);
    const cli = await muster(c, dir.path, "submit", "--approve-tools", "all", "--", "echo", "hi");
    expect(cli.code).toBe(2);
    expect(cli.stderr).toMatch(/approveTools works only with agent claude, not exec/);
    const { tasks } = await musterJson<{ tasks: unknown[] }>(c, dir.path, "tasks");
    expect(tasks).toHaveLength(2);
  });
});
