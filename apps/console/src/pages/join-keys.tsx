// Join keys: create one (shown once, with the exact command that joins a machine), list them, revoke them.
import { JoinKeyCreated, JoinKeyList, type JoinKeyView } from "@muster/protocol";
import { useState, type FormEvent } from "react";
import { api, errorText } from "../api";
import { Field } from "../components/field";
import { SecretReveal } from "../components/secret-reveal";
import { Ago, ConfirmButton, Empty, ErrorBox, Labels, Loading, PageHeader, StateBadge, useTitle } from "../components/ui";
import { dateTime, parseDuration, parseLabels, roughly } from "../format";
import { useResource } from "../live";
import { useSession } from "../session";

export function JoinKeysPage() {
  useTitle("Join keys");
  const { role } = useSession();
  if (role !== "admin")
    return (
      <>
        <PageHeader title="Join keys" />
        <Empty title="Only admins manage join keys.">
          <p>Ask an admin for a join key, or sign in with an admin token.</p>
        </Empty>
      </>
    );
  return <JoinKeys />;
}

function JoinKeys() {
  const keys = useResource(
    () => api.get("/v1/join-keys", JoinKeyList),
    [],
    // A node joining uses up a key; key changes from other consoles arrive as join_key events.
    (e) => e.type === "node" || e.type === "join_key",
    { pollMs: 30_000 },
  );
  const [created, setCreated] = useState<JoinKeyCreated | null>(null);
  return (
    <>
      <PageHeader title="Join keys" />
      <p className="muted intro">
        A join key lets a machine enrol itself as a node. Keys are shown once, carry labels for the nodes that use them, and stop
        working when they expire, are used up or are revoked. Revoking a key does not affect nodes that already joined.
      </p>
      <CreateForm
        onCreated={(k) => {
          setCreated(k);
          keys.reload();
        }}
      />
      {created && <Reveal created={created} onDismiss={() => setCreated(null)} />}
      <section className="section" aria-labelledby="keys-heading">
        <h2 id="keys-heading">Keys</h2>
        {keys.error ? <ErrorBox error={keys.error} retry={keys.reload} /> : null}
        {!keys.data && !keys.error ? <Loading what="join keys" /> : null}
        {keys.data &&
          (keys.data.joinKeys.length === 0 ? (
            <Empty title="No join keys yet.">
              <p>Create one above to add a machine to the fleet.</p>
            </Empty>
          ) : (
            <KeyTable keys={keys.data.joinKeys} onRevoked={keys.reload} />
          ))}
      </section>
    </>
  );
}

interface FormErrors {
  uses?: string;
  ttl?: string;
  labels?: string;
  description?: string;
  form?: string;
}

