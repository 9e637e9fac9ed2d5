#!/usr/bin/env node
// A stand-in for `claude -p --output-format stream-json` that handles permissions the way Claude Code does with
// `--permission-prompt-tool mcp__<server>__<tool>`: it starts that server from `--mcp-config` over stdio, calls
// the tool with {tool_name, input, tool_use_id} before each tool call, runs the call only on `allow` (with
// `updatedInput`) and otherwise reports the denial message as the tool's error result. The prompt is a JSON list
// of the tool calls to make: [{"tool": "Bash", "input": {"command": "..."}}, ...].
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";

const argv = process.argv.slice(2);
const flag = (name) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
const calls = JSON.parse(argv.at(-1).trim());
const session_id = "fake-session";
const print = (event) => process.stdout.write(`${JSON.stringify({ ...event, session_id })}\n`);

async function permissionTool() {
  const name = flag("--permission-prompt-tool");
  const configPath = flag("--mcp-config");
  if (!name || !configPath) return null;
  const [, server, tool] = /^mcp__(.+?)__(.+)$/.exec(name) ?? [];
  const spec = JSON.parse(readFileSync(configPath, "utf8")).mcpServers[server];
  if (!spec) throw new Error(`--permission-prompt-tool ${name}: no server ${server} in ${configPath}`);
  const transport = new StdioClientTransport({ command: spec.command, args: spec.args ?? [], env: { ...process.env, ...spec.env }, stderr: "inherit" });
  const client = new Client({ name: "fake-claude", version: "1" });
  await client.connect(transport);
  return {
    ask: async (tool_name, input, tool_use_id) => {
      const res = await client.callTool({ name: tool, arguments: { tool_name, input, tool_use_id } }, undefined, { timeout: 600_000 });
      return JSON.parse(res.content[0].text);
    },
    close: () => client.close(),
  };
}

function run(tool, input) {
  if (tool === "Bash") return execFileSync("sh", ["-c", input.command], { encoding: "utf8" });
  if (tool === "Write") {
    writeFileSync(input.file_path, input.content);
    return `File created successfully at: ${input.file_path}`;
  }
  return `${tool} done`;
}

const permissions = await permissionTool();
print({ type: "system", subtype: "init", cwd: process.cwd(), tools: ["Bash", "Write", "Glob"], permissionMode: flag("--permission-mode") });
const denials = [];
let n = 0;
for (const { tool, input } of calls) {
  const id = `toolu_${++n}`;
  print({ type: "assistant", message: { role: "assistant", content: [{ type: "tool_use", id, name: tool, input }] } });
  const decision = permissions ? await permissions.ask(tool, input, id) : { behavior: "allow", updatedInput: input };
  if (decision.behavior === "allow") {
    const output = run(tool, decision.updatedInput);
    print({ type: "user", message: { role: "user", content: [{ type: "tool_result", tool_use_id: id, content: output }] } });
  } else {
    denials.push({ tool_name: tool, tool_use_id: id, tool_input: input });
    print({ type: "user", message: { role: "user", content: [{ type: "tool_result", tool_use_id: id, content: decision.message, is_error: true }] } });
  }
}
await permissions?.close();
const result = `made ${calls.length} tool calls, ${denials.length} denied`;
print({ type: "result", subtype: "success", is_error: false, num_turns: calls.length, result, total_cost_usd: 0.01, usage: { input_tokens: 1, output_tokens: 1 }, permission_denials: denials });
