// Codex `exec --json` (fixtures/agents/README.md, codex sections). Codex reports tokens but never a price,
// so it yields no cost records: a cost record must carry USD, and this parser does not invent prices.
import { arr, contentText, num, obj, str, type JsonObject } from "./fields.js";
import type { FormatHandler, ParsedRecord } from "./record.js";

/** Item types that are the agent acting, shown as a tool call and its result. */
const TOOL_ITEMS = new Set(["command_execution", "file_change", "mcp_tool_call", "web_search"]);

export function codexExecJson(): FormatHandler {
  /** Items whose tool_call is out; older builds send only item.completed for some, so a call may come late. */
  const called = new Set<string>();
  /** The final answer is the last agent_message of the turn; earlier ones are commentary. */
  let lastMessage = "";

  const callOnce = (item: JsonObject): ParsedRecord[] => {
    const id = str(item.id);
    if (id !== undefined) {
      if (called.has(id)) return [];
      called.add(id);
    }
    return [toolCall(item)];
  };

  return {
    event(e) {
      switch (e.type) {
        case "item.started": {
          const item = obj(e.item);
          return item && TOOL_ITEMS.has(str(item.type) ?? "") ? callOnce(item) : [];
        }
        case "item.completed": {
          const item = obj(e.item);
          if (!item) return [];
          if (TOOL_ITEMS.has(str(item.type) ?? "")) return [...callOnce(item), toolResult(item)];
          if (item.type === "agent_message") {
            lastMessage = str(item.text) ?? "";
            return lastMessage ? [{ kind: "message", role: "assistant", text: lastMessage }] : [];
          }
          // A non-fatal warning shown as an item.
          if (item.type === "error") return systemMessage(item.message);
          // reasoning (a summary of hidden thinking), todo_list, plan and whatever later releases add.
          return [];
        }
        case "error":
          // Not terminal: "Reconnecting... n/5" and the like; turn.failed is the end.
          return systemMessage(e.message);
        case "turn.completed":
          return [{ kind: "summary", text: lastMessage, ok: true }];
        case "turn.failed":
          return [{ kind: "summary", text: str(obj(e.error)?.message) ?? "turn failed", ok: false }];
        default:
          // thread.started, turn.started, item.updated.
          return [];
      }
    },
  };
}

function systemMessage(message: unknown): ParsedRecord[] {
  const text = str(message);
  return text ? [{ kind: "message", role: "system", text }] : [];
}

function toolCall(item: JsonObject): ParsedRecord {
  const callId = str(item.id) ?? null;
  switch (item.type) {
    case "command_execution":
      return { kind: "tool_call", callId, name: "command", input: { command: item.command ?? null } };
    case "file_change":
      return { kind: "tool_call", callId, name: "file_change", input: { changes: arr(item.changes) } };
    case "mcp_tool_call": {
      const server = str(item.server);
      const tool = str(item.tool) ?? "mcp_tool_call";
      return { kind: "tool_call", callId, name: server ? `${server}.${tool}` : tool, input: item.arguments ?? null };
    }
    default:
      return { kind: "tool_call", callId, name: str(item.type) ?? "tool", input: { query: item.query ?? null } };
  }
}

function toolResult(item: JsonObject): ParsedRecord {
  const callId = str(item.id) ?? null;
  const completed = item.status === "completed";
  switch (item.type) {
    case "command_execution": {
      // exit_code is null while running and missing on some builds; status "failed" is a non-zero exit.
      const exitCode = num(item.exit_code);
      const ok = completed && (exitCode === undefined || exitCode === 0);
      return { kind: "tool_result", callId, ok, output: str(item.aggregated_output) ?? "" };
    }
    case "file_change": {
      const lines = arr(item.changes).flatMap((c) => {
        const change = obj(c);
        return change ? [`${str(change.kind) ?? "change"} ${str(change.path) ?? ""}`] : [];
      });
      return { kind: "tool_result", callId, ok: completed, output: lines.join("\n") };
    }
    case "mcp_tool_call": {
      const error = str(obj(item.error)?.message);
      if (error !== undefined) return { kind: "tool_result", callId, ok: false, output: error };
      return { kind: "tool_result", callId, ok: completed, output: contentText(obj(item.result)?.content) };
    }
    default:
      return { kind: "tool_result", callId, ok: item.status === undefined || completed, output: "" };
  }
}
