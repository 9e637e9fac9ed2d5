// Who is signed in, and the sign-in page.
import { WhoAmI } from "@muster/protocol";
import { createContext, useContext, useState, type FormEvent } from "react";
import { api, ApiError, errorText } from "./api";

export interface Session extends WhoAmI {
  /** Viewers see everything but change nothing. */
  canAct: boolean;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error("useSession outside a signed-in console");
  return s;
}

export function toSession(who: WhoAmI): Session {
  return { ...who, canAct: who.role !== "viewer" };
}

export async function whoAmI(): Promise<Session | null> {
  try {
    return toSession(await api.get("/v1/whoami", WhoAmI));
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return null;
    throw err;
  }
}

export function SignIn({ onSignedIn, expired }: { onSignedIn: (s: Session) => void; expired: boolean }) {
  const [token, setToken] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!token.trim()) {
      setError("Paste an API token to sign in.");
      return;
    }
    setBusy(true);
    setError(null);
    try {
      onSignedIn(toSession(await api.post("/v1/session", { token: token.trim() }, WhoAmI)));
    } catch (err) {
      setError(err instanceof ApiError && err.status === 401 ? "That token is not valid. Check it and try again." : errorText(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <main className="signin" id="main">
      <form className="card signin-card" onSubmit={submit} noValidate>
        <div className="brand large" aria-hidden="true">
          <span className="brand-mark">M</span> Muster
        </div>
        <h1>Sign in to the fleet console</h1>
        {expired && (
          <p className="notice" role="status">
            Your session ended. Sign in again.
          </p>
        )}
        <label htmlFor="token">API token</label>
        <input
          id="token"
          name="token"
          type="password"
          autoComplete="current-password"
          autoFocus
          value={token}
          onChange={(e) => setToken(e.target.value)}
          aria-invalid={error ? true : undefined}
          aria-describedby="token-help"
          placeholder="mat_…"
        />
        <p id="token-help" className="help">
          <code>npm start</code> prints the admin token; it is also in the coordinator's data directory as <code>admin.token</code>.
        </p>
        {error && (
          <p className="field-error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" className="btn primary wide" disabled={busy}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
      </form>
    </main>
  );
}
