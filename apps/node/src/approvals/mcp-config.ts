// The per-claim `--mcp-config` file: Claude Code starts the approval server from it with the node's own Node.js.
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { APPROVAL_MCP_SERVER, type ApproveTools } from "@muster/protocol";

/** The built server next to this module (dist/approvals/mcp-server.js). */
export const APPROVAL_SERVER_SCRIPT = fileURLToPath(new URL("./mcp-server.js", import.meta.url));

/** Inside the claim's (git-excluded) .muster dir, beside the prompt. */
export const mcpConfigPath = (workdir: string): string => join(workdir, ".muster", "mcp.json");

export interface ApprovalConfigOptions {
  approveTools: ApproveTools;
  timeoutMs: number;
  nodePath?: string;
  serverScript?: string;
}

/**
 * No secret goes in the file: the server finds the claim's ask socket and secret in the environment Claude
 * passes on to it from the worker's.
 */
export function approvalMcpConfig({ approveTools, timeoutMs, nodePath = process.execPath, serverScript = APPROVAL_SERVER_SCRIPT }: ApprovalConfigOptions) {
  const tools = approveTools === "all" ? "all" : approveTools.join(",");
  return {
    mcpServers: {
      [APPROVAL_MCP_SERVER]: {
        type: "stdio",
        command: nodePath,
        args: [serverScript, "--approve-tools", tools, "--timeout-ms", String(timeoutMs)],
      },
    },
  };
}

export async function writeApprovalMcpConfig(workdir: string, opts: ApprovalConfigOptions): Promise<string> {
  const path = mcpConfigPath(workdir);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${JSON.stringify(approvalMcpConfig(opts), null, 2)}\n`, { mode: 0o600 });
  return path;
}
