// Fleet: the coordinator, the day's spend, the task counts and every node with what it can do and what it runs.
import { NodeView, Status, TASK_STATES } from "@muster/protocol";
import { api } from "../api";
import { Ago, ConfirmButton, Empty, ErrorBox, Labels, Loading, PageHeader, StateBadge, ActionButton, useTitle } from "../components/ui";
import { count, usd } from "../format";
import { useResource } from "../live";
import { Link } from "../router";
import { useSession } from "../session";

export function FleetPage() {
  useTitle("Fleet");
  const status = useResource(
    () => api.get("/v1/status", Status),
    [],
    (e) => e.type === "node" || e.type === "task",
    // Heartbeat ages and load move without events; a slow poll keeps them honest.
    { pollMs: 10_000 },
  );
  const s = status.data;
  return (
    <>
      <PageHeader title="Fleet">
        <Link to="/join-keys" className="btn small">
          Add a node
        </Link>
      </PageHeader>
      {status.error && !s ? <ErrorBox error={status.error} retry={status.reload} /> : null}
      {!s && !status.error ? <Loading what="the fleet" /> : null}
      {s && (
        <>
          {status.error ? <ErrorBox error={status.error} retry={status.reload} /> : null}
          <Summary status={s} />
          <section className="section" aria-labelledby="nodes-heading">
            <h2 id="nodes-heading">
              Nodes <span className="muted">{s.nodes.length}</span>
            </h2>
            {s.nodes.length === 0 ? (
              <Empty title="No nodes have joined yet.">
                <p>
                  Create a <Link to="/join-keys">join key</Link>, then run <code>muster-node join</code> on the machine that should run
                  agents.
                </p>
              </Empty>
            ) : (
              <NodeTable nodes={s.nodes} />
            )}
          </section>
        </>
      )}
    </>
  );
}

function Summary({ status }: { status: Status }) {
  const { tasks, budget, nodes } = status;
  const capacity = nodes.filter((n) => n.connected).reduce((a, n) => a + n.capacity, 0);
  const running = nodes.reduce((a, n) => a + n.running, 0);
  const active = TASK_STATES.filter((st) => tasks[st] > 0 || st === "queued" || st === "running");
  return (
    <div className="stats" aria-label="Fleet summary">
      <div className="stat">
        <div className="stat-label">Running / capacity</div>
        <div className="stat-value">
          {running} / {capacity}
        </div>
      </div>
      {active.map((st) => (
        <Link key={st} to={`/tasks?state=${st}`} className="stat stat-link" aria-label={`${tasks[st]} ${st} tasks`}>
          <div className="stat-label">{st[0]!.toUpperCase() + st.slice(1)}</div>
          <div className="stat-value">{count(tasks[st])}</div>
        </Link>
      ))}
      <div className="stat" title={budget.exhausted ? "The daily budget is spent: nothing new is placed until 00:00 UTC." : undefined}>
        <div className="stat-label">Spent today{budget.dailyUsd !== null ? ` / ${usd(budget.dailyUsd)}` : ""}</div>
        <div className="stat-value">
          {usd(budget.spentTodayUsd)} {budget.exhausted && <StateBadge state="exhausted" />}
        </div>
      </div>
      <div className="stat">
        <div className="stat-label">Coordinator</div>
        <div className="stat-value small-value" title={`${status.coordinator.id}, up since ${status.coordinator.startedAt}`}>
          v{status.coordinator.version} · {status.coordinator.database === "pglite" ? "embedded DB" : "Postgres"}
        </div>
      </div>
    </div>
  );
}

