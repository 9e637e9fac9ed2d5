import { describe, expect, it } from "vitest";
import { countKinds, ofKind, parseLines, parseTranscript, transcriptLines } from "./transcript.fake.js";

describe("opencode run --format json parser", () => {
  it("reads a run into messages, tool calls with results, a running cost per step and a summary", () => {
    const records = parseTranscript("opencode", "opencode-json.jsonl");
    expect(countKinds(records)).toEqual({ message: 2, tool_call: 4, tool_result: 4, cost: 4, summary: 1 });
    expect(ofKind(records, "tool_call").map((c) => c.name)).toEqual(["read", "bash", "edit", "bash"]);
    expect(ofKind(records, "tool_call")[1]).toEqual({
      kind: "tool_call",
      callId: "toolu_01Hj8kL1zX4cV7bN0mQ3wE6r",
      name: "bash",
      input: { command: "npm test", description: "Run the test suite" },
    });
    // The first bash run exits 1 but is still status "completed": metadata.exit decides.
    expect(ofKind(records, "tool_result").map((r) => r.ok)).toEqual([true, false, true, true]);
    expect(ofKind(records, "tool_result")[2]!.output).toBe("Edit applied successfully.");
  });

  it("sums each step's cost and tokens into cumulative totals", () => {
    const costs = ofKind(parseTranscript("opencode", "opencode-json.jsonl"), "cost");
    expect(costs.map((c) => c.usd)).toEqual([0.043836, 0.0508293, 0.05682375, 0.06348705]);
    expect(costs.at(-1)).toEqual({
      kind: "cost",
      usd: 0.06348705,
      inputTokens: 12 + 6 + 5 + 5,
      outputTokens: 151 + 139 + 77 + 118,
      cacheReadTokens: 0 + 11076 + 11494 + 11861,
      cacheWriteTokens: 11076 + 418 + 367 + 352,
    });
  });

  it("sums up on done with the last text and the number of steps", () => {
    const records = parseTranscript("opencode", "opencode-json.jsonl");
    expect(records.at(-1)).toEqual({ kind: "summary", text: expect.stringMatching(/^Fixed the failing version test\..*\(12\/12\)\.$/), ok: true, turns: 4 });
  });

  it("sums up at the end of the process when the build prints no done line", () => {
    const lines = transcriptLines("opencode-json.jsonl").filter((l) => !l.includes('"type":"done"'));
    const records = parseLines("opencode", lines);
    expect(ofKind(records, "summary")).toEqual([expect.objectContaining({ ok: true, turns: 4 })]);
    expect(records.at(-1)!.kind).toBe("summary");
    expect(parseLines("opencode", [])).toEqual([]);
  });

  it("sums up a run that exits non-zero without a done line as failed, and a run the node stopped not at all", () => {
    const lines = transcriptLines("opencode-json.jsonl").slice(0, 5);
    expect(parseLines("opencode", lines, { exitCode: 1, signal: null, stopped: false }).at(-1)).toMatchObject({ kind: "summary", ok: false });
    expect(ofKind(parseLines("opencode", lines, { exitCode: null, signal: "SIGTERM", stopped: true }), "summary")).toEqual([]);
    expect(ofKind(parseLines("opencode", lines, { exitCode: 0, signal: null, stopped: true }), "summary")).toEqual([]);
  });

  it("reports a session error as a system message and a failed summary", () => {
    const error = JSON.stringify({ type: "error", timestamp: 1, sessionID: "s", error: { name: "APIError", data: { message: "rate limited" } } });
    expect(parseLines("opencode", [error])).toEqual([
      { kind: "message", role: "system", text: "rate limited" },
      { kind: "summary", text: "rate limited", ok: false, turns: 0 },
    ]);
  });

  it("reads a tool in error state as a failed result", () => {
    const line = JSON.stringify({
      type: "tool_use",
      part: { type: "tool", tool: "read", callID: "c1", state: { status: "error", input: { filePath: "/x" }, error: "File not found" } },
    });
    expect(parseLines("opencode", [line]).slice(0, 2)).toEqual([
      { kind: "tool_call", callId: "c1", name: "read", input: { filePath: "/x" } },
      { kind: "tool_result", callId: "c1", ok: false, output: "File not found" },
    ]);
  });
});
