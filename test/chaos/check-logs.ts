// Checks on each task's stored logs against what its workers printed.
import { lastClaim, summarize, type FinalTask, type LogEntry, type Submitted, type Violation } from "./observation.js";

// ---- logs: every line once, in order, nothing missing -------------------------------------------

/**
 * The final attempt of a succeeded task stored exactly the lines its worker printed; any other attempt stored a
 * prefix of them (its worker was stopped part way). Every attempt's records have seqs 1..n, `started` first.
 */
export function checkLogs(
  submitted: readonly Submitted[],
  tasks: readonly FinalTask[],
  logs: ReadonlyMap<string, readonly LogEntry[]>,
): Violation[] {
  const out: Violation[] = [];
  const byId = new Map(tasks.map((t) => [t.id, t]));
  for (const s of submitted) {
    const t = byId.get(s.taskId);
    const entries = logs.get(s.taskId);
    if (!t || !entries) continue;
    const last = lastClaim(t);
    const final = t.state === "succeeded" ? last : undefined;
    const claimIds = new Set(entries.map((e) => e.claimId));
    if (final) claimIds.add(final.claimId);
    const want = Array.from({ length: s.lines }, (_, i) => `line ${t.id} ${i + 1}`);
    for (const claimId of claimIds) {
      const v = (message: string) => out.push({ check: "logs", taskId: t.id, message: `task ${t.id} claim ${claimId}: ${message}` });
      const mine = entries.filter((e) => e.claimId === claimId);
      for (const problem of recordProblems(mine)) v(problem);
      const text = mine
        .filter((e) => e.record.kind === "log" && e.record.stream === "stdout")
        .map((e) => e.record.text ?? "")
        .join("");
      const diff = claimId === final?.claimId ? firstDifference(want, splitLines(text)) : notAPrefix(want, text);
      if (diff) v(diff);
    }
  }
  return out;
}

function recordProblems(entries: readonly LogEntry[]): string[] {
  const problems: string[] = [];
  const seqs = entries.map((e) => e.record.seq);
  const bad = seqs.findIndex((q, i) => q !== i + 1);
  if (bad !== -1) problems.push(`record seqs are not 1..${seqs.length} in order: at position ${bad + 1} got ${seqs[bad]} (${summarize(seqs)})`);
  if (entries.length > 0 && entries[0]!.record.kind !== "started") problems.push(`the first record is ${entries[0]!.record.kind}, not started`);
  return problems;
}

function splitLines(text: string): string[] {
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  return lines;
}

/** An interrupted worker's output: whole lines in order from the first, the last possibly cut short. */
function notAPrefix(want: readonly string[], text: string): string | null {
  const lines = text.split("\n");
  const partial = lines.pop() ?? "";
  for (const [i, line] of lines.entries())
    if (want[i] !== line)
      return `stored output of a stopped attempt is not what its worker printed, in order: at line ${i + 1} expected ${JSON.stringify(want[i] ?? "<end>")}, got ${JSON.stringify(line)}`;
  const next = want[lines.length];
  if (partial !== "" && (next === undefined || !next.startsWith(partial)))
    return `stored output of a stopped attempt ends with ${JSON.stringify(partial)} where ${JSON.stringify(next ?? "<end>")} was due`;
  return null;
}

function firstDifference(want: readonly string[], got: readonly string[]): string | null {
  const n = Math.max(want.length, got.length);
  for (let i = 0; i < n; i++) {
    if (want[i] === got[i]) continue;
    const where = `at line ${i + 1}: expected ${JSON.stringify(want[i] ?? "<end>")}, got ${JSON.stringify(got[i] ?? "<end>")}`;
    return `stdout has ${got.length} lines where the worker printed ${want.length}; first difference ${where}`;
  }
  return null;
}
