import { mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { writeApprovalMcpConfig } from "./mcp-config.js";

describe("the claim's MCP config", () => {
  it("starts the approval server with the node's Node.js and the task's tools, readable by the node's user only", async () => {
    const workdir = mkdtempSync(join(tmpdir(), "muster-mcp-"));
    const path = await writeApprovalMcpConfig(workdir, { approveTools: ["Bash", "Write"], timeoutMs: 90_000, serverScript: "/opt/muster/mcp-server.js" });
    expect(path).toBe(join(workdir, ".muster", "mcp.json"));
    expect(JSON.parse(readFileSync(path, "utf8"))).toEqual({
      mcpServers: {
        muster: { type: "stdio", command: process.execPath, args: ["/opt/muster/mcp-server.js", "--approve-tools", "Bash,Write", "--timeout-ms", "90000"] },
      },
    });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readFileSync(path, "utf8")).not.toMatch(/SECRET|SOCKET/);
  });
});
