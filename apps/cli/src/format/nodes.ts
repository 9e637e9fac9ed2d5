// Node views: the fleet table (`status`, `nodes`) and one node's fields (`nodes show`).
import type { NodeView } from "@muster/protocol";
import type { Paint } from "./color.js";
import { formatFields, formatTable } from "./table.js";
import { formatLabels } from "./text.js";
import { formatAgo, formatTimestamp } from "./time.js";

/** `paintState` colours the STATE column (see `stateColor`). */
export function nodeTable(nodes: readonly NodeView[], { withId = false, paintState }: { withId?: boolean; paintState?: Paint } = {}): string {
  const headers = ["NAME", "STATE", "LABELS", "RUNNING", "AGENTS", "HEARTBEAT", "VERSION", "SANDBOX"];
  const rows = nodes.map((n) => [
    n.name,
    n.state,
    formatLabels(n.labels),
    `${n.running}/${n.capacity}`,
    n.agents.map((a) => a.name).join(",") || "-",
    formatAgo(n.heartbeatAgeMs),
    n.version ?? "-",
    formatSandbox(n.sandbox),
  ]);
  if (!withId) return formatTable(headers, rows, { paint: [undefined, paintState] });
  return formatTable(["ID", ...headers], rows.map((row, i) => [nodes[i]!.id, ...row]), { paint: [undefined, undefined, paintState] });
}

/** `bwrap`, `bwrap, no network`, `none`; `-` for a node that never said. */
export function formatSandbox(sandbox: NodeView["sandbox"]): string {
  if (!sandbox) return "-";
  return sandbox.network === "none" ? `${sandbox.mode}, no network` : sandbox.mode;
}

export function nodeFields(n: NodeView, now: number): string {
  const platform = [n.os, n.arch].filter(Boolean).join("/");
  return formatFields([
    ["id", n.id],
    ["name", n.name],
    ["state", `${n.state}${n.connected ? " (connected)" : " (not connected)"}`],
    ["labels", formatLabels(n.labels)],
    ["running", `${n.running}/${n.capacity}`],
    ["agents", n.agents.map((a) => (a.version ? `${a.name} ${a.version}` : a.name)).join(", ") || "-"],
    ["hostname", n.hostname ?? "-"],
    ["platform", platform || "-"],
    ["version", n.version ?? "-"],
    ["sandbox", formatSandbox(n.sandbox)],
    ["joined", formatTimestamp(n.joinedAt, now)],
    ["last seen", n.lastSeenAt ? `${formatTimestamp(n.lastSeenAt, now)}` : "-"],
    ["heartbeat", n.heartbeatAgeMs === null ? "-" : formatAgo(n.heartbeatAgeMs)],
  ]);
}

