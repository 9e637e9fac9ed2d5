import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { PermissionDecision } from "@muster/protocol";
import { describe, expect, it } from "vitest";
import { ToolApprovals } from "./decide.js";
import { approvalServer, ServerArgs } from "./server.js";

async function connected(approvals: ToolApprovals) {
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await approvalServer(approvals).connect(serverSide);
  const client = new Client({ name: "claude-like", version: "1" });
  await client.connect(clientSide);
  return client;
}

const decisionOf = (result: Awaited<ReturnType<Client["callTool"]>>) => {
  const [first] = result.content as Array<{ type: string; text: string }>;
  return PermissionDecision.parse(JSON.parse(first!.text));
};

describe("approval MCP server", () => {
  it("offers one tool, approve, that answers Claude Code's permission prompt as JSON text", async () => {
    const approvals = new ToolApprovals({
      approveTools: ["Bash"],
      timeoutMs: 60_000,
      readText: async () => null,
      ask: async () => ({ answer: "deny", answeredBy: "ana", reason: "not today" }),
    });
    const client = await connected(approvals);
    expect((await client.listTools()).tools.map((t) => t.name)).toEqual(["approve"]);
    const denied = await client.callTool({ name: "approve", arguments: { tool_name: "Bash", input: { command: "rm -rf /" }, tool_use_id: "toolu_1" } });
    expect(decisionOf(denied)).toEqual({ behavior: "deny", message: "ana denied this Bash call: not today" });
    const allowed = await client.callTool({ name: "approve", arguments: { tool_name: "Read", input: { file_path: "/a" }, tool_use_id: "toolu_2" } });
    expect(decisionOf(allowed)).toEqual({ behavior: "allow", updatedInput: { file_path: "/a" } });
    await client.close();
  });

  it("tells a client that asked for progress that a call waiting for a person is alive", async () => {
    let answer: (reply: { answer: string; answeredBy: string }) => void = () => undefined;
    const approvals = new ToolApprovals({
      approveTools: "all",
      timeoutMs: 60_000,
      readText: async () => null,
      ask: () => new Promise((resolve) => (answer = resolve)),
    });
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await approvalServer(approvals, { progressEveryMs: 10 }).connect(serverSide);
    const client = new Client({ name: "claude-like", version: "1" });
    await client.connect(clientSide);
    const beats: number[] = [];
    const call = client.callTool({ name: "approve", arguments: { tool_name: "Bash", input: { command: "ls" } } }, undefined, {
      onprogress: (p) => {
        beats.push(p.progress);
        if (beats.length === 2) answer({ answer: "allow", answeredBy: "ana" });
      },
    });
    expect(decisionOf(await call)).toEqual({ behavior: "allow", updatedInput: { command: "ls" } });
    expect(beats.slice(0, 2)).toEqual([1, 2]);
    await client.close();
  });

  it("reads its tool list and time limit from its command line, refusing a bad tool name", () => {
    expect(ServerArgs.parse({ "approve-tools": "Bash, Write", "timeout-ms": "5000" })).toEqual({ "approve-tools": ["Bash", "Write"], "timeout-ms": 5000 });
    expect(ServerArgs.parse({ "approve-tools": "all" })).toEqual({ "approve-tools": "all", "timeout-ms": 1_800_000 });
    expect(() => ServerArgs.parse({ "approve-tools": "rm -rf" })).toThrow(/approve-tools/);
  });
});
