import { describe, expect, it } from "vitest";
import { countKinds, ofKind, parseLines, parseTranscript } from "./transcript.fake.js";

const STREAM_DROPPED =
  "stream disconnected before completion: error sending request for url (https://chatgpt.com/backend-api/codex/responses)";

describe("codex exec --json parser", () => {
  it("reads a successful run into messages, tool calls with their results and a summary, and no cost", () => {
    const records = parseTranscript("codex", "codex-exec-json.jsonl");
    expect(countKinds(records)).toEqual({ message: 2, tool_call: 4, tool_result: 4, summary: 1 });
    expect(records.map((r) => r.kind)).toEqual([
      "message", "tool_call", "tool_result", "tool_call", "tool_result", "tool_call", "tool_result", "tool_call",
      "tool_result", "message", "summary",
    ]);
    expect(ofKind(records, "tool_call")).toEqual([
      { kind: "tool_call", callId: "item_2", name: "command", input: { command: "/bin/bash -lc 'cat src/version.ts'" } },
      { kind: "tool_call", callId: "item_3", name: "command", input: { command: "/bin/bash -lc 'npm test'" } },
      { kind: "tool_call", callId: "item_5", name: "file_change", input: { changes: [{ path: "/home/dev/acme-cli/src/version.ts", kind: "update" }] } },
      { kind: "tool_call", callId: "item_6", name: "command", input: { command: "/bin/bash -lc 'npm test'" } },
    ]);
    const results = ofKind(records, "tool_result");
    expect(results.map((r) => [r.callId, r.ok])).toEqual([["item_2", true], ["item_3", false], ["item_5", true], ["item_6", true]]);
    expect(results[0]!.output).toContain('export const VERSION = "1.3.9";');
    expect(results[2]!.output).toBe("update /home/dev/acme-cli/src/version.ts");
  });

  it("takes the last agent message of the turn as the summary; earlier ones were commentary", () => {
    const records = parseTranscript("codex", "codex-exec-json.jsonl");
    expect(ofKind(records, "message").map((m) => m.text)).toEqual([
      "I'll look at `src/version.ts` and run the test suite to see what is failing.",
      expect.stringMatching(/^Fixed the failing version test\./),
    ]);
    expect(records.at(-1)).toEqual({ kind: "summary", text: ofKind(records, "message")[1]!.text, ok: true });
  });

  it("shows reconnect errors as system messages and ends a failed turn with a failed summary", () => {
    const records = parseTranscript("codex", "codex-exec-json-error.jsonl");
    expect(countKinds(records)).toEqual({ message: 7, tool_call: 1, tool_result: 1, summary: 1 });
    const system = ofKind(records, "message").filter((m) => m.role === "system");
    expect(system.map((m) => m.text)).toEqual([
      ...[1, 2, 3, 4, 5].map((n) => `Reconnecting... ${n}/5 (${STREAM_DROPPED})`),
      STREAM_DROPPED,
    ]);
    expect(records.at(-1)).toEqual({ kind: "summary", text: STREAM_DROPPED, ok: false });
  });

  it("emits a call for an item that only ever completes, and never a second call for one", () => {
    const cmd = { id: "item_9", type: "command_execution", command: "ls", aggregated_output: "a\n", exit_code: 0, status: "completed" };
    const records = parseLines("codex", [
      JSON.stringify({ type: "item.completed", item: cmd }),
      JSON.stringify({ type: "item.started", item: { ...cmd, id: "item_10", status: "in_progress", exit_code: null } }),
      JSON.stringify({ type: "item.updated", item: { ...cmd, id: "item_10", status: "in_progress", exit_code: null } }),
      JSON.stringify({ type: "item.completed", item: { ...cmd, id: "item_10", status: "failed", exit_code: 2 } }),
    ]);
    expect(records).toEqual([
      { kind: "tool_call", callId: "item_9", name: "command", input: { command: "ls" } },
      { kind: "tool_result", callId: "item_9", ok: true, output: "a\n" },
      { kind: "tool_call", callId: "item_10", name: "command", input: { command: "ls" } },
      { kind: "tool_result", callId: "item_10", ok: false, output: "a\n" },
    ]);
  });

  it("reads mcp tool calls and their errors", () => {
    const item = { id: "item_1", type: "mcp_tool_call", server: "docs", tool: "search", arguments: { q: "x" } };
    expect(
      parseLines("codex", [
        JSON.stringify({ type: "item.completed", item: { ...item, status: "completed", result: { content: [{ type: "text", text: "hit" }] } } }),
        JSON.stringify({ type: "item.completed", item: { ...item, id: "item_2", status: "failed", error: { message: "boom" } } }),
      ]),
    ).toEqual([
      { kind: "tool_call", callId: "item_1", name: "docs.search", input: { q: "x" } },
      { kind: "tool_result", callId: "item_1", ok: true, output: "hit" },
      { kind: "tool_call", callId: "item_2", name: "docs.search", input: { q: "x" } },
      { kind: "tool_result", callId: "item_2", ok: false, output: "boom" },
    ]);
  });

  it("keeps token-only usage out: a cost record needs a price codex never gives", () => {
    const done = JSON.stringify({ type: "turn.completed", usage: { input_tokens: 10, cached_input_tokens: 5, output_tokens: 3 } });
    expect(parseLines("codex", [done])).toEqual([{ kind: "summary", text: "", ok: true }]);
  });
});
