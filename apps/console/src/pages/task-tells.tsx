// Messages to a task's worker: the form, and what was sent with whether it was delivered.
import { TellList, TellView } from "@muster/protocol";
import { useState, type FormEvent } from "react";
import { api, errorText } from "../api";
import { Ago, StateBadge } from "../components/ui";

export async function loadTells(id: string): Promise<TellView[]> {
  return (await api.get(`/v1/tasks/${encodeURIComponent(id)}/tells`, TellList)).tells;
}

export function TellSection({
  taskId,
  tells,
  canTell,
  onSent,
}: {
  taskId: string;
  tells: TellView[];
  canTell: boolean;
  onSent: () => void;
}) {
  const [text, setText] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [sent, setSent] = useState(false);
  const submit = async (e?: FormEvent) => {
    e?.preventDefault();
    if (!text.trim()) {
      setError("Type a message first.");
      return;
    }
    setBusy(true);
    setError(null);
    setSent(false);
    try {
      await api.post(`/v1/tasks/${encodeURIComponent(taskId)}/tell`, { text }, TellView);
      setText("");
      setSent(true);
      onSent();
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="section" aria-labelledby="task-tell">
      <h2 id="task-tell">{canTell ? "Message the worker" : "Messages to the worker"}</h2>
      <div className="card">
        {canTell && (
          <form onSubmit={submit} noValidate className="tell-form">
            <label htmlFor="tell-text">Message</label>
            <p id="tell-help" className="help">
              The worker reads it with <code>muster told</code>; agents that support steering pick it up on their next turn.
            </p>
            <div className="inline-form">
              <textarea
                id="tell-text"
                rows={2}
                value={text}
                onChange={(e) => {
                  setText(e.target.value);
                  setSent(false);
                }}
                aria-invalid={error ? true : undefined}
                aria-describedby={error ? "tell-error tell-help" : "tell-help"}
                onKeyDown={(e) => {
                  if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
                    e.preventDefault();
                    void submit();
                  }
                }}
              />
              <button type="submit" className="btn" disabled={busy}>
                {busy ? "Sending…" : "Send message"}
              </button>
            </div>
            {error && (
              <p id="tell-error" className="field-error" role="alert">
                {error}
              </p>
            )}
            <p className="help" role="status">
              {sent ? "Sent. It shows as delivered once the node has it." : ""}
            </p>
          </form>
        )}
        {tells.length > 0 && (
          <ul className="tell-list" aria-label="Messages sent">
            {tells.map((m) => (
              <li key={m.id}>
                <span className="tell-text">{m.text}</span>
                <span className="muted tell-meta">
                  {m.from} · <Ago iso={m.createdAt} /> · <StateBadge state={m.state} />
                </span>
              </li>
            ))}
          </ul>
        )}
      </div>
    </section>
  );
}
