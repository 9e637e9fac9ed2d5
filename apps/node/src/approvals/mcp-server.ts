// Entry of the approval MCP server a claim's Claude Code starts (`--mcp-config`, `--permission-prompt-tool
// mcp__muster__approve`). It runs as Claude's child inside the worker's sandbox and reaches only the claim's own
// ask endpoint, named in the environment Claude passes on.
import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { LOCAL_SECRET_ENV, LOCAL_SOCKET_ENV } from "@muster/protocol";
import { createLogger } from "../log.js";
import { ToolApprovals, ToolAskError } from "./decide.js";
import { askThroughEndpoint } from "./local-client.js";
import { approvalServer, ServerArgs } from "./server.js";

async function main(): Promise<void> {
  const log = createLogger().child({ component: "approvals" });
  const { values } = parseArgs({ options: { "approve-tools": { type: "string" }, "timeout-ms": { type: "string" } } });
  const parsed = ServerArgs.safeParse(values);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(issue?.code === "custom" ? issue.message : `--${issue?.path.join(".")}: ${issue?.message}`);
  }
  const args = parsed.data;
  const path = process.env[LOCAL_SOCKET_ENV];
  const secret = process.env[LOCAL_SECRET_ENV];
  const approvals = new ToolApprovals({
    approveTools: args["approve-tools"],
    timeoutMs: args["timeout-ms"],
    readText: (file) => readFile(file, "utf8").catch(() => null),
    ask: (q) => {
      if (!path || !secret) return Promise.reject(new ToolAskError("no_endpoint", `${LOCAL_SOCKET_ENV} and ${LOCAL_SECRET_ENV} are not set`));
      return askThroughEndpoint({ path, secret }, q);
    },
  });
  await approvalServer(approvals).connect(new StdioServerTransport());
  log.info({ approveTools: args["approve-tools"], timeoutMs: args["timeout-ms"] }, "approval server ready");
}

main().catch((err: unknown) => {
  process.stderr.write(`muster approvals: ${(err as Error).message}\n`);
  process.exit(1);
});
