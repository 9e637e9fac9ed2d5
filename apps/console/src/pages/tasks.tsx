// The task list: filters kept in the URL, cursor pages, live updates, and the "New task" form.
import { TaskList, TaskState } from "@muster/protocol";
import { useEffect, useRef, useState, type ChangeEvent, type FormEvent } from "react";
import { api, qs } from "../api";
import { Ago, Empty, ErrorBox, Loading, PageHeader, useTitle } from "../components/ui";
import { usd } from "../format";
import { useResource } from "../live";
import { Link, navigate, useLocation } from "../router";
import { useSession } from "../session";
import { SubmitTaskForm } from "./submit";
import { Elapsed, TaskBadges, taskExcerpt } from "./task-common";
import "./tasks.css";

const PAGE_SIZE = 50;
const FILTERS = ["state", "agent", "node", "label"] as const;
type FilterName = (typeof FILTERS)[number];
type Filters = Record<FilterName, string>;
const TEXT_FILTER_DELAY_MS = 350;

function readFilters(query: URLSearchParams): Filters {
  const state = query.get("state") ?? "";
  return {
    state: (TaskState.options as readonly string[]).includes(state) ? state : "",
    agent: query.get("agent") ?? "",
    node: query.get("node") ?? "",
    label: query.get("label") ?? "",
  };
}

function filtersPath(f: Filters): string {
  return `/tasks${qs({ state: f.state, agent: f.agent.trim(), node: f.node.trim(), label: f.label.trim() })}`;
}

