import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ClaimRecord } from "@muster/protocol";
import { LineAssembler } from "../../supervisor/lines.js";
import { PRESET_NAMES, type PresetName } from "../presets.js";
import { createOutputParser, type ParsedRecord } from "./index.js";
import { MAX_RECORD_TEXT, MAX_TOOL_INPUT_JSON } from "./record.js";
import { CLEAN_EXIT, parseLines, parseTranscript, transcriptPath } from "./transcript.fake.js";

const TRANSCRIPTS: [PresetName, string][] = [
  ["claude", "claude-stream-json.jsonl"],
  ["claude", "claude-stream-json-error.jsonl"],
  ["codex", "codex-exec-json.jsonl"],
  ["codex", "codex-exec-json-error.jsonl"],
  ["opencode", "opencode-json.jsonl"],
  ["pi", "pi-json.jsonl"],
];

/** A small deterministic generator, so a failing cut can be replayed. */
function seeded(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s / 2 ** 31;
  };
}

/** The text cut into pieces of 1 to 200 characters, the way a pipe may deliver it. */
function chunks(text: string, random: () => number): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; ) {
    const n = 1 + Math.floor(random() * 200);
    out.push(text.slice(i, i + n));
    i += n;
  }
  return out;
}

const GARBAGE = [
  "",
  "   ",
  "not json at all",
  "{",
  '{"type":"assistant","message":',
  "[1,2,3]",
  "42",
  "null",
  '"a string"',
  "{}",
  '{"type":null}',
  '{"type":"assistant","message":null}',
  '{"type":"assistant","message":{"content":"not an array"}}',
  '{"type":"assistant","message":{"content":[null,1,"x",{"type":"tool_use"}]}}',
  '{"type":"user","message":{"content":[{"type":"tool_result","content":{"weird":true}}]}}',
  '{"type":"result","total_cost_usd":"a lot","modelUsage":{"m":null},"errors":"nope"}',
  '{"type":"result","total_cost_usd":-1,"num_turns":-3,"duration_ms":"x"}',
  '{"type":"item.completed","item":null}',
  '{"type":"item.completed","item":{"type":"command_execution","exit_code":"x","changes":5}}',
  '{"type":"item.started","item":{"type":"file_change","changes":[null,{"path":1}]}}',
  '{"type":"turn.failed","error":"flat"}',
  '{"type":"step_finish","part":{"cost":"free","tokens":[]}}',
  '{"type":"tool_use","part":{"tool":"bash","state":null}}',
  '{"type":"error","error":{"data":null}}',
  '{"type":"message_end","message":{"role":"assistant","content":null,"usage":{"cost":null}}}',
  '{"type":"message_end","message":{"role":"toolResult","content":42}}',
  '{"type":"agent_end"}',
  "\u0000\u0001\ud800",
];

describe("output parsers", () => {
  it.each(PRESET_NAMES)("%s: never throws on garbage and yields only valid records", (preset) => {
    const parser = createOutputParser(preset);
    const records = [...GARBAGE.flatMap((line) => parser.line(line)), ...parser.end(CLEAN_EXIT)];
    for (const record of records) expect(() => ClaimRecord.parse({ ...record, seq: 1, ts: 1 })).not.toThrow();
  });

  it.each(PRESET_NAMES)("%s: a non-JSON line or a JSON value that is not an object yields nothing", (preset) => {
    const parser = createOutputParser(preset);
    for (const line of ["hello", "Error: boom", "[1]", "3", "null", "{broken"]) expect(parser.line(line)).toEqual([]);
  });

  it.each(TRANSCRIPTS)("%s %s: every record is valid on the wire", (preset, file) => {
    for (const record of parseTranscript(preset, file)) expect(() => ClaimRecord.parse({ ...record, seq: 1, ts: 1 })).not.toThrow();
  });

  it.each(TRANSCRIPTS)("%s %s: output cut anywhere, then reassembled, parses the same as whole lines", (preset, file) => {
    const text = readFileSync(transcriptPath(file), "utf8");
    const expected = parseTranscript(preset, file);
    for (const seed of [1, 2, 3]) {
      const lines = new LineAssembler();
      const parser = createOutputParser(preset);
      const got: ParsedRecord[] = [];
      for (const chunk of chunks(text, seeded(seed))) for (const line of lines.push(chunk)) got.push(...parser.line(line));
      const rest = lines.flush();
      if (rest !== null) got.push(...parser.line(rest));
      got.push(...parser.end(CLEAN_EXIT));
      expect(got).toEqual(expected);
    }
  });

  it("reads lines that end in CRLF", () => {
    const line = `${JSON.stringify({ type: "item.completed", item: { id: "i", type: "agent_message", text: "hi" } })}\r`;
    expect(parseLines("codex", [line])).toEqual([{ kind: "message", role: "assistant", text: "hi" }]);
  });

  it("bounds a huge tool result and a huge tool input so one record stays far below the frame limit", () => {
    const big = "x".repeat(1_000_000);
    const lines = [
      JSON.stringify({ type: "assistant", message: { content: [{ type: "tool_use", id: "t", name: "Write", input: { file_path: "/a", content: big } }] } }),
      JSON.stringify({ type: "assistant", message: { content: [{ type: "tool_use", id: "u", name: "Many", input: Array.from({ length: 5000 }, (_, i) => `arg${i}`) }] } }),
      JSON.stringify({ type: "user", message: { content: [{ type: "tool_result", tool_use_id: "t", content: big }] } }),
    ];
    const [write, many, result] = parseLines("claude", lines);
    expect(write).toMatchObject({ kind: "tool_call", input: { file_path: "/a", content: expect.stringMatching(/^x+… \[\d+ more characters\]$/) } });
    expect(JSON.stringify(write).length).toBeLessThan(MAX_TOOL_INPUT_JSON + 500);
    expect(many).toMatchObject({ kind: "tool_call", input: { truncated: true, json: expect.any(String) } });
    expect(JSON.stringify(many).length).toBeLessThan(MAX_TOOL_INPUT_JSON + 500);
    expect(result).toMatchObject({ kind: "tool_result", output: expect.stringMatching(/more characters\]$/) });
    expect(result?.kind === "tool_result" && result.output.length).toBeLessThan(MAX_RECORD_TEXT + 100);
  });

  it("gives each run its own state", () => {
    const done = '{"type":"done"}';
    const text = '{"type":"text","part":{"text":"first run"}}';
    const first = createOutputParser("opencode");
    first.line(text);
    expect(first.line(done)).toEqual([{ kind: "summary", text: "first run", ok: true, turns: 0 }]);
    expect(createOutputParser("opencode").line(done)).toEqual([{ kind: "summary", text: "", ok: true, turns: 0 }]);
  });
});
