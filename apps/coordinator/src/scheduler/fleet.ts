// What the scheduler reads in its transaction: the fleet as the database and this coordinator's sessions see
// it, the queue in order, group counts, affinity history and the day's spend.
import type { PlacementPolicy, TaskState } from "@muster/protocol";
import { LIVE_CLAIM_STATES, parseSelector } from "@muster/protocol";
import { and, asc, desc, eq, gte, inArray, isNotNull, isNull, lte, max, ne, or, sql, sum } from "drizzle-orm";
import type { TaskRow } from "../claims/fencing.js";
import type { Executor, Tx } from "../store/db.js";
import { claims, nodes, tasks } from "../store/schema.js";
import type { FleetNode, QueuedTask } from "./placement.js";
import type { OfferTarget } from "./scheduler.js";

const LEASED = ["ready", "busy", "cordoned", "draining"];

/**
 * `withIdle`: also find when each node last finished a claim (for `earliest-idle`); that reads every claim of the
 * fleet, so it is done only when a queued task asks for it.
 */
export async function readFleet(
  tx: Tx,
  sessions: Map<string, OfferTarget>,
  now: Date,
  lastOfferAt: Map<string, number>,
  withIdle: boolean,
) {
  const rows = await tx.select().from(nodes).where(ne(nodes.state, "revoked"));
  const ids = rows.map((r) => r.id);
  const finished = ids.length && withIdle
    ? await tx
        .select({ nodeId: claims.nodeId, at: max(claims.finishedAt) })
        .from(claims)
        .where(inArray(claims.nodeId, ids))
        .groupBy(claims.nodeId)
    : [];
  const live = ids.length
    ? await tx
        .select({ nodeId: claims.nodeId, agent: tasks.agent, n: sql<number>`count(*)::int` })
        .from(claims)
        .innerJoin(tasks, eq(tasks.id, claims.taskId))
        .where(and(inArray(claims.nodeId, ids), inArray(claims.state, [...LIVE_CLAIM_STATES])))
        .groupBy(claims.nodeId, tasks.agent)
    : [];
  const running = new Map<string, number>();
  const perAgent = new Map<string, Map<string, number>>();
  for (const c of live) {
    running.set(c.nodeId, (running.get(c.nodeId) ?? 0) + Number(c.n));
    const m = perAgent.get(c.nodeId) ?? new Map<string, number>();
    m.set(c.agent, Number(c.n));
    perAgent.set(c.nodeId, m);
  }
  const lastFinished = new Map(finished.map((c) => [c.nodeId, c.at?.getTime() ?? 0]));
  return rows.map((r): FleetNode => {
    const session = sessions.get(r.id);
    const leased = LEASED.includes(r.state) && !!r.leaseExpiresAt && r.leaseExpiresAt > now;
    return {
      nodeId: r.id,
      name: r.name,
      labels: session?.labels ?? r.labels,
      agents: session?.agents ?? new Set(r.agents.map((a) => a.name)),
      capacity: session?.capacity ?? r.capacity,
      running: running.get(r.id) ?? 0,
      live: leased,
      closed: r.cordoned || r.draining || r.state === "cordoned" || r.state === "draining",
      offerable: !!session?.accepting,
      idleSince: Math.max(lastFinished.get(r.id) ?? 0, r.connectedAt?.getTime() ?? 0),
      lastOfferAt: lastOfferAt.get(r.id) ?? 0,
      agentLimits: new Map(r.agents.flatMap((a) => (a.limit ? [[a.name, a.limit] as const] : []))),
      agentRunning: perAgent.get(r.id) ?? new Map(),
    };
  });
}

/** Queued tasks that are due, highest effective priority first (aging adds a point per `agingMs` waited). */
export async function readQueue(tx: Tx, now: Date, opts: { limit: number; agingMs: number }): Promise<TaskRow[]> {
  const waitedMs = sql`extract(epoch from (${now.toISOString()}::timestamptz - ${tasks.queuedAt})) * 1000`;
  const effective = opts.agingMs > 0 ? sql`${tasks.priority} + floor(${waitedMs} / ${opts.agingMs})` : sql`${tasks.priority}`;
  return tx
    .select()
    .from(tasks)
    .where(and(eq(tasks.state, "queued" satisfies TaskState), or(isNull(tasks.notBefore), lte(tasks.notBefore, now))))
    .orderBy(desc(effective), asc(tasks.queuedAt), asc(tasks.id))
    .limit(opts.limit)
    .for("update", { skipLocked: true });
}

export function toQueued(t: TaskRow, defaultPolicy: PlacementPolicy): QueuedTask {
  return {
    id: t.id,
    agent: t.agent,
    requirements: parseSelector(t.selector),
    policy: (t.policy as PlacementPolicy | null) ?? defaultPolicy,
    affinityKey: t.affinityKey,
    spreadLabel: t.spreadLabel,
    group: t.groupName,
    groupLimit: t.groupLimit,
    queuedAt: t.queuedAt.getTime(),
  };
}

export async function readGroups(tx: Tx, queue: readonly TaskRow[]): Promise<Map<string, number>> {
  const names = [...new Set(queue.flatMap((t) => (t.groupName ? [t.groupName] : [])))];
  if (names.length === 0) return new Map();
  const rows = await tx
    .select({ group: tasks.groupName, n: sql<number>`count(*)::int` })
    .from(tasks)
    .where(and(inArray(tasks.groupName, names), inArray(tasks.state, ["assigned", "running"])))
    .groupBy(tasks.groupName);
  return new Map(rows.map((r) => [r.group!, Number(r.n)]));
}

/** For each affinity key in the queue, the node that most recently started a task with it. */
export async function readAffinity(tx: Tx, queue: readonly TaskRow[]): Promise<Map<string, string>> {
  const keys = [...new Set(queue.flatMap((t) => (t.affinityKey ? [t.affinityKey] : [])))];
  if (keys.length === 0) return new Map();
  const rows = await tx
    .selectDistinctOn([tasks.affinityKey], { key: tasks.affinityKey, nodeId: tasks.nodeId })
    .from(tasks)
    .where(and(inArray(tasks.affinityKey, keys), isNotNull(tasks.nodeId), isNotNull(tasks.startedAt)))
    .orderBy(tasks.affinityKey, desc(tasks.startedAt));
  return new Map(rows.map((r) => [r.key!, r.nodeId!]));
}

/** Spend since 00:00 UTC: each attempt's reported cost counts on the day it was offered. */
export async function spentToday(tx: Executor, now: Date): Promise<number> {
  const day = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
  const [row] = await tx.select({ usd: sum(claims.costUsd) }).from(claims).where(gte(claims.offeredAt, day));
  return Number(row?.usd ?? 0);
}
