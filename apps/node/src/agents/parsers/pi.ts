// pi `--mode json` (fixtures/agents/README.md, pi section). `message_end` is the authoritative copy of every
// message, so only it is read: message_update, tool_execution_* and turn_end repeat what it says. Each
// assistant message carries its own cost; there is no run total, so the totals are summed here.
import { arr, contentText, CostTotals, count, num, obj, str, type JsonObject } from "./fields.js";
import type { FormatHandler, ParsedRecord } from "./record.js";

interface LastAssistant {
  text: string;
  stopReason: string | undefined;
  errorMessage: string | undefined;
}

export function piJson(): FormatHandler {
  const totals = new CostTotals();
  let turns = 0;
  let last: LastAssistant | null = null;

  const assistant = (message: JsonObject): ParsedRecord[] => {
    const out = assistantContent(message);
    const texts = out.flatMap((r) => (r.kind === "message" ? [r.text] : []));
    last = { text: texts.join("\n\n"), stopReason: str(message.stopReason), errorMessage: str(message.errorMessage) };
    const usage = obj(message.usage);
    const usd = num(obj(usage?.cost)?.total);
    if (usage && usd !== undefined && usd >= 0) {
      totals.add({
        usd,
        inputTokens: count(usage.input),
        outputTokens: count(usage.output),
        cacheReadTokens: count(usage.cacheRead),
        cacheWriteTokens: count(usage.cacheWrite),
      });
      out.push(totals.record());
    }
    return out;
  };

  return {
    event(e) {
      switch (e.type) {
        case "message_end": {
          const message = obj(e.message);
          if (message?.role === "assistant") return assistant(message);
          if (message?.role === "toolResult") return [toolResult(message)];
          if (message?.role === "user") {
            const text = contentText(message.content);
            return text ? [{ kind: "message", role: "user", text }] : [];
          }
          // Roles extensions add (bashExecution, custom).
          return [];
        }
        case "turn_end":
          turns += 1;
          return [];
        case "agent_end":
          // A retry follows and will end with its own agent_end.
          if (e.willRetry === true) return [];
          return [closing(last, turns)];
        default:
          return [];
      }
    },
  };
}

function assistantContent(message: JsonObject): ParsedRecord[] {
  const out: ParsedRecord[] = [];
  for (const item of arr(message.content)) {
    const block = obj(item);
    if (block?.type === "text") {
      const text = str(block.text);
      if (text) out.push({ kind: "message", role: "assistant", text });
    } else if (block?.type === "toolCall") {
      const name = str(block.name);
      if (name) out.push({ kind: "tool_call", callId: str(block.id) ?? null, name, input: block.arguments ?? null });
    }
  }
  return out;
}

function toolResult(message: JsonObject): ParsedRecord {
  return { kind: "tool_result", callId: str(message.toolCallId) ?? null, ok: message.isError !== true, output: contentText(message.content) };
}

/** A failed run ends with an assistant message whose stopReason is error or aborted, with an errorMessage. */
function closing(last: LastAssistant | null, turns: number): ParsedRecord {
  if (!last) return { kind: "summary", text: "", ok: false, turns };
  const failed = last.stopReason === "error" || last.stopReason === "aborted";
  const text = failed ? (last.errorMessage ?? (last.text || (last.stopReason ?? ""))) : last.text;
  return { kind: "summary", text, ok: !failed, turns };
}
