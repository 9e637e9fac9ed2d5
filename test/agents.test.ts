// Real agent work through the whole fleet: a fake `claude` (playing back a recorded transcript) runs in a git
// worktree of a local repository, its parsed records and cost reach the task, and a worker's `muster ask` is
// answered with `muster answer`.
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { databaseKinds } from "./harness/databases.js";
import { joinNode, muster, musterJson, startNode, tempDir, type NodeHandle } from "./harness/fleet.js";
import { ROOT } from "./harness/paths.js";
import { disposeCoordinator, eventually, startCoordinator, type CoordinatorHandle } from "./harness/processes.js";

const kinds = await databaseKinds();

function makeRepo(dir: string): string {
  const repo = join(dir, "acme-cli");
  mkdirSync(repo);
  const git = (...args: string[]) => execFileSync("git", args, { cwd: repo, env: { ...process.env, GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@t", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@t" } });
  git("init", "-q", "-b", "main");
  writeFileSync(join(repo, "version.ts"), 'export const VERSION = "1.3.9";\n');
  git("add", ".");
  git("commit", "-q", "-m", "first");
  return repo;
}

/** A `claude` on the node's PATH (test/agents/bin): edits the version like the recorded session did, then plays the transcript back. */
const FAKE_CLAUDE_BIN = join(ROOT, "test/agents/bin");

describe.each(kinds)("agent work on %s", (kind) => {
  let c: CoordinatorHandle;
  let dir: ReturnType<typeof tempDir>;
  let node: NodeHandle;
  let repo: string;

  beforeAll(async () => {
    c = await startCoordinator(kind);
    dir = tempDir("muster-agents-");
    repo = makeRepo(dir.path);
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

  it("runs claude in its own worktree, with parsed records, cost, verify and the workspace on the task", async () => {
    const submitted = await muster(
      c,
      dir.path,
      "submit",
      "--agent",
      "claude",
      "--repo",
      repo,
      "--verify",
      "grep -q 1.4.0 version.ts",
      "--prompt",
      "The version test is failing. Fix the bug.",
      "--wait",
      "--json",
    );
    expect(submitted.code, submitted.stderr + submitted.stdout).toBe(0);
    const id = JSON.parse(submitted.stdout).id;
    const task = await musterJson(c, dir.path, "task", id);
    expect(task.state).toBe("succeeded");
    expect(task.costUsd).toBeCloseTo(0.0617606, 6);
    expect(task.tokens).toEqual({ input: 635, output: 608 });
    expect(task.workspace).toMatchObject({ branch: `muster/${id}`, filesChanged: 1, insertions: 1, deletions: 1, dirty: true });
    expect(task.verifyResult).toMatchObject({ command: "grep -q 1.4.0 version.ts", passed: true, exitCode: 0 });
    const logs = await muster(c, dir.path, "logs", id, "--json");
    const kinds = new Set(logs.stdout.trim().split("\n").map((l) => JSON.parse(l).record.kind));
    for (const k of ["started", "log", "message", "tool_call", "tool_result", "cost", "summary"]) expect(kinds).toContain(k);
    // For a person: the agent's words and its tool calls, not its stream JSON (which --raw keeps).
    const read = await muster(c, dir.path, "logs", id);
    expect(read.stdout).not.toMatch(/^\{"type"/m);
    expect(read.stderr).toMatch(/^→ \w+/m);
    expect((await muster(c, dir.path, "logs", id, "--raw")).stdout).toMatch(/^\{"type"/m);
    const human = await muster(c, dir.path, "task", id);
    expect(human.stdout).toMatch(/workspace:\s+muster\/\S+ \w{8}\.\.\w{8}: 1 files, \+1 -1, uncommitted changes/);
    expect(human.stdout).toMatch(/cost:\s+\$0\.06/);
  });

  it("hands a worker's question to a person and the answer back to the worker", async () => {
    const id = (
      await muster(c, dir.path, "submit", "--", "sh", "-c", 'a=$(muster ask "ship it?" --options yes,no --gate deploy) && echo "got $a"')
    ).stdout.trim();
    const asked = await muster(c, dir.path, "asks", "wait", "--timeout", "30s", "--json");
    expect(asked.code, asked.stderr).toBe(0);
    const ask = JSON.parse(asked.stdout);
    expect(ask).toMatchObject({ taskId: id, question: "ship it?", options: ["yes", "no"], gate: "deploy", state: "pending" });
    expect((await musterJson(c, dir.path, "task", id)).waiting).toBe(true);
    const refused = await muster(c, dir.path, "answer", ask.id, "maybe");
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/one of: yes, no/);
    expect((await muster(c, dir.path, "answer", ask.id, "yes")).code).toBe(0);
    const done = await eventually(async () => {
      const t = await musterJson(c, dir.path, "task", id);
      return t.state === "succeeded" ? t : undefined;
    }, 30_000, "the asking task to finish");
    expect(done.waiting).toBe(false);
    expect((await muster(c, dir.path, "logs", id)).stdout).toBe("got yes\n");
  });
  it("asks for approval before a task counts as done, and fails it when the answer is no", async () => {
    const id = (await muster(c, dir.path, "submit", "--approve-before", "done", "--", "sh", "-c", "echo built")).stdout.trim();
    const asked = await muster(c, dir.path, "asks", "wait", "--timeout", "30s", "--json");
    const ask = JSON.parse(asked.stdout);
    expect(ask).toMatchObject({ taskId: id, gate: "done", options: ["yes", "no"] });
    expect((await muster(c, dir.path, "answer", ask.id, "no")).code).toBe(0);
    const done = await eventually(async () => {
      const t = await musterJson(c, dir.path, "task", id);
      return t.state === "failed" ? t : undefined;
    }, 30_000, "the gated task to fail");
    expect(done.reason).toBe("not_approved");
    expect(done.message).toMatch(/not approved by .*: no/);
  });
});
