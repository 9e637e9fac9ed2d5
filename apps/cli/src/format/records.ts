// Renderings of a claim's records for a terminal: an agent's parsed output, the one-line lifecycle records of
// `logs --verbose`, and a followed log's end.
import { type ClaimRecord, type LogEnd, summarizeToolInput } from "@muster/protocol";
import { truncate } from "./table.js";
import { shellJoin } from "./text.js";

/** An agent's parsed record as a person reads it in a terminal; undefined for what is not worth a line. */
export function renderAgentRecord(record: ClaimRecord): { text: string; meta: boolean } | undefined {
  switch (record.kind) {
    case "message":
      return record.role === "assistant" && record.text.trim() !== "" ? { text: record.text.trimEnd(), meta: false } : undefined;
    case "tool_call":
      return { text: `→ ${record.name} ${summarizeToolInput(record.name, record.input, 120)}`.trimEnd(), meta: true };
    case "tool_result": {
      const first = record.output.split("\n").find((l) => l.trim() !== "") ?? "";
      return { text: `${record.ok ? "←" : "← error:"} ${truncate(first.trim(), 120)}`.trimEnd(), meta: true };
    }
    case "summary": {
      const facts = [record.ok ? "done" : "failed"];
      if (record.turns !== undefined) facts.push(`${record.turns} turns`);
      if (record.durationMs !== undefined) facts.push(`${(record.durationMs / 1000).toFixed(1)} s`);
      return { text: `[${facts.join(", ")}${record.ok ? "" : `: ${truncate(record.text.replace(/\s+/g, " ").trim(), 200)}`}]`, meta: true };
    }
    default:
      return undefined;
  }
}

export function describeRecord(record: ClaimRecord, attempt: number, nodeName: string | undefined): string | undefined {
  switch (record.kind) {
    case "log":
      return undefined;
    case "started": {
      const pid = record.pid === null ? "" : ` pid ${record.pid}`;
      const where = nodeName ? ` on node ${nodeName}` : "";
      const which = attempt > 1 ? ` (attempt ${attempt})` : "";
      return `[started${pid}${where}${which}: ${shellJoin(record.command)}]`;
    }
    case "progress":
      return `[${record.message}]`;
    case "cost": {
      const tokens =
        record.inputTokens !== undefined || record.outputTokens !== undefined
          ? ` (${record.inputTokens ?? 0} in, ${record.outputTokens ?? 0} out tokens)`
          : "";
      return `[cost $${record.usd.toFixed(4)}${tokens}]`;
    }
  }
}

/** `[task failed, exit code 2]`, or the reason when the exit code is not why: `[task failed: not approved]`. */
export function describeEnd(end: LogEnd): string {
  if (end.reason && end.reason !== "exit_code" && end.reason !== end.state) return `[task ${end.state}: ${end.reason.replace(/_/g, " ")}]`;
  return end.exitCode === null ? `[task ${end.state}]` : `[task ${end.state}, exit code ${end.exitCode}]`;
}
