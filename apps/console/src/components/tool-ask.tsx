// A Claude Code tool call waiting for approval: the tool, its input, the diff of an edit, and the three answers
// (allow, allow for this task, deny with a reason the agent is told).
import { summarizeToolInput, type ToolAsk } from "@muster/protocol";
import { useId, useState } from "react";

/** A unified diff with added and removed lines marked, so colour is not the only cue. */
export function DiffBlock({ diff }: { diff: string }) {
  const lines = diff.replace(/\n$/, "").split("\n");
  return (
    <pre className="ask-diff" aria-label="Proposed change">
      {lines.map((line, i) => {
        const kind = line.startsWith("+++") || line.startsWith("---") ? "diff-file" : line.startsWith("+") ? "diff-add" : line.startsWith("-") ? "diff-del" : line.startsWith("@@") ? "diff-hunk" : "";
        return (
          <span key={i} className={kind}>
            {line}
            {"\n"}
          </span>
        );
      })}
    </pre>
  );
}

export function ToolCall({ tool }: { tool: ToolAsk }) {
  const input = JSON.stringify(tool.input, null, 2) ?? "";
  return (
    <div className="ask-tool">
      <p className="ask-tool-line">
        <span className="ask-tool-name">{tool.name}</span> <code>{summarizeToolInput(tool.name, tool.input)}</code>
      </p>
      <details>
        <summary className="muted small">Input</summary>
        <pre className="ask-diff">{input}</pre>
      </details>
      {tool.diff && <DiffBlock diff={tool.diff} />}
    </div>
  );
}

/** The answers of a tool ask; `answer` sends one (with the reason for a deny). */
export function ToolAnswers({ busy, answer }: { busy: string | null; answer: (value: string, reason?: string) => void }) {
  const [reason, setReason] = useState("");
  const reasonId = useId();
  return (
    <div className="ask-tool-answers">
      <div className="ask-options" role="group" aria-label="Answers">
        <button type="button" className="btn primary" disabled={busy !== null} onClick={() => answer("allow")}>
          {busy === "allow" ? "Sending…" : "Allow"}
        </button>
        <button type="button" className="btn" disabled={busy !== null} onClick={() => answer("allow-for-task")} title="Later calls of this tool in this attempt run without asking">
          {busy === "allow-for-task" ? "Sending…" : "Allow for this task"}
        </button>
      </div>
      <label htmlFor={reasonId} className="small">
        Reason for a denial (the agent is told)
      </label>
      <div className="ask-free-row">
        <input id={reasonId} value={reason} onChange={(e) => setReason(e.target.value)} placeholder="optional" />
        <button type="button" className="btn danger" disabled={busy !== null} onClick={() => answer("deny", reason.trim() || undefined)}>
          {busy === "deny" ? "Sending…" : "Deny"}
        </button>
      </div>
    </div>
  );
}
