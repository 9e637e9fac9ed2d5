// What every output parser shares: the records it yields, the line-at-a-time interface, and the guard that
// turns a stdout line into a JSON event, keeps a format's bug from escaping and bounds each record's size.
import type { ClaimRecord } from "@muster/protocol";
import { isObject, type JsonObject } from "./fields.js";

type ParsedKind = "message" | "tool_call" | "tool_result" | "cost" | "summary";
type WithoutStamp<R> = R extends ClaimRecord ? Omit<R, "seq" | "ts"> : never;

/** A record parsed from an agent's output; the worker stamps it with seq and ts. */
export type ParsedRecord = WithoutStamp<Extract<ClaimRecord, { kind: ParsedKind }>>;

/** How the agent's process ended. */
export interface ProcessEnd {
  exitCode: number | null;
  signal: string | null;
  /** The node stopped it (time limit, budget, revoke...): the run did not come to its own end. */
  stopped: boolean;
}

/** Fed one stdout line at a time; never throws. */
export interface AgentOutputParser {
  /** One complete line, without its newline. */
  line(text: string): ParsedRecord[];
  /** The process has ended; records the format only knows then (a format without a closing line). */
  end(how: ProcessEnd): ParsedRecord[];
}

/** One output format: gets each line that is a JSON object. */
export interface FormatHandler {
  event(event: JsonObject): ParsedRecord[];
  end?(how: ProcessEnd): ParsedRecord[];
}

/**
 * Bounds on one parsed record. The raw line is kept in the log records anyway; these keep a single
 * record (a huge file read, a long tool input) far below the 1 MiB frame limit.
 */
export const MAX_RECORD_TEXT = 16 * 1024;
export const MAX_TOOL_INPUT_JSON = 16 * 1024;
const MAX_INPUT_STRING = 1024;

export function outputParser(format: FormatHandler): AgentOutputParser {
  return {
    line(text) {
      const trimmed = text.trim();
      // Agents and their wrappers may print plain text around the JSON; only object lines are events.
      if (!trimmed.startsWith("{")) return [];
      let event: unknown;
      try {
        event = JSON.parse(trimmed);
      } catch {
        return [];
      }
      return isObject(event) ? guarded(() => format.event(event)) : [];
    },
    end(how) {
      return guarded(() => format.end?.(how) ?? []);
    },
  };
}

/** A format that meets a shape it did not expect yields nothing for that line rather than failing the claim. */
function guarded(parse: () => ParsedRecord[]): ParsedRecord[] {
  try {
    return parse().map(bounded);
  } catch {
    return [];
  }
}

export function truncateText(text: string, max = MAX_RECORD_TEXT): string {
  if (text.length <= max) return text;
  let end = max;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return `${text.slice(0, end)}… [${text.length - end} more characters]`;
}

function bounded(record: ParsedRecord): ParsedRecord {
  switch (record.kind) {
    case "message":
    case "summary":
      return { ...record, text: truncateText(record.text) };
    case "tool_result":
      return { ...record, output: truncateText(record.output) };
    case "tool_call":
      return { ...record, input: boundedInput(record.input) };
    case "cost":
      return record;
  }
}

/** A tool input too large for a record keeps its shape with long strings cut; failing that, a cut JSON preview. */
export function boundedInput(input: unknown): unknown {
  const json = JSON.stringify(input) ?? "null";
  if (json.length <= MAX_TOOL_INPUT_JSON) return input;
  const cut = cutStrings(input, 0);
  const cutJson = JSON.stringify(cut) ?? "null";
  if (cutJson.length <= MAX_TOOL_INPUT_JSON) return cut;
  return { truncated: true, json: truncateText(json, MAX_TOOL_INPUT_JSON / 2) };
}

function cutStrings(value: unknown, depth: number): unknown {
  if (typeof value === "string") return truncateText(value, MAX_INPUT_STRING);
  if (depth > 20 || value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((v) => cutStrings(v, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, cutStrings(v, depth + 1)]));
}
