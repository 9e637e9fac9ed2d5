import { chmod, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TaskSpec } from "@muster/protocol";
import { describe, expect, it } from "vitest";
import { AgentsConfig } from "../config.js";
import { AgentCatalog } from "./catalog.js";
import { PRESETS } from "./presets.js";

const base = { prompt: "fix it", model: null, thinking: null };

describe("claude preset and tool approvals", () => {
  it("lets claude edit without prompts when the task has no tool approvals", () => {
    const args = PRESETS.claude.args(base);
    expect(args).toContain("acceptEdits");
    expect(args).not.toContain("--mcp-config");
    expect(args).not.toContain("--permission-prompt-tool");
  });

  it("sends every permission prompt to the approval server's tool when the claim has an MCP config", () => {
    const args = PRESETS.claude.args({ ...base, mcpConfig: "/w/.muster/mcp.json" });
    expect(args).toEqual([
      "-p", "--output-format", "stream-json", "--verbose",
      "--permission-mode", "default", "--mcp-config", "/w/.muster/mcp.json", "--permission-prompt-tool", "mcp__muster__approve",
      "fix it",
    ]);
  });
});

describe("agent catalog with tool approvals", () => {
  async function catalogWith(agents: unknown) {
    const bin = await mkdtemp(join(tmpdir(), "muster-presets-"));
    for (const name of ["claude", "my-claude"]) {
      await writeFile(join(bin, name), "#!/bin/sh\n");
      await chmod(join(bin, name), 0o755);
    }
    return AgentCatalog.detect(AgentsConfig.parse(agents), { pathEnv: bin, versions: false, approvalTimeoutMs: 120_000 });
  }

  it("writes the claim's MCP config before claude starts and points claude at it", async () => {
    const catalog = await catalogWith({});
    const workdir = await mkdtemp(join(tmpdir(), "muster-claim-"));
    const task = TaskSpec.parse({ agent: "claude", prompt: "fix it", timeoutMs: 1000, approveTools: ["Bash"] });
    const check = catalog.check(task);
    if (!check.ok) throw new Error(check.message);
    const run = { task, workdir, promptFile: join(workdir, ".muster", "prompt.md") };
    await check.agent.prepare?.(run);
    const config = JSON.parse(await readFile(join(workdir, ".muster", "mcp.json"), "utf8"));
    expect(config.mcpServers.muster.args.slice(1)).toEqual(["--approve-tools", "Bash", "--timeout-ms", "120000"]);
    expect(check.agent.command(run)).toContain(join(workdir, ".muster", "mcp.json"));
  });

  it("takes the task's own time limit over the node's", async () => {
    const catalog = await catalogWith({});
    const workdir = await mkdtemp(join(tmpdir(), "muster-claim-"));
    const task = TaskSpec.parse({ agent: "claude", prompt: "x", timeoutMs: 1000, approveTools: "all", approveToolsTimeoutMs: 5000 });
    const check = catalog.check(task);
    if (!check.ok) throw new Error(check.message);
    await check.agent.prepare?.({ task, workdir, promptFile: join(workdir, "p") });
    const config = JSON.parse(await readFile(join(workdir, ".muster", "mcp.json"), "utf8"));
    expect(config.mcpServers.muster.args.slice(1)).toEqual(["--approve-tools", "all", "--timeout-ms", "5000"]);
  });

  it("refuses a task with approveTools for an agent that is not the claude preset", async () => {
    const catalog = await catalogWith({ custom: { claude: { command: ["my-claude", "{{prompt_file}}"] } } });
    const task = TaskSpec.parse({ agent: "claude", prompt: "x", timeoutMs: 1000, approveTools: "all" });
    expect(catalog.check(task)).toMatchObject({ ok: false, reason: "invalid_task", message: expect.stringContaining("approveTools") });
  });
});
