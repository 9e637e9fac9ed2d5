// One-line renderings of a claim's non-log records and of a followed log's end, for `logs --verbose`.
import type { ClaimRecord, LogEnd } from "@muster/protocol";
import { shellJoin } from "./text.js";

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
