// One task: what it is, where it ran, its attempts, its asks and tells, and its live log.
import {
  AskList,
  AskView,
  formatDuration,
  isTerminalTaskState,
  TaskDetail,
  TaskView,
} from "@muster/protocol";
import { useState } from "react";
import { api, ApiError } from "../api";
import { AskCard } from "../components/ask-card";
import { ActionButton, Ago, ConfirmButton, CopyButton, Empty, ErrorBox, Loading, StateBadge, useTitle } from "../components/ui";
import { count, dateTime, duration, plural, shortId, usd } from "../format";
import { useResource } from "../live";
import { Link } from "../router";
import { useSession } from "../session";
import { Attempts } from "./task-attempts";
import { Elapsed, extraMessage, joinArgv, reasonText, TaskBadges, taskTitle, tokensText } from "./task-common";
import { TaskLog } from "./task-log";
import { loadTells, TellSection } from "./task-tells";
import "./tasks.css";

export function TaskPage({ id }: { id: string }) {
  const { canAct } = useSession();
  const task = useResource(
    () => api.get(`/v1/tasks/${encodeURIComponent(id)}`, TaskDetail),
    [id],
    (e) => (e.type === "task" && e.taskId === id) || (e.type === "ask" && e.taskId === id),
  );
  const t = task.data?.id === id ? task.data : undefined;
  useTitle(t ? taskTitle(t) : `Task ${shortId(id)}`);

  const active = t ? !isTerminalTaskState(t.state) : false;
  const asks = useResource(
    () => api.get(`/v1/asks?taskId=${encodeURIComponent(id)}&state=pending`, AskList),
    [id],
    (e) => (e.type === "ask" || e.type === "task") && e.taskId === id,
  );
  const tells = useResource(
    () => loadTells(id),
    [id],
    (e) => e.type === "task" && e.taskId === id,
    { pollMs: active ? 5000 : undefined },
  );

  if (!t) {
    if (task.error instanceof ApiError && task.error.status === 404)
      return (
        <Empty title={`No task ${id}`}>
          <p>There is no task with this id. It may be mistyped, or the task belongs to another coordinator.</p>
          <p>
            <Link to="/tasks">All tasks</Link>
          </p>
        </Empty>
      );
    if (task.error) return <ErrorBox error={task.error} retry={task.reload} />;
    return <Loading what="the task" />;
  }

  const reloadAll = () => {
    task.reload();
    asks.reload();
  };
  const pendingAsks = (asks.data?.asks ?? []).filter((a) => a.state === "pending" && a.taskId === id);
  const canRetry = t.state === "failed" || t.state === "cancelled";
  const tellable = t.state === "assigned" || t.state === "running";

  return (
    <>
      <div className="page-header task-header">
        <div className="task-head">
          <p className="crumbs">
            <Link to="/tasks">Tasks</Link>
            <span aria-hidden="true"> / </span>
          </p>
          <h1 className="task-h1">{taskTitle(t)}</h1>
          <div className="task-head-meta">
            <TaskBadges task={t} />
            {t.name ? <code className="task-id">{t.id}</code> : null}
            <CopyButton text={t.id} label="Copy id" />
          </div>
        </div>
        {canAct && (active || canRetry) && (
          <div className="page-actions">
            {active && (
              <ConfirmButton
                label="Cancel task"
                title="Cancel this task?"
                body={
                  <>
                    {t.state === "queued"
                      ? "It leaves the queue and will not run."
                      : `The worker on ${t.nodeName ?? "its node"} is stopped.`}{" "}
                    You can retry it later.
                  </>
                }
                confirmLabel="Yes, cancel it"
                danger
                className="btn danger"
                onConfirm={async () => {
                  await api.post(`/v1/tasks/${encodeURIComponent(t.id)}/cancel`, {}, TaskView);
                  reloadAll();
                }}
              />
            )}
            {canRetry && (
              <ActionButton
                label="Retry task"
                className="btn primary"
                onClick={async () => {
                  await api.post(`/v1/tasks/${encodeURIComponent(t.id)}/retry`, {}, TaskView);
                  reloadAll();
                }}
              />
            )}
          </div>
        )}
      </div>

      {task.error ? <ErrorBox error={task.error} retry={task.reload} /> : null}

      {t.state === "queued" && (t.pending || t.notBefore) && (
        <p className="notice warn task-pending-notice" role="status">
          <strong>Waiting to be placed: </strong>
          {t.pending ?? "nothing holds it back"}
          {t.notBefore && Date.parse(t.notBefore) > Date.now() && (
            <>
              {" "}
              (next try <Ago iso={t.notBefore} />)
            </>
          )}
        </p>
      )}

      {pendingAsks.length > 0 && <PendingAsks asks={pendingAsks} onAnswered={reloadAll} />}
      {asks.error && !asks.data ? <ErrorBox error={asks.error} retry={asks.reload} /> : null}

      <Overview t={t} />

      <TaskLog key={t.id} taskId={t.id} active={active} claims={t.claims} state={t.state} exitCode={t.exitCode} />

      {(tellable && canAct) || (tells.data?.length ?? 0) > 0 ? (
        <TellSection taskId={t.id} tells={tells.data ?? []} canTell={tellable && canAct} onSent={tells.reload} />
      ) : null}

      <Attempts claims={t.claims} />
    </>
  );
}

