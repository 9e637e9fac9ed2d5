// The live feed: one EventSource on /v1/events for the whole console, resumed after a drop, and hooks that reload
// what a page shows when an event concerns it.
import { FleetEvent } from "@muster/protocol";
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from "react";
import { api, ApiError } from "./api";
import { coalesce } from "./coalesce";

export type LiveStatus = "connecting" | "live" | "down";
/** A fleet event, or `resync` after the feed was down or reset: every page reloads. */
export type LiveEvent = FleetEvent | { type: "resync" };
type Listener = (e: LiveEvent) => void;

interface Live {
  status: LiveStatus;
  /** When the feed went down, for "since" in the banner. */
  downSince: number | null;
  subscribe(fn: Listener): () => void;
}

const LiveContext = createContext<Live | null>(null);
// Every event type of FleetEvent; a type left out here is an event the console never hears.
const EVENT_TYPES = FleetEvent.options.map((o) => o.shape.type.value);
const MAX_BACKOFF_MS = 8000;
const CHANNEL = "muster.live";
const LOCK = "muster.live.leader";

/** What the tab holding the feed tells the others (and what they ask it). */
type TabMessage =
  | { kind: "event"; event: LiveEvent; id: string | null }
  | { kind: "cursor"; id: string }
  | { kind: "status"; status: LiveStatus; downSince: number | null }
  | { kind: "status?" }
  | { kind: "unauthorized" };

export function LiveProvider({ children, onUnauthorized }: { children: ReactNode; onUnauthorized: () => void }) {
  const listeners = useRef(new Set<Listener>());
  const [status, setStatus] = useState<LiveStatus>("connecting");
  const [downSince, setDownSince] = useState<number | null>(null);

  useEffect(() => {
    let stopped = false;
    let lastId: string | null = null;
    let stopLeading: (() => void) | null = null;
    let current: { status: LiveStatus; downSince: number | null } = { status: "connecting", downSince: null };
    const emit = (e: LiveEvent) => listeners.current.forEach((fn) => fn(e));
    const show = (s: typeof current) => {
      current = s;
      setStatus(s.status);
      setDownSince(s.downSince);
    };
    // Tabs of one browser share one feed: the tab holding the lock connects and passes everything on, so a person
    // with many console tabs open does not use up the browser's six connections to the coordinator.
    const shared = typeof BroadcastChannel !== "undefined" && typeof navigator.locks?.request === "function";
    const channel = shared ? new BroadcastChannel(CHANNEL) : null;
    const publish = (msg: TabMessage) => channel?.postMessage(msg);
    channel?.addEventListener("message", (m: MessageEvent<TabMessage>) => {
      const msg = m.data;
      if (msg.kind === "event") {
        lastId = msg.id ?? lastId;
        emit(msg.event);
      } else if (msg.kind === "cursor") lastId = msg.id;
      else if (msg.kind === "status") show(msg);
      else if (msg.kind === "status?" && stopLeading) publish({ kind: "status", ...current });
      else if (msg.kind === "unauthorized") onUnauthorized();
    });

    const lead = () =>
      new Promise<void>((resolve) => {
        let es: EventSource | null = null;
        let timer: ReturnType<typeof setTimeout> | undefined;
        let attempt = 0;
        let wasDown = false;
        let done = false;
        stopLeading = () => {
          done = true;
          clearTimeout(timer);
          es?.close();
          resolve();
        };
        const report = (s: typeof current) => {
          show(s);
          publish({ kind: "status", ...s });
        };
        const deliver = (event: LiveEvent, id: string | null) => {
          lastId = id ?? lastId;
          emit(event);
          publish({ kind: "event", event, id });
        };
        const connect = () => {
          if (done) return;
          es = new EventSource(`/v1/events${lastId ? `?after=${encodeURIComponent(lastId)}` : ""}`, { withCredentials: true });
          es.addEventListener("open", () => {
            attempt = 0;
            report({ status: "live", downSince: null });
            // Whatever happened while the feed was down (or the coordinator restarted), reload it all.
            if (wasDown) deliver({ type: "resync" }, null);
            wasDown = false;
          });
          es.addEventListener("hello", (m) => {
            lastId = (m as MessageEvent).lastEventId || lastId;
            if (lastId) publish({ kind: "cursor", id: lastId });
          });
          for (const type of EVENT_TYPES) {
            es.addEventListener(type, (m) => {
              const msg = m as MessageEvent<string>;
              let data: unknown;
              try {
                data = JSON.parse(msg.data);
              } catch {
                return;
              }
              const parsed = FleetEvent.safeParse(data);
              if (!parsed.success) return;
              deliver(parsed.data.type === "reset" ? { type: "resync" } : parsed.data, msg.lastEventId || null);
            });
          }
          es.addEventListener("error", () => {
            // Reconnect on our own schedule (with the last id) instead of the browser's, so every failure looks the same.
            es?.close();
            es = null;
            if (done) return;
            wasDown = true;
            report({ status: "down", downSince: current.downSince ?? Date.now() });
            const delay = Math.min(MAX_BACKOFF_MS, 500 * 2 ** attempt++);
            timer = setTimeout(() => {
              // A feed that fails because the session ended should end in the sign-in page, not retry forever.
              api.get("/v1/whoami").then(connect, (err: unknown) => {
                if (!(err instanceof ApiError && err.status === 401)) return connect();
                publish({ kind: "unauthorized" });
                onUnauthorized();
              });
            }, delay);
          });
        };
        connect();
      });

    const abort = new AbortController();
    if (shared) {
      navigator.locks.request(LOCK, { signal: abort.signal }, () => (stopped ? undefined : lead())).catch(() => {});
      publish({ kind: "status?" });
    } else void lead();
    return () => {
      stopped = true;
      abort.abort();
      stopLeading?.();
      channel?.close();
    };
  }, [onUnauthorized]);

  const subscribe = useCallback((fn: Listener) => {
    listeners.current.add(fn);
    return () => void listeners.current.delete(fn);
  }, []);
  const value = useMemo(() => ({ status, downSince, subscribe }), [status, downSince, subscribe]);
  return <LiveContext.Provider value={value}>{children}</LiveContext.Provider>;
}

