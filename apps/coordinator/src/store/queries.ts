// Reads shared by several routes.
import { LIVE_CLAIM_STATES } from "@muster/protocol";
import { and, asc, eq, inArray, ne, or, sql } from "drizzle-orm";
import type { Executor } from "./db.js";
import { claims, nodes } from "./schema.js";

/** Live claims per node: what counts against its capacity. */
export async function liveClaimCounts(db: Executor): Promise<Map<string, number>> {
  const rows = await db
    .select({ nodeId: claims.nodeId, n: sql<number>`count(*)::int` })
    .from(claims)
    .where(inArray(claims.state, [...LIVE_CLAIM_STATES]))
    .groupBy(claims.nodeId);
  return new Map(rows.map((r) => [r.nodeId, Number(r.n)]));
}

export async function listNodes(db: Executor) {
  return db.select().from(nodes).where(ne(nodes.state, "revoked")).orderBy(asc(nodes.name));
}

/** A node by id, or by name among nodes that are not revoked. */
export async function findNode(db: Executor, idOrName: string) {
  const rows = await db
    .select()
    .from(nodes)
    .where(or(eq(nodes.id, idOrName), and(eq(nodes.name, idOrName), ne(nodes.state, "revoked"))))
    .limit(2);
  return rows.find((r) => r.id === idOrName) ?? rows[0] ?? null;
}

export async function nodeNames(db: Executor, ids: readonly string[]): Promise<Map<string, string>> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return new Map();
  const rows = await db.select({ id: nodes.id, name: nodes.name }).from(nodes).where(inArray(nodes.id, unique));
  return new Map(rows.map((r) => [r.id, r.name]));
}