function Overview({ t }: { t: TaskDetail }) {
  const finishedOk = t.state === "succeeded";
  return (
    <>
      <div className="stats task-stats">
        <div className="stat">
          <div className="stat-label">Duration</div>
          <div className="stat-value">
            <Elapsed task={t} />
          </div>
        </div>
        <div className="stat">
          <div className="stat-label">Attempts</div>
          <div className="stat-value">
            {t.attempts}
            <span className="stat-of"> of {t.maxAttempts}</span>
          </div>
        </div>
        <div className="stat">
          <div className="stat-label">Cost</div>
          <div className="stat-value">{t.costUsd > 0 || t.tokens.input > 0 ? usd(t.costUsd) : <span className="muted">—</span>}</div>
        </div>
        <div className="stat">
          <div className="stat-label">Exit code</div>
          <div className="stat-value">{t.exitCode ?? <span className="muted">—</span>}</div>
        </div>
      </div>

      {(t.reason || extraMessage(t)) && (
        <div className={`notice ${finishedOk ? "ok" : t.state === "failed" ? "bad" : "warn"} task-outcome`} role="note">
          {t.reason ? (
            <strong>
              {reasonText(t.reason)}
              {t.reason === "exit_code" && t.exitCode !== null ? ` (${t.exitCode})` : ""}
              {extraMessage(t) ? ": " : "."}
            </strong>
          ) : null}
          {extraMessage(t) ? <span className="preserve">{extraMessage(t)}</span> : null}
        </div>
      )}

      <div className="task-facts-grid">
        <section className="card" aria-labelledby="task-what">
          <h2 id="task-what">What</h2>
          <dl className="facts">
            <dt>Agent</dt>
            <dd>
              {t.agent}
              {t.model ? <span className="muted"> · model {t.model}</span> : null}
              {t.thinking ? <span className="muted"> · thinking {t.thinking}</span> : null}
            </dd>
            {t.prompt !== null ? (
              <>
                <dt>Prompt</dt>
                <dd>
                  <Expandable text={t.prompt} />
                </dd>
              </>
            ) : null}
            {t.argv.length > 0 ? (
              <>
                <dt>Command</dt>
                <dd>
                  <pre className="fact-pre">{joinArgv(t.argv)}</pre>
                </dd>
              </>
            ) : null}
            {t.repo ? (
              <>
                <dt>Repository</dt>
                <dd>
                  <code>{t.repo}</code>
                  {t.ref ? (
                    <>
                      {" "}
                      at <code>{t.ref}</code>
                    </>
                  ) : null}
                </dd>
              </>
            ) : null}
            {t.verify ? (
              <>
                <dt>Verify</dt>
                <dd>
                  <code>{t.verify}</code>
                </dd>
              </>
            ) : null}
            <dt>Selector</dt>
            <dd>
              {t.selector ? (
                <ul className="chips" aria-label="selector terms">
                  {selectorTerms(t.selector).map((term) => (
                    <li key={term} className="chip">
                      {term}
                    </li>
                  ))}
                </ul>
              ) : (
                <span className="muted">any node</span>
              )}
            </dd>
            <dt>Priority</dt>
            <dd>{t.priority}</dd>
            <dt>Timeout</dt>
            <dd>
              {formatDuration(t.timeoutMs)} per attempt
              {t.idleTimeoutMs ? <span className="muted"> · stopped after {formatDuration(t.idleTimeoutMs)} without output</span> : null}
            </dd>
            {t.maxCostUsd !== null ? (
              <>
                <dt>Cost limit</dt>
                <dd>{usd(t.maxCostUsd)}</dd>
              </>
            ) : null}
            {t.group ? (
              <>
                <dt>Group</dt>
                <dd>
                  {t.group}
                  {t.groupLimit ? <span className="muted"> · at most {t.groupLimit} at once</span> : null}
                </dd>
              </>
            ) : null}
            {t.approveBefore ? (
              <>
                <dt>Approval</dt>
                <dd>before {t.approveBefore}</dd>
              </>
            ) : null}
            {t.approveTools ? (
              <>
                <dt>Tool approvals</dt>
                <dd>{t.approveTools === "all" ? "every tool call" : t.approveTools.join(", ")}</dd>
              </>
            ) : null}
            {t.createdBy ? (
              <>
                <dt>Submitted by</dt>
                <dd>{t.createdBy}</dd>
              </>
            ) : null}
          </dl>
        </section>

        <section className="card" aria-labelledby="task-where">
          <h2 id="task-where">Where and when</h2>
          <dl className="facts">
            <dt>Node</dt>
            <dd>
              {t.nodeName || t.nodeId ? (
                <Link to={`/tasks?node=${encodeURIComponent(t.nodeName ?? t.nodeId ?? "")}`} title="This node's tasks">
                  {t.nodeName ?? t.nodeId}
                </Link>
              ) : (
                <span className="muted">not placed yet</span>
              )}
            </dd>
            <dt>Created</dt>
            <dd>
              <When iso={t.createdAt} />
            </dd>
            <dt>Started</dt>
            <dd>
              <When iso={t.startedAt} />
            </dd>
            <dt>Finished</dt>
            <dd>
              <When iso={t.finishedAt} />
            </dd>
            <dt>Tokens</dt>
            <dd>{t.tokens.input || t.tokens.output ? tokensText(t.tokens) : <span className="muted">none reported</span>}</dd>
            {t.workspace ? (
              <>
                <dt>Workspace</dt>
                <dd>
                  <code>{t.workspace.branch}</code>{" "}
                  <span className="muted">
                    {t.workspace.base.slice(0, 8)}…{t.workspace.head.slice(0, 8)}
                  </span>
                  <br />
                  <span className="diffstat">
                    {plural(t.workspace.filesChanged, "file")} changed, <span className="ins">+{count(t.workspace.insertions)}</span>{" "}
                    <span className="del">−{count(t.workspace.deletions)}</span>
                  </span>
                  {t.workspace.dirty ? <span className="muted"> · includes uncommitted changes</span> : null}
                </dd>
              </>
            ) : null}
            {t.verifyResult ? (
              <>
                <dt>Verify result</dt>
                <dd>
                  <StateBadge state={t.verifyResult.passed ? "succeeded" : "failed"} title={t.verifyResult.command} />{" "}
                  <span className="muted">
                    exit {t.verifyResult.exitCode ?? "—"} in {duration(t.verifyResult.durationMs)}
                  </span>
                </dd>
              </>
            ) : null}
          </dl>
        </section>
      </div>
    </>
  );
}

