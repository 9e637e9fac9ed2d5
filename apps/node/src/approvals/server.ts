// The approval MCP server: one tool, `approve`, that Claude Code calls as its permission prompt tool with
// {tool_name, input, tool_use_id} and whose text result is the decision as JSON.
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import {
  APPROVAL_MCP_SERVER,
  APPROVAL_MCP_TOOL,
  ApproveTools,
  DEFAULT_APPROVAL_TIMEOUT_MS,
  MAX_APPROVAL_TIMEOUT_MS,
  MUSTER_VERSION,
  PermissionRequest,
} from "@muster/protocol";
import { z } from "zod";
import type { ToolApprovals } from "./decide.js";

/** The server's command line, as the node writes it into the claim's MCP config. */
export const ServerArgs = z.object({
  "approve-tools": z.string().transform((text, ctx) => {
    const parsed = ApproveTools.safeParse(text === "all" ? "all" : text.split(",").map((t) => t.trim()).filter(Boolean));
    if (!parsed.success) ctx.addIssue({ code: "custom", message: `--approve-tools: ${parsed.error.issues[0]?.message}` });
    return parsed.data ?? "all";
  }),
  "timeout-ms": z.coerce.number().int().positive().max(MAX_APPROVAL_TIMEOUT_MS).default(DEFAULT_APPROVAL_TIMEOUT_MS),
});

/** Builds the server; `approvals` decides every call of the one tool. */
export function approvalServer(approvals: ToolApprovals, { progressEveryMs = 30_000 }: { progressEveryMs?: number } = {}): McpServer {
  const server = new McpServer({ name: APPROVAL_MCP_SERVER, version: MUSTER_VERSION });
  server.registerTool(
    APPROVAL_MCP_TOOL,
    {
      description: "Asks a person through Muster whether a tool call may run.",
      inputSchema: PermissionRequest.shape,
    },
    async (args, extra) => {
      // A person may take minutes: a client that asked for progress hears that the call is alive meanwhile.
      const token = extra._meta?.progressToken;
      let beats = 0;
      const alive =
        token === undefined
          ? undefined
          : setInterval(() => {
              beats += 1;
              void extra
                .sendNotification({ method: "notifications/progress", params: { progressToken: token, progress: beats, message: "waiting for a person" } })
                .catch(() => undefined);
            }, progressEveryMs);
      try {
        const decision = await approvals.decide(PermissionRequest.parse(args));
        return { content: [{ type: "text", text: JSON.stringify(decision) }] };
      } finally {
        clearInterval(alive);
      }
    },
  );
  return server;
}
