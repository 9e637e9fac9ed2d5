// Claude Code `-p --output-format stream-json --verbose` (fixtures/agents/README.md, claude sections).
// Claude reports cost only once, on the closing `result` line, so there is one cost record per run.
import { arr, contentText, count, num, obj, roundUsd, str, type JsonObject } from "./fields.js";
import type { FormatHandler, ParsedRecord } from "./record.js";

export function claudeStreamJson(): FormatHandler {
  return {
    event(e) {
      switch (e.type) {
        case "assistant":
          return assistantBlocks(e);
        case "user":
          return userBlocks(e);
        case "result":
          return result(e);
        default:
          // system/init, rate_limit_event, stream_event and whatever later releases add.
          return [];
      }
    },
  };
}

/** One content block per line in practice, but a line with several is read in order. */
function assistantBlocks(e: JsonObject): ParsedRecord[] {
  const out: ParsedRecord[] = [];
  for (const item of arr(obj(e.message)?.content)) {
    const block = obj(item);
    if (block?.type === "text") {
      const text = str(block.text);
      if (text) out.push({ kind: "message", role: "assistant", text });
    } else if (block?.type === "tool_use") {
      const name = str(block.name);
      if (name) out.push({ kind: "tool_call", callId: str(block.id) ?? null, name, input: block.input ?? null });
    }
    // `thinking` blocks are the model's scratch work, not something it said.
  }
  return out;
}

function userBlocks(e: JsonObject): ParsedRecord[] {
  const content = obj(e.message)?.content;
  if (typeof content === "string") return content ? [{ kind: "message", role: "user", text: content }] : [];
  const out: ParsedRecord[] = [];
  for (const item of arr(content)) {
    const block = obj(item);
    if (block?.type === "tool_result") {
      // A missing is_error means success.
      out.push({ kind: "tool_result", callId: str(block.tool_use_id) ?? null, ok: block.is_error !== true, output: contentText(block.content) });
    } else if (block?.type === "text") {
      const text = str(block.text);
      if (text) out.push({ kind: "message", role: "user", text });
    }
  }
  return out;
}

function result(e: JsonObject): ParsedRecord[] {
  const out: ParsedRecord[] = [];
  const usd = num(e.total_cost_usd);
  if (usd !== undefined && usd >= 0) out.push({ kind: "cost", usd: roundUsd(usd), ...resultTokens(e) });
  // Success is `is_error`, not `subtype`: API and auth failures come as subtype "success" with is_error true.
  const ok = typeof e.is_error === "boolean" ? !e.is_error : e.subtype === "success";
  const errors = arr(e.errors).flatMap((m) => (typeof m === "string" ? [m] : []));
  // Error results have no `result` key: their words are in errors[], else only the subtype says what happened.
  const text = str(e.result) ?? (errors.length > 0 ? errors.join("\n") : (str(e.subtype) ?? ""));
  const turns = count(e.num_turns);
  const durationMs = count(e.duration_ms);
  out.push({
    kind: "summary",
    text,
    ok,
    ...(turns !== undefined ? { turns } : {}),
    ...(durationMs !== undefined ? { durationMs } : {}),
  });
  return out;
}

interface Tokens {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
}

/**
 * Tokens behind `total_cost_usd`: the sum over `modelUsage`, which includes background (Haiku) calls the
 * cost also covers; `usage` (main model only) when an older build has no modelUsage.
 */
function resultTokens(e: JsonObject): Partial<Tokens> {
  const models = Object.values(obj(e.modelUsage) ?? {}).flatMap((m) => {
    const model = obj(m);
    return model ? [model] : [];
  });
  if (models.length > 0) {
    const sum = (field: string) => models.reduce((total, m) => total + (count(m[field]) ?? 0), 0);
    return {
      inputTokens: sum("inputTokens"),
      outputTokens: sum("outputTokens"),
      cacheReadTokens: sum("cacheReadInputTokens"),
      cacheWriteTokens: sum("cacheCreationInputTokens"),
    };
  }
  const usage = obj(e.usage);
  if (!usage) return {};
  const tokens: Partial<Tokens> = {
    inputTokens: count(usage.input_tokens),
    outputTokens: count(usage.output_tokens),
    cacheReadTokens: count(usage.cache_read_input_tokens),
    cacheWriteTokens: count(usage.cache_creation_input_tokens),
  };
  return Object.fromEntries(Object.entries(tokens).filter(([, v]) => v !== undefined));
}
