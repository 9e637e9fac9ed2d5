// Small building blocks every page uses.
import { useEffect, useRef, useState, type ReactNode } from "react";
import { errorText } from "../api";
import { ago, dateTime } from "../format";

/** A state word with its colour; the word itself carries the meaning, the colour only helps. */
export function StateBadge({ state, title }: { state: string; title?: string }) {
  return (
    <span className={`badge state-${state}`} title={title}>
      {state.replace(/_/g, " ")}
    </span>
  );
}

export function Labels({ labels, empty = "—" }: { labels: Record<string, string>; empty?: string }) {
  const entries = Object.entries(labels);
  if (entries.length === 0) return <span className="muted">{empty}</span>;
  return (
    <ul className="chips" aria-label="labels">
      {entries.map(([k, v]) => (
        <li key={k} className="chip">
          {k}={v}
        </li>
      ))}
    </ul>
  );
}

const nowListeners = new Set<(t: number) => void>();
setInterval(() => {
  const t = Date.now();
  nowListeners.forEach((fn) => fn(t));
}, 1000);

/** The current time, re-rendering every second: for ages that must keep counting. */
export function useNow(): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    nowListeners.add(setNow);
    return () => void nowListeners.delete(setNow);
  }, []);
  return now;
}

export function Ago({ iso }: { iso: string | null | undefined }) {
  const now = useNow();
  if (!iso) return <span className="muted">—</span>;
  return (
    <time dateTime={iso} title={dateTime(iso)}>
      {ago(iso, now)}
    </time>
  );
}

export function Empty({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="empty" role="status">
      <p className="empty-title">{title}</p>
      {children && <div className="empty-body">{children}</div>}
    </div>
  );
}

export function ErrorBox({ error, retry }: { error: unknown; retry?: () => void }) {
  return (
    <div className="error-box" role="alert">
      <span>{errorText(error)}</span>
      {retry && (
        <button type="button" className="btn small" onClick={retry}>
          Try again
        </button>
      )}
    </div>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p className="loading" role="status" aria-live="polite">
      Loading {what}…
    </p>
  );
}

/** A button that asks before it does something that cannot be undone, in a real modal dialog. */
export function ConfirmButton({
  label,
  title,
  body,
  confirmLabel,
  onConfirm,
  danger,
  className,
  disabled,
  ariaLabel,
}: {
  label: string;
  /** A fuller name for screen readers when `label` alone is ambiguous, e.g. "Revoke node-a". */
  ariaLabel?: string;
  title: string;
  body: ReactNode;
  confirmLabel: string;
  onConfirm: () => Promise<unknown> | void;
  danger?: boolean;
  className?: string;
  disabled?: boolean;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const confirm = async () => {
    setBusy(true);
    setError(null);
    try {
      await onConfirm();
      ref.current?.close();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <button
        type="button"
        className={className ?? `btn small${danger ? " danger" : ""}`}
        disabled={disabled}
        aria-label={ariaLabel}
        onClick={() => ref.current?.showModal()}
      >
        {label}
      </button>
      <dialog ref={ref} className="dialog" aria-label={title} onClose={() => setError(null)}>
        <h2 className="dialog-title">{title}</h2>
        <div className="dialog-body">{body}</div>
        {error ? <ErrorBox error={error} /> : null}
        <div className="dialog-actions">
          <button type="button" className="btn" onClick={() => ref.current?.close()} autoFocus>
            Keep it
          </button>
          <button type="button" className={`btn ${danger ? "danger" : "primary"}`} onClick={confirm} disabled={busy}>
            {busy ? "Working…" : confirmLabel}
          </button>
        </div>
      </dialog>
    </>
  );
}

/** Copies text; falls back to selecting a hidden field where the clipboard API is not allowed (plain http). */
export function CopyButton({ text, label = "Copy" }: { text: string; label?: string }) {
  const [done, setDone] = useState<"copied" | "failed" | null>(null);
  const copy = async () => {
    try {
      if (navigator.clipboard && window.isSecureContext) await navigator.clipboard.writeText(text);
      else {
        const ta = document.createElement("textarea");
        ta.value = text;
        ta.setAttribute("readonly", "");
        ta.style.position = "fixed";
        ta.style.opacity = "0";
        document.body.appendChild(ta);
        ta.select();
        const ok = document.execCommand("copy");
        ta.remove();
        if (!ok) throw new Error("copy refused");
      }
      setDone("copied");
    } catch {
      setDone("failed");
    }
    setTimeout(() => setDone(null), 2000);
  };
  return (
    <button type="button" className="btn small" onClick={copy} aria-live="polite">
      {done === "copied" ? "Copied" : done === "failed" ? "Select and copy" : label}
    </button>
  );
}

/** An action button that shows progress and reports failure next to itself. */
export function ActionButton({
  label,
  onClick,
  className = "btn small",
  disabled,
  "aria-label": ariaLabel,
}: {
  label: string;
  "aria-label"?: string;
  onClick: () => Promise<unknown>;
  className?: string;
  disabled?: boolean;
}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  return (
    <span className="action">
      <button
        type="button"
        className={className}
        aria-label={ariaLabel}
        disabled={disabled || busy}
        onClick={async () => {
          setBusy(true);
          setError(null);
          try {
            await onClick();
          } catch (err) {
            setError(err);
          } finally {
            setBusy(false);
          }
        }}
      >
        {label}
      </button>
      {error ? (
        <span className="action-error" role="alert">
          {errorText(error)}
        </span>
      ) : null}
    </span>
  );
}

export function PageHeader({ title, children }: { title: ReactNode; children?: ReactNode }) {
  return (
    <div className="page-header">
      <h1>{title}</h1>
      {children && <div className="page-actions">{children}</div>}
    </div>
  );
}

/** Keeps the document title in step with the page. */
export function useTitle(title: string): void {
  useEffect(() => {
    document.title = `${title} · Muster`;
  }, [title]);
}