export function TasksPage() {
  useTitle("Tasks");
  const { canAct } = useSession();
  const { query } = useLocation();
  const applied = readFilters(query);
  const key = filtersPath(applied);
  const filtered = FILTERS.some((f) => applied[f] !== "");

  const [creating, setCreating] = useState(() => query.get("new") === "1");
  const newButton = useRef<HTMLButtonElement>(null);

  // Earlier pages' cursors; the stack belongs to one set of filters and starts over when they change.
  const [pages, setPages] = useState<{ key: string; stack: string[] }>({ key, stack: [] });
  const stack = pages.key === key ? pages.stack : [];
  const cursor = stack[stack.length - 1];

  const list = useResource(
    () =>
      api.get(
        `/v1/tasks${qs({ state: applied.state, agent: applied.agent, node: applied.node, label: applied.label, limit: PAGE_SIZE, cursor })}`,
        TaskList,
      ),
    [key, cursor],
    (e) => e.type === "task",
  );

  const closeForm = () => {
    setCreating(false);
    requestAnimationFrame(() => newButton.current?.focus());
  };

  const data = list.data;
  const tasks = data?.tasks ?? [];
  const pageNo = stack.length + 1;

  return (
    <>
      <PageHeader title="Tasks">
        {canAct && !creating && (
          <button ref={newButton} type="button" className="btn primary" onClick={() => setCreating(true)}>
            New task
          </button>
        )}
      </PageHeader>

      {creating && canAct ? (
        <SubmitTaskForm onClose={closeForm} />
      ) : (
        <FilterBar applied={applied} />
      )}

      {list.error && data ? <ErrorBox error={list.error} retry={list.reload} /> : null}

      {!data ? (
        list.error ? (
          <ErrorBox error={list.error} retry={list.reload} />
        ) : (
          <Loading what="tasks" />
        )
      ) : tasks.length === 0 && stack.length === 0 ? (
        filtered ? (
          <Empty title="No tasks match these filters">
            <p className="empty-line">
              Try another state or a shorter value.{" "}
              <button type="button" className="btn small" onClick={() => navigate("/tasks", { replace: true })}>
                Clear filters
              </button>
            </p>
          </Empty>
        ) : (
          <Empty title="No tasks yet">
            <p className="empty-line">
              {canAct ? (
                <>
                  Submit one with <strong>New task</strong> above, or from a terminal:
                </>
              ) : (
                <>Tasks appear here once someone submits one, e.g. from a terminal:</>
              )}
            </p>
            <pre className="empty-code">
              <code>muster submit --agent exec -- echo hello</code>
            </pre>
          </Empty>
        )
      ) : (
        <>
          <div className="table-wrap" aria-busy={list.loading || undefined}>
            <table className="stack tasks-table">
              <caption className="visually-hidden">Tasks</caption>
              <thead>
                <tr>
                  <th scope="col">Task</th>
                  <th scope="col">State</th>
                  <th scope="col">Agent</th>
                  <th scope="col">Node</th>
                  <th scope="col" className="num">
                    Attempts
                  </th>
                  <th scope="col" className="num">
                    Cost
                  </th>
                  <th scope="col">Created</th>
                  <th scope="col" className="num">
                    Duration
                  </th>
                </tr>
              </thead>
              <tbody>
                {tasks.map((t) => (
                  <tr key={t.id}>
                    <td className="task-cell">
                      <Link to={`/tasks/${encodeURIComponent(t.id)}`} className="task-link">
                        {t.name ?? <span className="mono task-link-id">{t.id}</span>}
                      </Link>
                      <span className={`task-excerpt muted${t.prompt ? "" : " mono"}`}>{taskExcerpt(t)}</span>
                    </td>
                    <td data-label="State">
                      <TaskBadges task={t} />
                      {t.state === "queued" && (t.pending || t.notBefore) && (
                        <span className="task-pending muted">
                          {t.pending ?? (
                            <>
                              retrying <Ago iso={t.notBefore} />
                            </>
                          )}
                        </span>
                      )}
                    </td>
                    <td data-label="Agent">{t.agent}</td>
                    <td data-label="Node">
                      {(t.nodeName ?? t.nodeId) ? (
                        <Link to={filtersPath({ ...applied, node: t.nodeName ?? t.nodeId ?? "" })} title="Show this node's tasks">
                          {t.nodeName ?? t.nodeId}
                        </Link>
                      ) : (
                        <span className="muted">—</span>
                      )}
                    </td>
                    <td data-label="Attempts" className="num">
                      {t.attempts}
                      <span className="muted">/{t.maxAttempts}</span>
                    </td>
                    <td data-label="Cost" className="num">
                      {t.costUsd > 0 ? usd(t.costUsd) : <span className="muted">—</span>}
                    </td>
                    <td data-label="Created" className="nowrap">
                      <Ago iso={t.createdAt} />
                    </td>
                    <td data-label="Duration" className="num nowrap">
                      <Elapsed task={t} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            {tasks.length === 0 && <p className="muted table-note">No more tasks on this page.</p>}
          </div>
          {(stack.length > 0 || data.nextCursor) && (
            <nav className="pager" aria-label="Pages">
              <button
                type="button"
                className="btn small"
                disabled={stack.length === 0}
                onClick={() => setPages({ key, stack: stack.slice(0, -1) })}
              >
                ← Previous
              </button>
              <span className="muted">Page {pageNo}</span>
              <button
                type="button"
                className="btn small"
                disabled={!data.nextCursor}
                onClick={() => data.nextCursor && setPages({ key, stack: [...stack, data.nextCursor] })}
              >
                Next →
              </button>
            </nav>
          )}
        </>
      )}
    </>
  );
}

/**
 * The filters. The state applies at once; typed values apply after a short pause (or Enter), replacing the URL,
 * so a reload, a shared link and Back all show the same list.
 */
function FilterBar({ applied }: { applied: Filters }) {
  const [draft, setDraft] = useState<Filters>(applied);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const appliedKey = filtersPath(applied);
  const pushed = useRef(appliedKey);

  // The URL changed under us (Back, a link to ?node=…): show what it says.
  useEffect(() => {
    if (appliedKey !== pushed.current) {
      pushed.current = appliedKey;
      setDraft(applied);
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [appliedKey]);
  useEffect(() => () => clearTimeout(timer.current), []);

  const apply = (f: Filters) => {
    clearTimeout(timer.current);
    const path = filtersPath(f);
    pushed.current = path;
    navigate(path, { replace: true });
  };
  const change = (name: FilterName) => (e: ChangeEvent<HTMLInputElement | HTMLSelectElement>) => {
    const next = { ...draft, [name]: e.target.value };
    setDraft(next);
    clearTimeout(timer.current);
    if (name === "state") apply(next);
    else timer.current = setTimeout(() => apply(next), TEXT_FILTER_DELAY_MS);
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    apply(draft);
  };
  const any = FILTERS.some((f) => draft[f] !== "");
  const clear = () => {
    const none = { state: "", agent: "", node: "", label: "" };
    setDraft(none);
    apply(none);
  };

  return (
    <form className="filters task-filters" role="search" aria-label="Filter tasks" onSubmit={submit}>
      <div className="field">
        <label htmlFor="tf-state">State</label>
        <select id="tf-state" value={draft.state} onChange={change("state")}>
          <option value="">Any state</option>
          {TaskState.options.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor="tf-agent">Agent</label>
        <input id="tf-agent" type="search" value={draft.agent} onChange={change("agent")} placeholder="any" autoComplete="off" spellCheck={false} />
      </div>
      <div className="field">
        <label htmlFor="tf-node">Node</label>
        <input id="tf-node" type="search" value={draft.node} onChange={change("node")} placeholder="name or id" autoComplete="off" spellCheck={false} />
      </div>
      <div className="field">
        <label htmlFor="tf-label">Label</label>
        <input id="tf-label" type="search" value={draft.label} onChange={change("label")} placeholder="k=v or k" autoComplete="off" spellCheck={false} />
      </div>
      <button type="submit" className="visually-hidden" tabIndex={-1}>
        Apply filters
      </button>
      {any && (
        <button type="button" className="btn small ghost filters-clear" onClick={clear}>
          Clear filters
        </button>
      )}
    </form>
  );
}