export function useLive(): Live {
  const live = useContext(LiveContext);
  if (!live) throw new Error("useLive outside LiveProvider");
  return live;
}

/** Calls `fn` for every live event; `fn` may change between renders. */
export function useLiveEvents(fn: Listener): void {
  const { subscribe } = useLive();
  const ref = useRef(fn);
  ref.current = fn;
  useEffect(() => subscribe((e) => ref.current(e)), [subscribe]);
}

export interface Resource<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload(): void;
}

/**
 * Loads `load()` now, again when `deps` change, and again (coalesced) whenever a live event passes `relevant`.
 * The previous data stays on screen while a reload runs, so live updates never flash.
 */
export function useResource<T>(
  load: () => Promise<T>,
  deps: readonly unknown[],
  relevant: (e: LiveEvent) => boolean = () => false,
  opts: { pollMs?: number } = {},
): Resource<T> {
  const [state, setState] = useState<{ data: T | undefined; error: unknown; loading: boolean }>({
    data: undefined,
    error: undefined,
    loading: true,
  });
  const loadRef = useRef(load);
  loadRef.current = load;
  const gen = useRef(0);
  const inFlight = useRef(false);
  const again = useRef(false);

  const run = useCallback(() => {
    if (inFlight.current) {
      again.current = true;
      return;
    }
    inFlight.current = true;
    const my = gen.current;
    loadRef.current().then(
      (data) => my === gen.current && setState({ data, error: undefined, loading: false }),
      (error: unknown) => my === gen.current && setState((s) => ({ data: s.data, error, loading: false })),
    ).finally(() => {
      inFlight.current = false;
      if (again.current) {
        again.current = false;
        run();
      }
    });
  }, []);

  useEffect(() => {
    gen.current++;
    inFlight.current = false;
    again.current = false;
    setState((s) => ({ data: s.data, error: undefined, loading: true }));
    run();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, deps);

  // Reload once events pause, but at least every second under a steady stream.
  const reload = useMemo(() => coalesce(run, 150, 1000), [run]);
  useLiveEvents((e) => {
    if (e.type !== "resync" && !relevant(e)) return;
    reload.trigger();
  });

  useEffect(() => {
    if (!opts.pollMs) return;
    const t = setInterval(run, opts.pollMs);
    return () => clearInterval(t);
  }, [opts.pollMs, run]);
  useEffect(() => () => reload.cancel(), [reload]);

  return { ...state, reload: run };
}
