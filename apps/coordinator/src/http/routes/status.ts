// The fleet at a glance: nodes and task counts by state.
import { MUSTER_VERSION, TaskState, type TaskCounts } from "@muster/protocol";
import { sql } from "drizzle-orm";
import { Hono } from "hono";
import { spentToday } from "../../scheduler/fleet.js";
import { listNodes, liveClaimCounts } from "../../store/queries.js";
import { tasks } from "../../store/schema.js";
import type { AppDeps, Env } from "../context.js";
import { toNodeView } from "../views.js";

export function statusRoutes(deps: AppDeps): Hono<Env> {
  const { db, clock } = deps;
  const app = new Hono<Env>();
  app.get("/status", async (c) => {
    const [rows, counts, byState, spent] = await Promise.all([
      listNodes(db),
      liveClaimCounts(db),
      db.select({ state: tasks.state, n: sql<number>`count(*)::int` }).from(tasks).groupBy(tasks.state),
      spentToday(db, new Date(clock.now())),
    ]);
    const now = clock.now();
    const taskCounts = Object.fromEntries(TaskState.options.map((s) => [s, 0])) as TaskCounts;
    for (const r of byState) taskCounts[r.state as TaskState] = Number(r.n);
    return c.json({
      coordinator: { id: deps.audience, version: MUSTER_VERSION, database: deps.dbKind, startedAt: deps.startedAt.toISOString() },
      nodes: rows.map((r) => toNodeView(r, counts.get(r.id) ?? 0, now)),
      tasks: taskCounts,
      budget: { dailyUsd: deps.dailyBudgetUsd ?? null, spentTodayUsd: spent, exhausted: deps.dailyBudgetUsd !== undefined && spent >= deps.dailyBudgetUsd },
    });
  });
  return app;
}
