// A task's log, kept live by the console's shared event feed: read in pages after a cursor, deduplicated by
// (attempt, seq), rendered by record kind.
import { LogPage, type AttemptView, type ClaimRecord, type LogEntry, type TaskState } from "@muster/protocol";
import { memo, useEffect, useLayoutEffect, useMemo, useRef, useState } from "react";
import { api, qs } from "../api";
import { useLiveEvents } from "../live";
import { count, duration, usd } from "../format";
import { joinArgv } from "./task-common";
import "./tasks.css";

/** The DOM keeps at most this many entries; older ones are dropped with a note. */
const MAX_ENTRIES = 5000;
/** Entries per read; a longer backlog is read page after page. */
const PAGE = 1000;
const MAX_BACKOFF_MS = 10_000;

interface Item {
  key: string;
  claimId: string;
  attempt: number;
  record: ClaimRecord;
}
type Status = "connecting" | "live" | "reconnecting" | "ended";

export function TaskLog({
  taskId,
  active,
  claims,
  state,
  exitCode,
}: {
  taskId: string;
  active: boolean;
  claims: readonly AttemptView[];
  state: TaskState;
  exitCode: number | null;
}) {
  const [log, setLog] = useState<{ items: Item[]; dropped: number }>({ items: [], dropped: 0 });
  const [status, setStatus] = useState<Status>("connecting");
  const seen = useRef(new Set<string>());
  const cursor = useRef<string | null>(null);
  const pull = useRef<() => void>(() => {});

  // The log is read in pages after the last cursor whenever the shared live feed says this task has new records
  // (or changed state, or the feed resynced): no connection of its own, so any number of task tabs stay live.
  useEffect(() => {
    let stopped = false;
    let running = false;
    let again = false;
    let tries = 0;
    let retry: ReturnType<typeof setTimeout> | undefined;

    const append = (entries: readonly LogEntry[]) => {
      const add: Item[] = [];
      for (const e of entries) {
        const key = `${e.attempt}:${e.record.seq}`;
        if (seen.current.has(key)) continue;
        seen.current.add(key);
        add.push({ key, claimId: e.claimId, attempt: e.attempt, record: e.record });
      }
      if (add.length === 0) return;
      setLog((prev) => {
        const items = prev.items.concat(add);
        const over = items.length - MAX_ENTRIES;
        return over > 0 ? { items: items.slice(over), dropped: prev.dropped + over } : { items, dropped: prev.dropped };
      });
    };

    const run = async () => {
      if (running) {
        again = true;
        return;
      }
      running = true;
      clearTimeout(retry);
      try {
        for (;;) {
          const page = await api.get(`/v1/tasks/${encodeURIComponent(taskId)}/logs${qs({ after: cursor.current, limit: PAGE })}`, LogPage);
          if (stopped) return;
          append(page.entries);
          cursor.current = page.nextCursor ?? cursor.current;
          tries = 0;
          if (page.entries.length < PAGE) {
            setStatus(page.complete ? "ended" : "live");
            break;
          }
        }
      } catch {
        if (stopped) return;
        // Resume from the last cursor, so a failed read never repeats or skips a record.
        setStatus("reconnecting");
        retry = setTimeout(() => void run(), Math.min(MAX_BACKOFF_MS, 1000 * 2 ** tries++));
      } finally {
        running = false;
        if (again && !stopped) {
          again = false;
          void run();
        }
      }
    };
    pull.current = () => void run();
    void run();
    return () => {
      stopped = true;
      clearTimeout(retry);
    };
  }, [taskId]);

  useLiveEvents((e) => {
    if (e.type === "resync" || ((e.type === "records" || e.type === "task") && e.taskId === taskId)) pull.current();
  });
  // The task's own state (from the page) can move before the feed's event arrives here; read again then too.
  useEffect(() => pull.current(), [state, active]);
  const end = status === "ended" ? { state, exitCode } : null;

  const nodeOf = new Map(claims.map((c) => [c.claimId, c.nodeName]));
  const { items, dropped } = log;
  // Agents whose output is parsed also log it raw (JSON lines); their records say it better, so raw stdout is
  // hidden unless asked for.
  const parsedClaims = useMemo(() => new Set(items.filter((it) => PARSED_KINDS.has(it.record.kind)).map((it) => it.claimId)), [items]);
  const [showRaw, setShowRaw] = useState(false);
  const rows = useMemo(() => toRows(items, showRaw ? new Set<string>() : parsedClaims), [items, showRaw, parsedClaims]);

  // Follow the end of the log while the reader is there; stop when they scroll up.
  const box = useRef<HTMLDivElement>(null);
  const [follow, setFollow] = useState(true);
  const following = useRef(true);
  following.current = follow;
  useLayoutEffect(() => {
    const el = box.current;
    if (el && follow) el.scrollTop = el.scrollHeight;
  }, [log, follow, showRaw, status]);
  const onScroll = () => {
    const el = box.current;
    if (!el) return;
    const atBottom = el.scrollHeight - el.scrollTop - el.clientHeight < 24;
    if (atBottom !== following.current) setFollow(atBottom);
  };

  const statusText =
    status === "live"
      ? "Live"
      : status === "ended"
        ? end
          ? `Task ${end.state}${end.exitCode !== null ? ` (exit ${end.exitCode})` : ""}`
          : "Complete"
        : status === "reconnecting"
          ? "Reconnecting…"
          : active
            ? "Waiting for output"
            : "Connecting…";

  return (
    <section className="section task-log-section" aria-labelledby="task-log-title">
      <div className="log-head">
        <h2 id="task-log-title">
          Log <span className={`log-status ${status}${end ? ` end-${end.state}` : ""}`}>{statusText}</span>
        </h2>
        <div className="log-tools">
          <span className="muted" aria-live="off">
            {count(items.length + dropped)} {items.length + dropped === 1 ? "entry" : "entries"}
          </span>
          {parsedClaims.size > 0 && (
            <label className="log-follow">
              <input type="checkbox" checked={showRaw} onChange={(e) => setShowRaw(e.target.checked)} />
              Raw output
            </label>
          )}
          <label className="log-follow">
            <input type="checkbox" checked={follow} onChange={(e) => setFollow(e.target.checked)} />
            Follow
          </label>
          {!follow && (
            <button type="button" className="btn small" onClick={() => setFollow(true)}>
              Jump to latest
            </button>
          )}
        </div>
      </div>
      <div ref={box} className="log-box" role="log" aria-label="Task log" tabIndex={0} onScroll={onScroll}>
        {dropped > 0 && (
          <p className="log-note">
            Showing the last {count(MAX_ENTRIES)} entries; {count(dropped)} earlier {dropped === 1 ? "entry is" : "entries are"} not shown.
          </p>
        )}
        {items.length === 0 ? (
          <p className="log-note">
            {status === "ended"
              ? "This task wrote nothing to its log."
              : active
                ? "No output yet. It appears here as soon as a node runs the task."
                : "Loading the log…"}
          </p>
        ) : (
          rows.map((row) =>
            row.type === "sep" ? (
              <div key={row.key} className="log-sep" role="separator" aria-label={`Attempt ${row.attempt}`}>
                <span>
                  Attempt {row.attempt}
                  {nodeOf.get(row.claimId) ? ` on ${nodeOf.get(row.claimId)}` : ""}
                </span>
              </div>
            ) : (
              <Record key={row.key} record={row.record} />
            ),
          )
        )}
        {status === "ended" && items.length > 0 && <p className="log-note log-end">{statusText}. End of log.</p>}
      </div>
    </section>
  );
}

