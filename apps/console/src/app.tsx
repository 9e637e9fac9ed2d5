// The console shell: sign-in, navigation with the pending-asks badge, the live feed's state, and the pages.
import { AskList } from "@muster/protocol";
import { useCallback, useEffect, useRef, useState } from "react";
import { api, setUnauthorizedHandler } from "./api";
import { Ago, ErrorBox, Loading } from "./components/ui";
import { LiveProvider, useLive, useResource } from "./live";
import { AskPage } from "./pages/asks";
import { FleetPage } from "./pages/fleet";
import { JoinKeysPage } from "./pages/join-keys";
import { NotFound } from "./pages/not-found";
import { TaskPage } from "./pages/task";
import { TasksPage } from "./pages/tasks";
import { TokensPage } from "./pages/tokens";
import { Link, match, navigate, useLocation } from "./router";
import { SessionContext, SignIn, whoAmI, type Session } from "./session";
import { applyTheme, storedTheme, type Theme } from "./theme";

export function App() {
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const [expired, setExpired] = useState(false);
  const [bootError, setBootError] = useState<unknown>(null);

  const boot = useCallback(() => {
    setBootError(null);
    whoAmI().then(setSession, setBootError);
  }, []);
  useEffect(boot, [boot]);

  const lost = useCallback(() => {
    setSession((s) => {
      if (s) setExpired(true);
      return null;
    });
  }, []);
  useEffect(() => setUnauthorizedHandler(lost), [lost]);

  if (bootError)
    return (
      <main className="signin" id="main">
        <div className="card signin-card">
          <h1>Muster</h1>
          <ErrorBox error={bootError} retry={boot} />
        </div>
      </main>
    );
  if (session === undefined) return <Loading what="the console" />;
  if (session === null)
    return (
      <SignIn
        expired={expired}
        onSignedIn={(s) => {
          setExpired(false);
          setSession(s);
        }}
      />
    );
  return (
    <SessionContext.Provider value={session}>
      <LiveProvider onUnauthorized={lost}>
        <Shell session={session} onSignedOut={() => setSession(null)} />
      </LiveProvider>
    </SessionContext.Provider>
  );
}

const NAV = [
  { to: "/", label: "Fleet", active: (p: string) => p === "/" || p.startsWith("/nodes") },
  { to: "/tasks", label: "Tasks", active: (p: string) => p.startsWith("/tasks") },
  { to: "/asks", label: "Asks", active: (p: string) => p.startsWith("/asks") },
  { to: "/join-keys", label: "Join keys", active: (p: string) => p.startsWith("/join-keys") },
  // Only admins can do anything there, so nobody else is shown the way in.
  { to: "/tokens", label: "Tokens", active: (p: string) => p.startsWith("/tokens"), adminOnly: true },
];

function Shell({ session, onSignedOut }: { session: Session; onSignedOut: () => void }) {
  const { path } = useLocation();
  // After a navigation, keyboard and screen-reader users start at the new page's content, not the old link.
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    document.getElementById("main")?.focus({ preventScroll: true });
  }, [path]);
  const pending = useResource(
    () => api.get("/v1/asks?state=pending&limit=500", AskList),
    [],
    (e) => e.type === "ask",
  );
  const pendingCount = pending.data?.asks.length ?? 0;
  useEffect(() => {
    // The tab shows waiting asks even when it is in the background.
    const base = document.title.replace(/^\(\d+\) /, "");
    document.title = pendingCount > 0 ? `(${pendingCount}) ${base}` : base;
  });

  const signOut = async () => {
    try {
      await api.del("/v1/session");
    } finally {
      onSignedOut();
      navigate("/", { replace: true });
    }
  };

  return (
    <>
      <a
        className="skip-link"
        href="#main"
        onClick={(e) => {
          e.preventDefault();
          document.getElementById("main")?.focus();
        }}
      >
        Skip to content
      </a>
      <header className="topbar">
        <Link to="/" className="brand" aria-label="Muster home">
          <span className="brand-mark" aria-hidden="true">
            M
          </span>
          <span className="brand-name">Muster</span>
        </Link>
        <nav aria-label="Main" className="nav">
          <ul>
            {NAV.filter((n) => !("adminOnly" in n) || session.role === "admin").map((n) => (
              <li key={n.to}>
                <Link to={n.to} aria-current={n.active(path) ? "page" : undefined} className="nav-link">
                  {n.label}
                  {n.to === "/asks" && pendingCount > 0 && (
                    <span className="count-badge" aria-label={`${pendingCount} pending`} data-testid="asks-badge">
                      {pendingCount}
                    </span>
                  )}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <div className="topbar-end">
          <LiveDot />
          <ThemeSelect />
          <span className="who" title={`token ${session.tokenId}, role ${session.role}`}>
            {session.name}
          </span>
          <button type="button" className="btn small ghost" onClick={signOut}>
            Sign out
          </button>
        </div>
      </header>
      <ConnectionBanner />
      <main id="main" className="page" tabIndex={-1}>
        <Routes path={path} />
      </main>
    </>
  );
}

function Routes({ path }: { path: string }) {
  if (path === "/" || path === "/nodes") return <FleetPage />;
  if (path === "/tasks") return <TasksPage />;
  const task = match("/tasks/:id", path);
  if (task) return <TaskPage id={task.id!} />;
  if (path === "/asks") return <AskPage />;
  if (path === "/join-keys") return <JoinKeysPage />;
  if (path === "/tokens") return <TokensPage />;
  return <NotFound />;
}

function LiveDot() {
  const { status } = useLive();
  const text = status === "live" ? "Live" : status === "connecting" ? "Connecting" : "Offline";
  return (
    <span className={`live-dot ${status}`} title={status === "live" ? "Receiving live updates" : "Not receiving live updates"}>
      <span className="dot" aria-hidden="true" />
      <span className="live-text">{text}</span>
    </span>
  );
}

function ConnectionBanner() {
  const { status, downSince } = useLive();
  return (
    <div role="status" aria-live="polite" className="banner-slot">
      {status === "down" && (
        <div className="banner warn">
          Lost contact with the coordinator{downSince ? <> (<Ago iso={new Date(downSince).toISOString()} />)</> : null}. Reconnecting…
          What you see may be out of date.
        </div>
      )}
    </div>
  );
}

function ThemeSelect() {
  const [theme, setTheme] = useState<Theme>(storedTheme);
  return (
    <label className="theme-select">
      <span className="visually-hidden">Theme</span>
      <select
        value={theme}
        onChange={(e) => {
          const t = e.target.value as Theme;
          setTheme(t);
          applyTheme(t);
        }}
      >
        <option value="system">System theme</option>
        <option value="light">Light</option>
        <option value="dark">Dark</option>
      </select>
    </label>
  );
}