function When({ iso }: { iso: string | null }) {
  if (!iso) return <span className="muted">—</span>;
  return (
    <>
      {dateTime(iso)} <span className="muted">(<Ago iso={iso} />)</span>
    </>
  );
}

/** A long prompt starts folded. */
function Expandable({ text }: { text: string }) {
  const [open, setOpen] = useState(false);
  const long = text.length > 600 || text.split("\n").length > 8;
  return (
    <>
      <div className={`fact-text${long && !open ? " folded" : ""}`}>{text}</div>
      {long && (
        <button type="button" className="btn small ghost" onClick={() => setOpen(!open)} aria-expanded={open}>
          {open ? "Show less" : "Show all"}
        </button>
      )}
    </>
  );
}

/** The stored selector's terms ("gpu=true", "zone in (a,b)"): commas inside parentheses do not split. */
function selectorTerms(selector: string): string[] {
  return [...new Set((selector.match(/[^,(]+(\([^)]*\))?/g) ?? []).map((t) => t.trim()).filter(Boolean))];
}

function PendingAsks({ asks, onAnswered }: { asks: AskView[]; onAnswered: () => void }) {
  return (
    <section className="section task-asks" aria-labelledby="task-asks">
      <h2 id="task-asks">
        {asks.length === 1 ? "The worker has a question" : `The workers have ${asks.length} questions`}
      </h2>
      {asks.map((a) => (
        <AskCard key={a.id} ask={a} showTask={false} onAnswered={onAnswered} />
      ))}
    </section>
  );
}

