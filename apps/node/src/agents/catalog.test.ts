import { chmod, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { TaskSpec } from "@muster/protocol";
import { AgentsConfig } from "../config.js";
import { AgentCatalog } from "./catalog.js";
import { MAX_PROMPT_ARG_BYTES } from "./presets.js";

let bin: string;

async function tool(name: string): Promise<string> {
  const file = join(bin, name);
  await writeFile(file, `#!/bin/sh\necho "${name} 9.9.9"\n`);
  await chmod(file, 0o755);
  return file;
}

const detect = (agents: unknown = {}) => AgentCatalog.detect(AgentsConfig.parse(agents), { pathEnv: bin, versionEnv: { PATH: "/usr/bin:/bin" } });
const task = (over: Partial<TaskSpec> = {}) => TaskSpec.parse({ agent: "claude", prompt: "fix the test", timeoutMs: 1000, ...over });
const run = (t: TaskSpec) => ({ task: t, workdir: "/w", promptFile: "/w/.muster/prompt.md" });

beforeEach(async () => {
  bin = await mkdtemp(join(tmpdir(), "muster-agents-"));
});

describe("agent catalog", () => {
  it("advertises exec plus each enabled preset found on PATH, with its version", async () => {
    await tool("claude");
    await tool("pi");
    const catalog = await detect();
    expect(catalog.advertised()).toEqual([
      { name: "exec", kind: "exec", version: null, limit: null },
      { name: "claude", kind: "preset", version: "claude 9.9.9", limit: null },
      { name: "pi", kind: "preset", version: "pi 9.9.9", limit: null },
    ]);
  });

  it("leaves out presets and agents the config turns off", async () => {
    await tool("claude");
    await tool("codex");
    await tool("pi");
    const catalog = await detect({ presets: { claude: false }, disabled: ["pi", "exec"] });
    expect(catalog.advertised().map((a) => a.name)).toEqual(["codex"]);
  });

  it("builds each preset's unattended command line, with model and thinking only when set", async () => {
    const claude = await tool("claude");
    const codex = await tool("codex");
    const opencode = await tool("opencode");
    const pi = await tool("pi");
    const catalog = await detect();
    const command = (t: TaskSpec) => {
      const check = catalog.check(t);
      if (!check.ok) throw new Error(check.message);
      return check.agent.command(run(t));
    };
    expect(command(task())).toEqual([
      claude, "-p", "--output-format", "stream-json", "--verbose", "--permission-mode", "acceptEdits", "fix the test",
    ]);
    expect(command(task({ model: "opus", thinking: "high" }))).toEqual([
      claude, "-p", "--output-format", "stream-json", "--verbose", "--permission-mode", "acceptEdits",
      "--model", "opus", "--effort", "high", "fix the test",
    ]);
    expect(command(task({ agent: "codex", model: "gpt-5", thinking: "high" }))).toEqual([
      codex, "exec", "--json", "--full-auto", "--skip-git-repo-check", "--model", "gpt-5", "-c", 'model_reasoning_effort="high"', "fix the test",
    ]);
    expect(command(task({ agent: "opencode" }))).toEqual([opencode, "run", "--format", "json", "fix the test"]);
    expect(command(task({ agent: "pi", thinking: "low" }))).toEqual([pi, "-p", "--mode", "json", "--thinking", "low", "fix the test"]);
  });

  it("points a preset at the prompt file when the prompt is too long for one argument", async () => {
    await tool("claude");
    const catalog = await detect();
    const long = task({ prompt: "x".repeat(MAX_PROMPT_ARG_BYTES + 1) });
    const check = catalog.check(long);
    expect(check.ok && check.agent.command(run(long)).at(-1)).toMatch(/\.muster\/prompt\.md/);
  });

  it("renders custom templates, which may replace a preset of the same name", async () => {
    const mytool = await tool("mytool");
    await tool("claude");
    const catalog = await detect({
      custom: {
        mytool: { command: ["mytool", "--in", "{{prompt_file}}", "--cwd", "{{workdir}}", "--model", "{{model}}"] },
        claude: { command: ["mytool", "--claude", "{{prompt_file}}"] },
      },
    });
    expect(catalog.advertised()).toContainEqual({ name: "mytool", kind: "custom", version: "mytool 9.9.9", limit: null });
    expect(catalog.advertised()).toContainEqual({ name: "claude", kind: "custom", version: "mytool 9.9.9", limit: null });
    const t = task({ agent: "mytool" });
    const check = catalog.check(t);
    expect(check.ok && check.agent.command(run(t))).toEqual([mytool, "--in", "/w/.muster/prompt.md", "--cwd", "/w", "--model"]);
  });

  it("does not advertise a custom agent whose executable is missing", async () => {
    const catalog = await detect({ custom: { ghost: { command: ["ghost-tool"] } } });
    expect(catalog.advertised().map((a) => a.name)).toEqual(["exec"]);
  });

  it("says why it cannot run a task", async () => {
    const catalog = await detect();
    expect(catalog.check(task({ agent: "codex" }))).toMatchObject({ ok: false, reason: "agent_unavailable" });
    expect(catalog.check(task({ agent: "exec", argv: [] }))).toMatchObject({ ok: false, reason: "invalid_task" });
    const exec = task({ agent: "exec", argv: ["echo", "hi"], prompt: null });
    const check = catalog.check(exec);
    expect(check.ok && check.agent.command(run(exec))).toEqual(["echo", "hi"]);
  });
});
