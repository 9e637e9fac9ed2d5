// Task views: the task table (`tasks`), one task's fields and its attempts (`task`).
import { type AttemptView, formatDuration, type TaskDetail, type TaskView } from "@muster/protocol";
import type { Paint } from "./color.js";
import { formatFields, formatTable, truncate } from "./table.js";
import { shellJoin, taskWhat } from "./text.js";
import { agoSince, formatClock, formatTimestamp } from "./time.js";

/** The WAITING ON column appears when some task in the list waits for a reason. */
export function taskTable(tasks: readonly TaskView[], now: number, paintState?: Paint): string {
  const waiting = tasks.some((t) => t.pending);
  const headers = ["ID", "STATE", "AGENT", "NODE", "ATTEMPTS", "AGE", "COMMAND", ...(waiting ? ["WAITING ON"] : [])];
  return formatTable(
    headers,
    tasks.map((t) => [
      t.id,
      t.state,
      t.agent,
      t.nodeName ?? "-",
      `${t.attempts}/${t.maxAttempts}`,
      agoSince(t.createdAt, now).replace(/ ago$/, ""),
      taskWhat(t),
      ...(waiting ? [t.pending ? truncate(t.pending, 60) : ""] : []),
    ]),
    { paint: [undefined, paintState] },
  );
}

/** "affinity (acme/web)", "spread over zone", "least-loaded (default)". */
function placementOf(t: TaskView): string {
  if (!t.policy) return "coordinator default";
  if (t.policy === "affinity" && t.affinityKey) return `affinity (${t.affinityKey})`;
  if (t.policy === "spread" && t.spreadLabel) return `spread over ${t.spreadLabel}`;
  return t.policy;
}

/** "failed: exit code 3" / "failed: timeout (killed after 10m)" / "running". */
export function taskOutcome(t: Pick<TaskView, "state" | "exitCode" | "reason" | "message">): string {
  const parts: string[] = [];
  if (t.reason && t.reason !== "exit_code" && t.reason !== t.state) parts.push(t.reason);
  if (t.exitCode !== null) parts.push(`exit code ${t.exitCode}`);
  // For a plain non-zero exit the message only repeats the code; an agent's own words after it are worth showing.
  const said = t.reason === "exit_code" ? t.message?.replace(/^exited with code -?\d+(: )?/, "") : t.message;
  if (said) parts.push(truncate(said, 200));
  return parts.length ? `${t.state}: ${parts.join(", ")}` : t.state;
}

export function taskFields(t: TaskView, now: number): string {
  const fields: [string, string][] = [
    ["id", t.id],
    ["name", t.name ?? "-"],
    ["state", taskOutcome(t)],
    ["agent", t.agent],
  ];
  if (t.argv.length) fields.push(["command", shellJoin(t.argv)]);
  if (t.prompt !== null) fields.push(["prompt", truncate(t.prompt.replace(/\s+/g, " ").trim(), 300)]);
  if (t.model) fields.push(["model", t.model]);
  if (t.thinking) fields.push(["thinking", t.thinking]);
  if (t.pending) fields.push(["waiting on", t.pending]);
  if (t.waiting) fields.push(["waiting", `a worker waits for an answer (muster asks --task ${t.id})`]);
  if (t.repo) fields.push(["repo", t.ref ? `${t.repo} @ ${t.ref}` : t.repo]);
  if (t.workspace) {
    const w = t.workspace;
    const dirty = w.dirty ? ", uncommitted changes" : "";
    fields.push(["workspace", `${w.branch} ${w.base.slice(0, 8)}..${w.head.slice(0, 8)}: ${w.filesChanged} files, +${w.insertions} -${w.deletions}${dirty}`]);
  }
  if (t.verify) {
    const v = t.verifyResult;
    fields.push(["verify", v ? `${v.command}: ${v.passed ? "passed" : `failed (exit ${v.exitCode ?? "-"})`}` : t.verify]);
  }
  if (t.approveTools) {
    const limit = t.approveToolsTimeoutMs ? `, denied if unanswered in ${formatDuration(t.approveToolsTimeoutMs)}` : "";
    fields.push(["approve tools", `${t.approveTools === "all" ? "all" : t.approveTools.join(", ")}${limit}`]);
  }
  if (t.result) fields.push(["result", "error" in t.result ? `not stored: ${t.result.error}` : truncate(JSON.stringify(t.result.value), 300)]);
  if (t.notBefore) fields.push(["next attempt", formatTimestamp(t.notBefore, now)]);
  fields.push(
    ["selector", t.selector || "-"],
    ["placement", placementOf(t)],
    ["priority", String(t.priority)],
    ["timeout", formatDuration(t.timeoutMs)],
    ["attempts", `${t.attempts} of ${t.maxAttempts}${t.retryOn ? ` (retried on ${t.retryOn.join(", ")})` : ""}`],
    [
      "cost",
      `$${t.costUsd.toFixed(2)}${t.maxCostUsd !== null ? ` of at most $${t.maxCostUsd.toFixed(2)}` : ""}` +
        (t.tokens.input || t.tokens.output ? ` (${t.tokens.input} in, ${t.tokens.output} out tokens)` : ""),
    ],
    ["node", t.nodeName ? `${t.nodeName} (${t.nodeId ?? "?"})` : "-"],
    ...(t.group ? [["group", t.groupLimit ? `${t.group} (at most ${t.groupLimit} at once)` : t.group] as [string, string]] : []),
    ["created", formatTimestamp(t.createdAt, now)],
    ["started", formatTimestamp(t.startedAt, now)],
    ["finished", formatTimestamp(t.finishedAt, now)],
    ["created by", t.createdBy ?? "-"],
  );
  return formatFields(fields);
}

export function attemptTable(claims: readonly AttemptView[], now: number): string {
  return formatTable(
    ["#", "CLAIM", "NODE", "TOKEN", "STATE", "OFFERED", "STARTED", "FINISHED", "EXIT", "REASON"],
    claims.map((c) => [
      String(c.attempt),
      c.claimId,
      `${c.nodeName} (${c.nodeId})`,
      String(c.token),
      c.state,
      formatClock(c.offeredAt, now),
      formatClock(c.startedAt, now),
      formatClock(c.finishedAt, now),
      c.exitCode !== null ? String(c.exitCode) : (c.signal ?? "-"),
      c.reason ?? "-",
    ]),
    { align: ["right", "left", "left", "right"] },
  );
}

export function taskDetail(t: TaskDetail, now: number): string {
  const attempts = t.claims.length ? attemptTable(t.claims, now) : "no attempts yet";
  return `${taskFields(t, now)}\n\nATTEMPTS\n${attempts}`;
}