function NodeTable({ nodes }: { nodes: NodeView[] }) {
  const { canAct, role } = useSession();
  return (
    <div className="table-wrap">
      <table className="stack" aria-label="Nodes">
        <thead>
          <tr>
            <th scope="col">Node</th>
            <th scope="col">State</th>
            <th scope="col">Load</th>
            <th scope="col">Agents</th>
            <th scope="col">Labels</th>
            <th scope="col">Heartbeat</th>
            <th scope="col" className="hide-narrow">
              Version
            </th>
            {canAct && (
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            )}
          </tr>
        </thead>
        <tbody>
          {nodes.map((n) => (
            <tr key={n.id} data-node={n.name}>
              <td data-label="Node">
                <strong>{n.name}</strong>
                <div className="muted small">
                  {[n.hostname, n.os && n.arch ? `${n.os}/${n.arch}` : n.os].filter(Boolean).join(" · ") || n.id}
                </div>
                {n.sandbox && (
                  <div className="muted small" data-sandbox={n.sandbox.mode}>
                    sandbox {n.sandbox.mode}
                    {n.sandbox.network === "none" ? ", no network" : ""}
                  </div>
                )}
              </td>
              <td data-label="State">
                <StateBadge state={n.state} />
                {!n.connected && n.state !== "offline" && n.state !== "revoked" && n.state !== "lost" && (
                  <div className="muted small">not connected</div>
                )}
              </td>
              <td data-label="Load">
                <Load running={n.running} capacity={n.capacity} />
              </td>
              <td data-label="Agents">
                {n.agents.length === 0 ? (
                  <span className="muted">—</span>
                ) : (
                  <ul className="chips" aria-label="agents">
                    {n.agents.map((a) => (
                      <li key={a.name} className="chip" title={[a.version, a.limit ? `at most ${a.limit} at once` : null].filter(Boolean).join(", ")}>
                        {a.name}
                        {a.limit ? ` ≤${a.limit}` : ""}
                      </li>
                    ))}
                  </ul>
                )}
              </td>
              <td data-label="Labels">
                <Labels labels={n.labels} />
              </td>
              <td data-label="Heartbeat">
                <Ago iso={n.lastSeenAt} />
              </td>
              <td data-label="Version" className="hide-narrow">
                {n.version ?? <span className="muted">—</span>}
              </td>
              {canAct && (
                <td className="actions">
                  <NodeActions node={n} admin={role === "admin"} />
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Load({ running, capacity }: { running: number; capacity: number }) {
  const pct = capacity > 0 ? Math.min(100, Math.round((running / capacity) * 100)) : 0;
  return (
    <span className="meter" title={`${running} of ${capacity} slots in use`}>
      <span className="meter-bar" role="meter" aria-valuemin={0} aria-valuemax={capacity} aria-valuenow={running} aria-label="load">
        <span className="meter-fill" style={{ width: `${pct}%` }} />
      </span>
      <span className="nowrap">
        {running}/{capacity}
      </span>
    </span>
  );
}

function NodeActions({ node, admin }: { node: NodeView; admin: boolean }) {
  const post = (what: string, body: unknown = {}) => api.post(`/v1/nodes/${encodeURIComponent(node.id)}/${what}`, body);
  if (node.state === "revoked") return null;
  const held = node.cordoned || node.draining;
  return (
    <>
      {held ? (
        <ActionButton label="Uncordon" aria-label={`Uncordon ${node.name}`} onClick={() => post("uncordon")} />
      ) : (
        <ActionButton label="Cordon" aria-label={`Cordon ${node.name}`} onClick={() => post("cordon")} />
      )}{" "}
      {!node.draining && (
        <ConfirmButton
          label="Drain"
          ariaLabel={`Drain ${node.name}`}
          title={`Drain ${node.name}?`}
          body={
            <p>
              The node takes no new tasks and finishes the {node.running} it runs, then goes offline. Uncordon it to bring it back.
            </p>
          }
          confirmLabel="Drain"
          onConfirm={() => post("drain", { deadlineMs: null })}
        />
      )}{" "}
      {admin && (
        <ConfirmButton
          label="Revoke"
          ariaLabel={`Revoke ${node.name}`}
          danger
          title={`Revoke ${node.name}?`}
          body={
            <p>
              Its credentials stop working at once, its {node.running} running tasks are stopped and re-queued, and it can only come
              back by joining again with a new join key. This cannot be undone.
            </p>
          }
          confirmLabel="Revoke node"
          onConfirm={() => post("revoke")}
        />
      )}
    </>
  );
}
