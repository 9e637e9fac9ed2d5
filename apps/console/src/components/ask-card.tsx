// One pending ask: the question, its options as buttons, or a free-text answer when it has none.
import { AskView } from "@muster/protocol";
import { useId, useState, type FormEvent } from "react";
import { api, errorText } from "../api";
import { Link } from "../router";
import { ToolAnswers, ToolCall } from "./tool-ask";
import { useSession } from "../session";
import { Ago } from "./ui";

export function gateText(gate: string | null): string | null {
  if (!gate) return null;
  return gate === "done" ? "Approval before the task counts as done" : gate === "verify" ? "Approval before verify runs" : `Approval gate: ${gate}`;
}

export function AskCard({ ask, showTask = true, onAnswered }: { ask: AskView; showTask?: boolean; onAnswered?: () => void }) {
  const { canAct } = useSession();
  const [text, setText] = useState("");
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [sent, setSent] = useState<string | null>(null);
  const fieldId = useId();
  const questionId = useId();

  const answer = async (value: string, reason?: string) => {
    setBusy(value);
    setError(null);
    try {
      await api.post(`/v1/asks/${encodeURIComponent(ask.id)}/answer`, { answer: value, ...(reason ? { reason } : {}) }, AskView);
      setSent(value);
      onAnswered?.();
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(null);
    }
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!text.trim()) {
      setError("Write an answer first.");
      return;
    }
    void answer(text.trim());
  };
  const gate = gateText(ask.gate);

  return (
    <article className="card ask-card" aria-labelledby={questionId}>
      {gate && <div className="ask-gate">{gate}</div>}
      {ask.tool ? (
        <>
          <div className="ask-gate" id={questionId}>
            Tool call waiting for approval
          </div>
          <ToolCall tool={ask.tool} />
        </>
      ) : (
        <p className="ask-question" id={questionId}>
          {ask.question}
        </p>
      )}
      <p className="muted small ask-meta">
        {showTask && (
          <>
            <Link to={`/tasks/${encodeURIComponent(ask.taskId)}`}>{ask.taskId}</Link> ·{" "}
          </>
        )}
        {ask.nodeName ?? ask.nodeId} · asked <Ago iso={ask.createdAt} />
        {ask.expiresAt && (
          <>
            {" "}
            · denied if unanswered <Ago iso={ask.expiresAt} />
          </>
        )}
      </p>
      {sent ? (
        <p className="notice ok" role="status">
          Answered “{sent}”. The worker gets it with the node's next message.
        </p>
      ) : !canAct ? (
        <p className="muted">Viewers cannot answer asks.</p>
      ) : ask.tool ? (
        <ToolAnswers busy={busy} answer={(value, reason) => void answer(value, reason)} />
      ) : ask.options.length > 0 ? (
        <div className="ask-options" role="group" aria-label="Answers">
          {ask.options.map((o, i) => (
            <button key={o} type="button" className={`btn${i === 0 ? " primary" : ""}`} disabled={busy !== null} onClick={() => answer(o)}>
              {busy === o ? "Sending…" : o}
            </button>
          ))}
        </div>
      ) : (
        <form className="ask-free" onSubmit={submit}>
          <label htmlFor={fieldId}>Answer</label>
          <div className="ask-free-row">
            <textarea
              id={fieldId}
              value={text}
              rows={2}
              onChange={(e) => setText(e.target.value)}
              onKeyDown={(e) => {
                if (e.key === "Enter" && (e.metaKey || e.ctrlKey)) submit(e);
              }}
              aria-invalid={error ? true : undefined}
            />
            <button type="submit" className="btn primary" disabled={busy !== null}>
              {busy ? "Sending…" : "Send answer"}
            </button>
          </div>
        </form>
      )}
      {error && (
        <p className="field-error" role="alert">
          {error}
        </p>
      )}
    </article>
  );
}
