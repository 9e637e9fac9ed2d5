// A task's attempts: one row per claim with its node, fencing token, times and outcome.
import type { AttemptView } from "@muster/protocol";
import { clock, dateTime, duration } from "../format";
import { Link } from "../router";
import { StateBadge } from "../components/ui";
import { extraMessage, reasonText } from "./task-common";

export function Attempts({ claims }: { claims: readonly AttemptView[] }) {
  return (
    <section className="section" aria-labelledby="task-attempts">
      <h2 id="task-attempts">
        Attempts <span className="muted">{claims.length}</span>
      </h2>
      {claims.length === 0 ? (
        <p className="muted">No node has been offered this task yet.</p>
      ) : (
        <div className="table-wrap">
          <table className="stack attempts-table">
            <caption className="visually-hidden">Attempts</caption>
            <thead>
              <tr>
                <th scope="col">#</th>
                <th scope="col">Node</th>
                <th scope="col" className="num">
                  Token
                </th>
                <th scope="col">State</th>
                <th scope="col">Offered</th>
                <th scope="col">Accepted</th>
                <th scope="col">Started</th>
                <th scope="col">Finished</th>
                <th scope="col">Outcome</th>
              </tr>
            </thead>
            <tbody>
              {claims.map((c) => (
                <tr key={c.claimId}>
                  <td data-label="Attempt">
                    <strong>{c.attempt}</strong>
                  </td>
                  <td data-label="Node">
                    <Link to={`/tasks?node=${encodeURIComponent(c.nodeName)}`}>{c.nodeName}</Link>
                  </td>
                  <td data-label="Token" className="num">
                    {c.token}
                  </td>
                  <td data-label="State">
                    <StateBadge state={c.state} />
                  </td>
                  <td data-label="Offered" className="nowrap">
                    <Time iso={c.offeredAt} />
                  </td>
                  <td data-label="Accepted" className="nowrap">
                    <Time iso={c.acceptedAt} />
                  </td>
                  <td data-label="Started" className="nowrap">
                    <Time iso={c.startedAt} />
                  </td>
                  <td data-label="Finished" className="nowrap">
                    <Time iso={c.finishedAt} />
                    {c.startedAt && c.finishedAt ? (
                      <span className="muted"> ({duration(Date.parse(c.finishedAt) - Date.parse(c.startedAt))})</span>
                    ) : null}
                  </td>
                  <td data-label="Outcome" className="outcome">
                    <Outcome c={c} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function Time({ iso }: { iso: string | null }) {
  if (!iso) return <span className="muted">—</span>;
  return (
    <time dateTime={iso} title={dateTime(iso)}>
      {clock(iso)}
    </time>
  );
}

function Outcome({ c }: { c: AttemptView }) {
  const parts: string[] = [];
  if (c.exitCode !== null) parts.push(`exit ${c.exitCode}`);
  if (c.signal) parts.push(c.signal);
  // A non-zero exit code already says "exit_code".
  if (c.reason && !(c.reason === "exit_code" && c.exitCode !== null)) parts.push(reasonText(c.reason).toLowerCase());
  const message = extraMessage(c);
  if (parts.length === 0 && !message) return <span className="muted">—</span>;
  return (
    <>
      {parts.join(" · ")}
      {message ? <span className="muted outcome-message">{message}</span> : null}
    </>
  );
}