const PARSED_KINDS = new Set<ClaimRecord["kind"]>(["message", "tool_call", "tool_result", "summary", "cost"]);

type Row = { type: "sep"; key: string; claimId: string; attempt: number } | { type: "record"; key: string; record: ClaimRecord };

/**
 * What the log shows: a separator where an attempt begins, and the records, with output chunks that did not end a
 * line joined to the chunk that continues it. Raw stdout of `hideStdoutOf` claims is left out.
 */
function toRows(items: readonly Item[], hideStdoutOf: ReadonlySet<string>): Row[] {
  const rows: Row[] = [];
  let claim: string | null = null;
  let open: { row: Extract<Row, { type: "record" }>; stream: string } | null = null;
  for (const it of items) {
    if (it.claimId !== claim) {
      rows.push({ type: "sep", key: `sep-${it.key}`, claimId: it.claimId, attempt: it.attempt });
      claim = it.claimId;
      open = null;
    }
    const r = it.record;
    if (r.kind === "log") {
      if (r.stream === "stdout" && hideStdoutOf.has(it.claimId)) continue;
      if (open && open.stream === r.stream && open.row.record.kind === "log") {
        open.row.record = { ...open.row.record, text: open.row.record.text + r.text };
      } else {
        const row: Extract<Row, { type: "record" }> = { type: "record", key: it.key, record: r };
        rows.push(row);
        open = { row, stream: r.stream };
      }
      if (r.text.endsWith("\n")) open = null;
      continue;
    }
    open = null;
    rows.push({ type: "record", key: it.key, record: r });
  }
  return rows;
}