function CreateForm({ onCreated }: { onCreated: (k: JoinKeyCreated) => void }) {
  const [uses, setUses] = useState("1");
  const [ttl, setTtl] = useState("24h");
  const [labels, setLabels] = useState("");
  const [description, setDescription] = useState("");
  const [errors, setErrors] = useState<FormErrors>({});
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const errs: FormErrors = {};
    const n = Number(uses);
    if (!/^\d+$/.test(uses.trim()) || n < 1 || n > 100_000) errs.uses = "A whole number from 1 to 100000.";
    const ttlMs = parseDuration(ttl);
    if (ttlMs === null || ttlMs < 1000 || ttlMs > 365 * 86_400_000) errs.ttl = "A duration like 30m, 24h or 7d (at most 365d).";
    let parsedLabels: Record<string, string> = {};
    try {
      parsedLabels = parseLabels(labels);
    } catch (err) {
      errs.labels = `${(err as Error).message}. Write labels as key=value, separated by commas.`;
    }
    if (description.length > 200) errs.description = "At most 200 characters.";
    setErrors(errs);
    if (Object.keys(errs).length > 0) return;
    setBusy(true);
    try {
      const body = { uses: n, ttlMs, labels: parsedLabels, ...(description.trim() ? { description: description.trim() } : {}) };
      onCreated(await api.post("/v1/join-keys", body, JoinKeyCreated));
      setLabels("");
      setDescription("");
    } catch (err) {
      setErrors({ form: errorText(err) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="card" onSubmit={submit} noValidate aria-labelledby="create-heading">
      <h2 id="create-heading">Create a join key</h2>
      <div className="form-grid">
        <Field id="jk-uses" label="Uses" error={errors.uses} help="How many machines may join with it.">
          {(p) => <input {...p} inputMode="numeric" value={uses} onChange={(e) => setUses(e.target.value)} />}
        </Field>
        <Field id="jk-ttl" label="Expires in" error={errors.ttl} help="30m, 24h, 7d…">
          {(p) => <input {...p} value={ttl} onChange={(e) => setTtl(e.target.value)} />}
        </Field>
        <Field id="jk-labels" label="Labels" error={errors.labels} help="Given to every node that joins with it.">
          {(p) => <input {...p} value={labels} placeholder="gpu=true, region=eu" onChange={(e) => setLabels(e.target.value)} />}
        </Field>
        <Field id="jk-description" label="Description" error={errors.description} help="Optional; for you, not the nodes.">
          {(p) => <input {...p} value={description} placeholder="build boxes in rack 4" onChange={(e) => setDescription(e.target.value)} />}
        </Field>
      </div>
      {errors.form && (
        <p className="field-error" role="alert">
          {errors.form}
        </p>
      )}
      <div className="form-actions">
        <button type="submit" className="btn primary" disabled={busy}>
          {busy ? "Creating…" : "Create join key"}
        </button>
      </div>
    </form>
  );
}

function Reveal({ created, onDismiss }: { created: JoinKeyCreated; onDismiss: () => void }) {
  return (
    <SecretReveal
      title={`Join key ${created.id} created`}
      what="Join key"
      noun="key"
      secret={created.key}
      commandHeading="On the machine to add"
      command={`muster-node join ${location.origin} --name "$(hostname)" --key ${created.key}\nmuster-node start`}
      commandLabel="Join command"
      testIds={{ secret: "join-key", command: "join-command" }}
      onDismiss={onDismiss}
    >
      <p className="help">
        It may join {created.uses === 1 ? "once" : `${created.uses} times`} until {dateTime(created.expiresAt)}
        {Object.keys(created.labels).length > 0
          ? `; its nodes get ${Object.entries(created.labels).map(([k, v]) => `${k}=${v}`).join(", ")}`
          : ""}
        .
      </p>
    </SecretReveal>
  );
}

function KeyTable({ keys, onRevoked }: { keys: JoinKeyView[]; onRevoked: () => void }) {
  return (
    <div className="table-wrap">
      <table className="stack" aria-label="Join keys">
        <thead>
          <tr>
            <th scope="col">Key</th>
            <th scope="col">State</th>
            <th scope="col" className="num">
              Used
            </th>
            <th scope="col">Labels</th>
            <th scope="col">Created</th>
            <th scope="col">Expires</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {keys.map((k) => (
            <tr key={k.id} data-key={k.id}>
              <td data-label="Key">
                <span className="mono">{k.id}</span>
                {k.description && <div className="muted small">{k.description}</div>}
              </td>
              <td data-label="State">
                <StateBadge state={k.state} />
              </td>
              <td data-label="Used" className="num">
                {k.used} / {k.uses}
              </td>
              <td data-label="Labels">
                <Labels labels={k.labels} />
              </td>
              <td data-label="Created">
                <Ago iso={k.createdAt} />
              </td>
              <td data-label="Expires">
                {k.state === "active" ? (
                  <span title={dateTime(k.expiresAt)}>in {roughly(Date.parse(k.expiresAt) - Date.now())}</span>
                ) : k.revokedAt ? (
                  <span className="muted">
                    revoked <Ago iso={k.revokedAt} />
                  </span>
                ) : (
                  <Ago iso={k.expiresAt} />
                )}
              </td>
              <td className="actions">
                {k.state === "active" && (
                  <ConfirmButton
                    label="Revoke"
                    ariaLabel={`Revoke join key ${k.id}`}
                    danger
                    title={`Revoke join key ${k.id}?`}
                    body={<p>No machine can join with it any more. Nodes that already joined with it keep working.</p>}
                    confirmLabel="Revoke key"
                    onConfirm={async () => {
                      await api.del(`/v1/join-keys/${encodeURIComponent(k.id)}`);
                      onRevoked();
                    }}
                  />
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
