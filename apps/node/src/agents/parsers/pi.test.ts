import { describe, expect, it } from "vitest";
import { countKinds, ofKind, parseLines, parseTranscript } from "./transcript.fake.js";

const assistantEnd = (message: Record<string, unknown>) =>
  JSON.stringify({ type: "message_end", message: { role: "assistant", content: [], ...message } });

describe("pi --mode json parser", () => {
  it("reads message_end lines only, so streamed updates and tool_execution events are not doubled", () => {
    const records = parseTranscript("pi", "pi-json.jsonl");
    expect(countKinds(records)).toEqual({ message: 4, tool_call: 3, tool_result: 3, cost: 3, summary: 1 });
    expect(ofKind(records, "message").map((m) => m.role)).toEqual(["user", "assistant", "assistant", "assistant"]);
    expect(ofKind(records, "message")[0]!.text).toMatch(/^The version test is failing\./);
    expect(ofKind(records, "tool_call")).toEqual([
      { kind: "tool_call", callId: "toolu_01Fg8hJ2kL5zX8cV1bN4mQ7w", name: "read", input: { path: "src/version.ts" } },
      { kind: "tool_call", callId: "toolu_01Er3tY6uI9oP2aS5dF8gH1j", name: "bash", input: { command: "npm test" } },
      {
        kind: "tool_call",
        callId: "toolu_01Kl4zX7cV0bN3mQ6wE9rT2y",
        name: "edit",
        input: { path: "src/version.ts", edits: [{ oldText: 'export const VERSION = "1.3.9";', newText: 'export const VERSION = "1.4.0";' }] },
      },
    ]);
    const results = ofKind(records, "tool_result");
    expect(results.map((r) => [r.callId, r.ok])).toEqual([
      ["toolu_01Fg8hJ2kL5zX8cV1bN4mQ7w", true],
      ["toolu_01Er3tY6uI9oP2aS5dF8gH1j", false],
      ["toolu_01Kl4zX7cV0bN3mQ6wE9rT2y", true],
    ]);
    expect(results[1]!.output).toMatch(/Command exited with code 1$/);
  });

  it("sums each assistant message's cost into cumulative totals", () => {
    const costs = ofKind(parseTranscript("pi", "pi-json.jsonl"), "cost");
    expect(costs.map((c) => c.usd)).toEqual([0.0179265, 0.025455, 0.0296562]);
    expect(costs.at(-1)).toEqual({
      kind: "cost",
      usd: 0.0296562,
      inputTokens: 3 + 6 + 6,
      outputTokens: 142 + 158 + 96,
      cacheReadTokens: 0 + 4210 + 5244,
      cacheWriteTokens: 4210 + 1034 + 312,
    });
  });

  it("sums up on agent_end with the last assistant text and the turn count", () => {
    const records = parseTranscript("pi", "pi-json.jsonl");
    expect(records.at(-1)).toEqual({
      kind: "summary",
      text: expect.stringMatching(/^Fixed the failing version test\..*run `npm test` to confirm\.$/),
      ok: true,
      turns: 3,
    });
  });

  it("ends a run whose last message failed with its error message, and waits out a retry", () => {
    const failed = assistantEnd({ stopReason: "error", errorMessage: "overloaded_error" });
    expect(parseLines("pi", [failed, JSON.stringify({ type: "agent_end", messages: [], willRetry: true })])).toEqual([]);
    expect(parseLines("pi", [failed, JSON.stringify({ type: "turn_end" }), JSON.stringify({ type: "agent_end", messages: [] })])).toEqual([
      { kind: "summary", text: "overloaded_error", ok: false, turns: 1 },
    ]);
  });

  it("accepts user content as a plain string and skips roles it does not know", () => {
    const lines = [
      JSON.stringify({ type: "message_end", message: { role: "user", content: "hello" } }),
      JSON.stringify({ type: "message_end", message: { role: "bashExecution", command: "ls" } }),
    ];
    expect(parseLines("pi", lines)).toEqual([{ kind: "message", role: "user", text: "hello" }]);
  });

  it("leaves a message without a priced usage out of the cost totals", () => {
    const records = parseLines("pi", [assistantEnd({ content: [{ type: "text", text: "hi" }], usage: { input: 5, output: 1 } })]);
    expect(records).toEqual([{ kind: "message", role: "assistant", text: "hi" }]);
  });
});