const Record = memo(function Record({ record: r }: { record: ClaimRecord }) {
  const time = (
    <time className="log-time hide-narrow" dateTime={new Date(r.ts).toISOString()}>
      {timeOfDay(r.ts)}
    </time>
  );
  switch (r.kind) {
    case "log":
      return (
        <div className={`log-row log-line${r.stream === "stderr" ? " stderr" : ""}`}>
          {time}
          <span className="log-text">{r.text.replace(/\n$/, "")}</span>
        </div>
      );
    case "started":
      return (
        <div className="log-row log-meta">
          {time}
          <span className="log-text">
            Started <code>{joinArgv(r.command)}</code> in <code>{r.workdir}</code>
            {r.pid !== null ? ` (pid ${r.pid})` : ""}
          </span>
        </div>
      );
    case "progress":
      return (
        <div className="log-row log-meta">
          {time}
          <span className="log-text">{r.message}</span>
        </div>
      );
    case "cost":
      return (
        <div className="log-row log-meta log-cost">
          {time}
          <span className="log-text">
            Cost so far {usd(r.usd)}
            {r.inputTokens !== undefined || r.outputTokens !== undefined
              ? ` · ${count(r.inputTokens ?? 0)} in / ${count(r.outputTokens ?? 0)} out tokens`
              : ""}
            {r.cacheReadTokens ? ` · ${count(r.cacheReadTokens)} cached` : ""}
          </span>
        </div>
      );
    case "message":
      return (
        <div className={`log-row log-message role-${r.role}`}>
          {time}
          <div className="log-text">
            {r.role !== "assistant" && <span className="log-role">{r.role}</span>}
            {r.text}
          </div>
        </div>
      );
    case "tool_call":
      return (
        <div className="log-row log-tool">
          {time}
          <span className="log-text">
            <span className="log-tool-name">→ {r.name}</span> <span className="log-tool-input">{compact(r.input)}</span>
          </span>
        </div>
      );
    case "tool_result": {
      const first = r.output.trim().split("\n", 1)[0] ?? "";
      return (
        <div className={`log-row log-result${r.ok ? "" : " error"}`}>
          {time}
          <details className="log-text">
            <summary>
              {r.ok ? "Result" : "Error"}
              <span className="log-result-peek">{first ? ` ${first.length > 100 ? `${first.slice(0, 99)}…` : first}` : " (empty)"}</span>
            </summary>
            <pre>{r.output}</pre>
          </details>
        </div>
      );
    }
    case "summary":
      return (
        <div className={`log-row log-summary${r.ok ? "" : " error"}`}>
          {time}
          <div className="log-text">
            <strong>{r.ok ? "Summary" : "Finished with an error"}</strong>
            {r.turns !== undefined || r.durationMs !== undefined ? (
              <span className="muted">
                {" "}
                · {[r.turns !== undefined ? `${r.turns} turns` : null, r.durationMs !== undefined ? duration(r.durationMs) : null].filter(Boolean).join(" · ")}
              </span>
            ) : null}
            <div className="log-summary-text">{r.text}</div>
          </div>
        </div>
      );
    case "ask":
      return (
        <div className="log-row log-ask">
          {time}
          <span className="log-text">
            <strong>? {r.gate ? `Approval (${r.gate}): ` : "Asked: "}</strong>
            {r.question}
            {r.options.length > 0 && <span className="muted"> [{r.options.join(" / ")}]</span>}
          </span>
        </div>
      );
  }
});

/** 14:03:27, the same width on every line. */
function timeOfDay(ts: number): string {
  return new Date(ts).toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" });
}

/** A tool's input on one line: the one interesting string when there is one, JSON otherwise, cut short. */
function compact(input: unknown): string {
  let text: string;
  if (typeof input === "string") text = input;
  else if (input && typeof input === "object" && !Array.isArray(input)) {
    const entries = Object.entries(input as Record<string, unknown>);
    const only = entries.length === 1 ? entries[0] : undefined;
    text = only && typeof only[1] === "string" ? `${only[0]}: ${only[1]}` : safeJson(input);
  } else text = safeJson(input);
  text = text.replace(/\s+/g, " ").trim();
  return text.length > 200 ? `${text.slice(0, 199)}…` : text;
}

function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v) ?? "";
  } catch {
    return String(v);
  }
}
