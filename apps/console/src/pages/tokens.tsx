// API tokens: create one for a teammate or CI (shown once, with the CLI login command), list them, revoke them.
import { type Role, TokenCreated, TokenList, type TokenView } from "@muster/protocol";
import { useState, type FormEvent } from "react";
import { api, errorText } from "../api";
import { Field } from "../components/field";
import { SecretReveal } from "../components/secret-reveal";
import { Ago, ConfirmButton, Empty, ErrorBox, Loading, PageHeader, StateBadge, useTitle } from "../components/ui";
import { useResource } from "../live";
import { useSession } from "../session";

const ROLES: { role: Role; what: string }[] = [
  { role: "viewer", what: "sees everything, changes nothing" },
  { role: "operator", what: "also submits, cancels and answers, cordons and drains" },
  { role: "admin", what: "also revokes nodes, manages join keys and tokens" },
];

export function TokensPage() {
  useTitle("API tokens");
  const { role } = useSession();
  if (role !== "admin")
    return (
      <>
        <PageHeader title="API tokens" />
        <Empty title="Only admins manage API tokens.">
          <p>Ask an admin for a token, or sign in with an admin token.</p>
        </Empty>
      </>
    );
  return <Tokens />;
}

function Tokens() {
  // No live event carries token changes; a slow poll keeps another console's changes from going stale for long.
  const tokens = useResource(() => api.get("/v1/tokens", TokenList), [], undefined, { pollMs: 30_000 });
  const [created, setCreated] = useState<TokenCreated | null>(null);
  return (
    <>
      <PageHeader title="API tokens" />
      <p className="muted intro">
        People and CI sign in to the console and the <code>muster</code> CLI with an API token. Each token has a role. Tokens are shown
        once and do not expire; revoking one ends its console sessions at once. The last active admin token cannot be revoked.
      </p>
      <CreateForm
        onCreated={(t) => {
          setCreated(t);
          tokens.reload();
        }}
      />
      {created && <Reveal created={created} onDismiss={() => setCreated(null)} />}
      <section className="section" aria-labelledby="tokens-heading">
        <h2 id="tokens-heading">Tokens</h2>
        {tokens.error ? <ErrorBox error={tokens.error} retry={tokens.reload} /> : null}
        {!tokens.data && !tokens.error ? <Loading what="API tokens" /> : null}
        {tokens.data &&
          (tokens.data.tokens.length === 0 ? (
            <Empty title="No API tokens yet." />
          ) : (
            <TokenTable tokens={tokens.data.tokens} onRevoked={tokens.reload} />
          ))}
      </section>
    </>
  );
}

interface FormErrors {
  name?: string;
  form?: string;
}

function CreateForm({ onCreated }: { onCreated: (t: TokenCreated) => void }) {
  const [name, setName] = useState("");
  const [role, setRole] = useState<Role>("viewer");
  const [errors, setErrors] = useState<FormErrors>({});
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const errs: FormErrors = {};
    const trimmed = name.trim();
    if (trimmed.length < 1 || trimmed.length > 100) errs.name = "A name from 1 to 100 characters, e.g. alice or ci.";
    setErrors(errs);
    if (Object.keys(errs).length > 0) return;
    setBusy(true);
    try {
      onCreated(await api.post("/v1/tokens", { name: trimmed, role }, TokenCreated));
      setName("");
    } catch (err) {
      setErrors({ form: errorText(err) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="card" onSubmit={submit} noValidate aria-labelledby="create-heading">
      <h2 id="create-heading">Create an API token</h2>
      <div className="form-grid">
        <Field id="tok-name" label="Name" error={errors.name} help="Who or what holds it; shown in this list and in the coordinator's log.">
          {(p) => <input {...p} value={name} placeholder="alice, ci" onChange={(e) => setName(e.target.value)} />}
        </Field>
        <Field id="tok-role" label="Role" help={`${ROLES.find((r) => r.role === role)?.what}.`}>
          {(p) => (
            <select {...p} value={role} onChange={(e) => setRole(e.target.value as Role)}>
              {ROLES.map((r) => (
                <option key={r.role} value={r.role}>
                  {r.role}
                </option>
              ))}
            </select>
          )}
        </Field>
      </div>
      {errors.form && (
        <p className="field-error" role="alert">
          {errors.form}
        </p>
      )}
      <div className="form-actions">
        <button type="submit" className="btn primary" disabled={busy}>
          {busy ? "Creating…" : "Create token"}
        </button>
      </div>
    </form>
  );
}

function Reveal({ created, onDismiss }: { created: TokenCreated; onDismiss: () => void }) {
  return (
    <SecretReveal
      title={`API token for ${created.name} (${created.role}) created`}
      what="API token"
      noun="token"
      secret={created.token}
      commandHeading="Sign in with the CLI"
      command={`muster login ${location.origin} --token ${created.token}`}
      commandLabel="Login command"
      testIds={{ secret: "api-token", command: "login-command" }}
      onDismiss={onDismiss}
    >
      <p className="help">Or paste the token on this console's sign-in page.</p>
    </SecretReveal>
  );
}

function TokenTable({ tokens, onRevoked }: { tokens: TokenView[]; onRevoked: () => void }) {
  const { tokenId } = useSession();
  return (
    <div className="table-wrap">
      <table className="stack" aria-label="API tokens">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Role</th>
            <th scope="col">Created</th>
            <th scope="col">Last used</th>
            <th scope="col">State</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {tokens.map((t) => (
            <tr key={t.id} data-token={t.id}>
              <td data-label="Name">
                {t.name}
                <div className="muted small mono">
                  {t.id}
                  {t.id === tokenId ? " · you" : ""}
                </div>
              </td>
              <td data-label="Role">{t.role}</td>
              <td data-label="Created">
                <Ago iso={t.createdAt} />
              </td>
              <td data-label="Last used">{t.lastUsedAt ? <Ago iso={t.lastUsedAt} /> : <span className="muted">never</span>}</td>
              <td data-label="State">
                <StateBadge state={t.revokedAt ? "revoked" : "active"} />
              </td>
              <td className="actions">
                {!t.revokedAt && (
                  <ConfirmButton
                    label="Revoke"
                    ariaLabel={`Revoke token ${t.name}`}
                    danger
                    title={`Revoke token ${t.name}?`}
                    body={
                      <>
                        {t.id === tokenId && (
                          <p className="notice warn">This is the token you are signed in with. Revoking it signs you out.</p>
                        )}
                        <p>It stops working at once, for the CLI and for every console signed in with it. This cannot be undone.</p>
                      </>
                    }
                    confirmLabel="Revoke token"
                    onConfirm={async () => {
                      await api.del(`/v1/tokens/${encodeURIComponent(t.id)}`);
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
