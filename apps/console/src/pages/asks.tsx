// Asks: what workers wait on a person for, and what people answered.
import { AskList, type AskView } from "@muster/protocol";
import { api } from "../api";
import { AskCard, gateText } from "../components/ask-card";
import { Ago, Empty, ErrorBox, Loading, PageHeader, StateBadge, useTitle } from "../components/ui";
import { useResource } from "../live";
import { Link } from "../router";

export function AskPage() {
  useTitle("Asks");
  const asks = useResource(
    () => api.get("/v1/asks?limit=200", AskList),
    [],
    (e) => e.type === "ask",
  );
  const all = asks.data?.asks ?? [];
  // Oldest first: the worker that has waited longest is answered first.
  const pending = all.filter((a) => a.state === "pending").reverse();
  const history = all.filter((a) => a.state !== "pending");
  return (
    <>
      <PageHeader title="Asks" />
      {asks.error ? <ErrorBox error={asks.error} retry={asks.reload} /> : null}
      {!asks.data && !asks.error ? <Loading what="asks" /> : null}
      {asks.data && (
        <>
          <section className="section" aria-labelledby="pending-heading">
            <h2 id="pending-heading">
              Waiting for an answer <span className="muted">{pending.length}</span>
            </h2>
            {pending.length === 0 ? (
              <Empty title="No worker is waiting for you.">
                <p>
                  When a worker runs <code>muster ask</code> or reaches an approval gate, its question shows up here and in the
                  badge on every page.
                </p>
              </Empty>
            ) : (
              <div className="grid ask-list">
                {pending.map((a) => (
                  <AskCard key={a.id} ask={a} />
                ))}
              </div>
            )}
          </section>
          <section className="section" aria-labelledby="history-heading">
            <h2 id="history-heading">Answered and closed</h2>
            {history.length === 0 ? <p className="muted">Nothing yet.</p> : <History asks={history} />}
          </section>
        </>
      )}
    </>
  );
}

function History({ asks }: { asks: AskView[] }) {
  return (
    <div className="table-wrap">
      <table className="stack" aria-label="Answered asks">
        <thead>
          <tr>
            <th scope="col">Question</th>
            <th scope="col">Answer</th>
            <th scope="col">By</th>
            <th scope="col">When</th>
            <th scope="col">Task</th>
          </tr>
        </thead>
        <tbody>
          {asks.map((a) => (
            <tr key={a.id}>
              <td data-label="Question">
                <span className="pre-wrap">{a.question}</span>
                {a.gate && <div className="muted small">{gateText(a.gate)}</div>}
              </td>
              <td data-label="Answer">{a.state === "answered" ? <strong className="pre-wrap">{a.answer}</strong> : <StateBadge state={a.state} />}</td>
              <td data-label="By">{a.answeredBy ?? <span className="muted">—</span>}</td>
              <td data-label="When">
                <Ago iso={a.answeredAt ?? a.createdAt} />
              </td>
              <td data-label="Task">
                <Link to={`/tasks/${encodeURIComponent(a.taskId)}`} className="mono">
                  {a.taskId}
                </Link>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
