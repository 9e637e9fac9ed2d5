// Test helpers: the recorded agent transcripts in apps/node/fixtures/agents, fed to a parser line by line.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { ClaimRecord } from "@muster/protocol";
import { LineAssembler } from "../../supervisor/lines.js";
import type { PresetName } from "../presets.js";
import { createOutputParser, type ParsedRecord, type ProcessEnd } from "./index.js";

export const FIXTURES_DIR = fileURLToPath(new URL("../../../fixtures/", import.meta.url));
export const FAKE_AGENT = `${FIXTURES_DIR}fake-agent.mjs`;

export const transcriptPath = (name: string): string => `${FIXTURES_DIR}agents/${name}`;

export function transcriptLines(name: string): string[] {
  return readFileSync(transcriptPath(name), "utf8").split("\n").filter((l) => l !== "");
}

/** Every line through a fresh parser, then its end, as the worker does. */
export const CLEAN_EXIT: ProcessEnd = { exitCode: 0, signal: null, stopped: false };

export function parseLines(preset: PresetName, lines: readonly string[], how: ProcessEnd = CLEAN_EXIT): ParsedRecord[] {
  const parser = createOutputParser(preset);
  return [...lines.flatMap((l) => parser.line(l)), ...parser.end(how)];
}

export const parseTranscript = (preset: PresetName, name: string): ParsedRecord[] => parseLines(preset, transcriptLines(name));

export function countKinds(records: readonly { kind: string }[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of records) counts[r.kind] = (counts[r.kind] ?? 0) + 1;
  return counts;
}

export function ofKind<K extends ParsedRecord["kind"]>(records: readonly ParsedRecord[], kind: K): Extract<ParsedRecord, { kind: K }>[] {
  return records.filter((r): r is Extract<ParsedRecord, { kind: K }> => r.kind === kind);
}

/**
 * The records a worker should produce for the log records it actually produced, however the pipe cut the
 * output: each stdout log record, followed by the records of the lines it completes; what is left at the end.
 */
export function expectedWithParsed(records: readonly ClaimRecord[], preset: PresetName, how: ProcessEnd = CLEAN_EXIT): unknown[] {
  const lines = new LineAssembler();
  const parser = createOutputParser(preset);
  const out: unknown[] = [];
  for (const record of records) {
    if (record.kind !== "started" && record.kind !== "log") continue;
    out.push(withoutStamp(record));
    if (record.kind === "log" && record.stream === "stdout") for (const line of lines.push(record.text)) out.push(...parser.line(line));
  }
  const rest = lines.flush();
  if (rest !== null) out.push(...parser.line(rest));
  out.push(...parser.end(how));
  return out;
}

export function withoutStamp(record: ClaimRecord): unknown {
  const { seq: _seq, ts: _ts, ...body } = record;
  return body;
}
