// What a node's session does to its row: connect, renew, disconnect.
import type { AgentInfo, Hello, NodeState } from "@muster/protocol";
import { and, eq, ne } from "drizzle-orm";
import type { Db } from "../store/db.js";
import { nodes } from "../store/schema.js";

export type NodeRow = typeof nodes.$inferSelect;

/** Connected nodes are `ready` unless an operator cordoned or drained them. */
export function connectedState(row: Pick<NodeRow, "cordoned" | "draining">, nodeDraining: boolean): NodeState {
  if (row.draining || nodeDraining) return "draining";
  if (row.cordoned) return "cordoned";
  return "ready";
}

export async function markConnected(
  db: Db,
  node: NodeRow,
  hello: Hello,
  sessionId: string,
  now: Date,
  leaseMs: number,
): Promise<NodeRow> {
  const [row] = await db
    .update(nodes)
    .set({
      state: connectedState(node, hello.draining),
      sessionId,
      agents: hello.agents as AgentInfo[],
      capacity: hello.capacity,
      version: hello.version,
      hostname: hello.hostname,
      os: hello.os,
      arch: hello.arch,
      sandbox: hello.sandbox ?? null,
      connectedAt: now,
      lastSeenAt: now,
      leaseExpiresAt: new Date(now.getTime() + leaseMs),
    })
    .where(eq(nodes.id, node.id))
    .returning();
  return row!;
}

/**
 * A node that said goodbye is `offline` (true is returned); one that vanished keeps its state until its lease
 * lapses. Only the session that owns the node may do either.
 */
export async function markDisconnected(db: Db, nodeId: string, sessionId: string, clean: boolean, now: Date): Promise<boolean> {
  const rows = await db
    .update(nodes)
    .set(clean ? { state: "offline", sessionId: null, lastSeenAt: now, leaseExpiresAt: now } : { sessionId: null })
    .where(and(eq(nodes.id, nodeId), eq(nodes.sessionId, sessionId), ne(nodes.state, "revoked")))
    .returning({ id: nodes.id });
  return clean && rows.length > 0;
}
