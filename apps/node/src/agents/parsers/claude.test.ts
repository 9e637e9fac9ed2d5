import { describe, expect, it } from "vitest";
import { countKinds, ofKind, parseLines, parseTranscript } from "./transcript.fake.js";

const FINAL_TEXT =
  "Fixed the failing version test. `src/version.ts` hard-coded `VERSION = \"1.3.9\"` while `package.json` is at 1.4.0, so `versionString()` returned `acme-cli v1.3.9`. I changed the constant to `\"1.4.0\"`; `npm test` now passes (12/12).";

describe("claude stream-json parser", () => {
  it("reads a successful run into messages, paired tool calls and results, one cost and a summary", () => {
    const records = parseTranscript("claude", "claude-stream-json.jsonl");
    expect(countKinds(records)).toEqual({ message: 3, tool_call: 4, tool_result: 4, cost: 1, summary: 1 });
    expect(records.map((r) => r.kind)).toEqual([
      "message", "tool_call", "tool_result", "tool_call", "tool_result", "message", "tool_call", "tool_result",
      "tool_call", "tool_result", "message", "cost", "summary",
    ]);
    expect(records[0]).toEqual({ kind: "message", role: "assistant", text: "I'll start by reading the version module." });
    expect(records[1]).toEqual({
      kind: "tool_call",
      callId: "toolu_01HvR3kQz8WnJm5YpTc2aLdF",
      name: "Read",
      input: { file_path: "/home/dev/acme-cli/src/version.ts" },
    });
    expect(records[2]).toMatchObject({ kind: "tool_result", callId: "toolu_01HvR3kQz8WnJm5YpTc2aLdF", ok: true });
    expect(ofKind(records, "tool_call").map((c) => c.name)).toEqual(["Read", "Bash", "Edit", "Bash"]);
    expect(ofKind(records, "tool_result").map((r) => r.ok)).toEqual([true, false, true, true]);
    expect(ofKind(records, "tool_result")[1]!.output).toMatch(/^Exit code 1\n/);
    // Calls and results pair up by id.
    expect(ofKind(records, "tool_result").map((r) => r.callId)).toEqual(ofKind(records, "tool_call").map((c) => c.callId));
  });

  it("takes the cost from result.total_cost_usd and the tokens from modelUsage, background model included", () => {
    const [cost] = ofKind(parseTranscript("claude", "claude-stream-json.jsonl"), "cost");
    expect(cost).toEqual({
      kind: "cost",
      usd: 0.0617606,
      inputTokens: 612 + 23,
      outputTokens: 28 + 580,
      cacheReadTokens: 85172,
      cacheWriteTokens: 4448,
    });
  });

  it("sums up with the final text, turns and duration", () => {
    const [summary] = ofKind(parseTranscript("claude", "claude-stream-json.jsonl"), "summary");
    expect(summary).toEqual({ kind: "summary", text: FINAL_TEXT, ok: true, turns: 5, durationMs: 38412 });
  });

  it("reports a max-turns stop as a failed summary with the errors[] text, cost still counted", () => {
    const records = parseTranscript("claude", "claude-stream-json-error.jsonl");
    expect(countKinds(records)).toEqual({ message: 1, tool_call: 2, tool_result: 2, cost: 1, summary: 1 });
    expect(ofKind(records, "tool_result").map((r) => r.ok)).toEqual([true, false]);
    expect(ofKind(records, "cost")[0]).toEqual({
      kind: "cost",
      usd: 0.0323552,
      inputTokens: 612 + 8,
      outputTokens: 28 + 180,
      cacheReadTokens: 31264,
      cacheWriteTokens: 3250,
    });
    expect(records.at(-1)).toEqual({ kind: "summary", text: "Reached maximum number of turns (2)", ok: false, turns: 3, durationMs: 17305 });
  });

  it("decides success on is_error, not subtype, and falls back to subtype when there are no words", () => {
    const authError = JSON.stringify({ type: "result", subtype: "success", is_error: true, result: "Invalid API key · Please run /login", total_cost_usd: 0 });
    const bare = JSON.stringify({ type: "result", subtype: "error_during_execution", is_error: true, num_turns: 0, usage: { input_tokens: 0, output_tokens: 0 } });
    expect(parseLines("claude", [authError])).toEqual([
      { kind: "cost", usd: 0 },
      { kind: "summary", text: "Invalid API key · Please run /login", ok: false },
    ]);
    expect(parseLines("claude", [bare])).toEqual([{ kind: "summary", text: "error_during_execution", ok: false, turns: 0 }]);
  });

  it("reads tool results whose content is an array of text parts, and user text", () => {
    const line = JSON.stringify({
      type: "user",
      message: {
        role: "user",
        content: [
          { type: "tool_result", tool_use_id: "t1", content: [{ type: "text", text: "a" }, { type: "image" }, { type: "text", text: "b" }] },
          { type: "text", text: "go on" },
        ],
      },
    });
    expect(parseLines("claude", [line])).toEqual([
      { kind: "tool_result", callId: "t1", ok: true, output: "a\nb" },
      { kind: "message", role: "user", text: "go on" },
    ]);
  });

  it("skips thinking blocks, system lines, rate limit events and types it does not know", () => {
    const lines = [
      JSON.stringify({ type: "assistant", message: { content: [{ type: "thinking", thinking: "hmm", signature: "x" }] } }),
      JSON.stringify({ type: "system", subtype: "compact_boundary" }),
      JSON.stringify({ type: "rate_limit_event", rate_limit_info: {} }),
      JSON.stringify({ type: "stream_event", event: {} }),
      JSON.stringify({ type: "brand_new_type", message: { content: [{ type: "text", text: "x" }] } }),
    ];
    expect(parseLines("claude", lines)).toEqual([]);
  });
});
