// A secret the coordinator shows only once (a join key, an API token), with the command that uses it.
import type { ReactNode } from "react";
import { CopyButton } from "./ui";

export function SecretReveal({
  title,
  what,
  secret,
  noun,
  commandHeading,
  command,
  commandLabel,
  testIds,
  children,
  onDismiss,
}: {
  title: ReactNode;
  /** The secret's accessible name, e.g. "Join key". */
  what: string;
  /** What to call it in text and on its copy button, e.g. "key". */
  noun: string;
  secret: string;
  commandHeading: string;
  command: string;
  /** The command's accessible name, e.g. "Join command". */
  commandLabel: string;
  testIds: { secret: string; command: string };
  children?: ReactNode;
  onDismiss: () => void;
}) {
  return (
    <section className="card section reveal" aria-labelledby="reveal-heading" role="region">
      <h2 id="reveal-heading">{title}</h2>
      <p className="notice warn">This is the only time the {noun} is shown. Copy it now.</p>
      <h3>{noun[0]!.toUpperCase() + noun.slice(1)}</h3>
      <div className="secret">
        <pre aria-label={what} data-testid={testIds.secret}>
          {secret}
        </pre>
        <CopyButton text={secret} label={`Copy ${noun}`} />
      </div>
      <h3 className="section">{commandHeading}</h3>
      <div className="secret">
        <pre aria-label={commandLabel} data-testid={testIds.command}>
          {command}
        </pre>
        <CopyButton text={command} label="Copy command" />
      </div>
      {children}
      <div className="form-actions">
        <button type="button" className="btn" onClick={onDismiss}>
          Done
        </button>
      </div>
    </section>
  );
}
