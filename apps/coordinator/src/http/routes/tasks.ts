// Tasks: submit, list, show, cancel.
import {
  CreateTaskRequest,
  type LabelFilter,
  parseLabelFilter,
  TaskListQuery,
  TellRequest,
} from "@muster/protocol";
import { and, asc, desc, eq, lt, ne, or, sql, type SQL } from "drizzle-orm";
import { Hono } from "hono";
import { waitingTasks } from "../../asks/asks.js";
import { createTell, toTellMessage, toTellView } from "../../asks/tells.js";
import { cancelTask, retryTask } from "../../claims/lifecycle.js";
import { MusterError } from "../../errors.js";
import { newId } from "../../ids.js";
import { newTaskValues } from "../../store/new-task.js";
import { findNode, nodeNames } from "../../store/queries.js";
import type { Db } from "../../store/db.js";
import { claims, nodes, tasks, tells } from "../../store/schema.js";
import { readJson, readQuery, requireRole, type AppDeps, type Env } from "../context.js";
import { toAttemptView, toTaskView } from "../views.js";

/**
 * The stored selector is canonical (`formatSelector`): terms joined by "," with no spaces around them, `k=v`,
 * `k!=v`, `k in (a,b)`, `k notin (a,b)`, `k`, `!k`. Only the value lists hold commas, so they are cut out first;
 * then every term sits between two commas and is found with strpos, which has no wildcards to escape.
 */
const VALUE_LISTS = " \\([^)]*\\)";
const terms = sql`(',' || regexp_replace(${tasks.selector}, ${VALUE_LISTS}, '', 'g') || ',')`;
const has = (needle: string) => sql`strpos(${terms}, ${needle}) > 0`;

/** Tasks whose selector requires the label: the exact term `k=v`, or for a bare `k` any of `k=…`, `k in (…)`, `k`. */
function selectorRequires(f: LabelFilter): SQL {
  if (f.value !== null) return has(`,${f.key}=${f.value},`);
  return or(has(`,${f.key}=`), has(`,${f.key} in,`), has(`,${f.key},`))!;
}

export function taskRoutes(deps: AppDeps): Hono<Env> {
  const { db, clock, journal } = deps;
  const app = new Hono<Env>();

  app.post("/tasks", async (c) => {
    const who = requireRole(c, "operator");
    const req = await readJson(c, CreateTaskRequest);
    if (!req.allowUnknownAgent) await requireKnownAgent(db, req.agent);
    const now = clock.now();
    const [row] = await db
      .insert(tasks)
      .values(newTaskValues(req, { id: newId("tsk", now), createdBy: who.name, now }))
      .returning();
    deps.log.info({ taskId: row!.id, agent: row!.agent }, "task submitted");
    journal.submitted(row!.id);
    void deps.scheduler.request("task submitted");
    return c.json(toTaskView(row!, null), 201);
  });

  app.get("/tasks", async (c) => {
    const q = readQuery(c, TaskListQuery);
    const where: SQL[] = [];
    if (q.state) where.push(eq(tasks.state, q.state));
    if (q.agent) where.push(eq(tasks.agent, q.agent));
    if (q.node) {
      // The same id-or-name rule as `GET /v1/nodes/:id`; a node nobody knows has run nothing.
      const node = await findNode(db, q.node);
      if (!node) return c.json({ tasks: [], nextCursor: null });
      where.push(eq(tasks.nodeId, node.id));
    }
    if (q.label) where.push(selectorRequires(parseLabelFilter(q.label)));
    if (q.cursor) where.push(lt(tasks.id, q.cursor));
    const rows = await db
      .select()
      .from(tasks)
      .where(where.length ? and(...where) : undefined)
      .orderBy(desc(tasks.id))
      .limit(q.limit + 1);
    const page = rows.slice(0, q.limit);
    const names = await nodeNames(db, page.flatMap((t) => (t.nodeId ? [t.nodeId] : [])));
    const waiting = await waitingTasks(db, page.map((t) => t.id));
    return c.json({
      tasks: page.map((t) => toTaskView(t, t.nodeId ? (names.get(t.nodeId) ?? null) : null, waiting.has(t.id))),
      nextCursor: rows.length > q.limit ? page[page.length - 1]!.id : null,
    });
  });

  app.get("/tasks/:id", async (c) => {
    const id = c.req.param("id");
    const [task] = await db.select().from(tasks).where(eq(tasks.id, id));
    if (!task) throw new MusterError("not_found", `no task ${id}`);
    const attempts = await db.select().from(claims).where(eq(claims.taskId, id)).orderBy(asc(claims.token));
    const names = await nodeNames(db, [...attempts.map((a) => a.nodeId), ...(task.nodeId ? [task.nodeId] : [])]);
    const waiting = await waitingTasks(db, [task.id]);
    return c.json({
      ...toTaskView(task, task.nodeId ? (names.get(task.nodeId) ?? null) : null, waiting.has(task.id)),
      claims: attempts.map((a) => toAttemptView(a, names.get(a.nodeId) ?? a.nodeId)),
    });
  });

  app.post("/tasks/:id/cancel", async (c) => {
    requireRole(c, "operator");
    const { task, revoke } = await cancelTask(db, c.req.param("id"), new Date(clock.now()));
    if (revoke) deps.gateway.session(revoke.nodeId)?.revoke(revoke.message);
    deps.log.info({ taskId: task.id }, "task cancelled");
    if (revoke) journal.expired({ ...revoke.message, nodeId: revoke.nodeId }, "cancelled");
    journal.taskState(task.id, "cancelled", task.currentClaimId);
    if (revoke) void deps.scheduler.request("slot freed");
    return c.json(toTaskView(task, null));
  });

  app.post("/tasks/:id/tell", async (c) => {
    const who = requireRole(c, "operator");
    const req = await readJson(c, TellRequest);
    const row = await createTell(db, c.req.param("id"), req.text, who.name, new Date(clock.now()));
    deps.gateway.session(row.nodeId)?.send("tell", toTellMessage(row));
    deps.log.info({ taskId: row.taskId, tellId: row.id }, "tell queued");
    return c.json(toTellView(row), 201);
  });

  app.get("/tasks/:id/tells", async (c) => {
    const rows = await db.select().from(tells).where(eq(tells.taskId, c.req.param("id"))).orderBy(asc(tells.createdAt));
    return c.json({ tells: rows.map(toTellView) });
  });

  app.post("/tasks/:id/retry", async (c) => {
    requireRole(c, "operator");
    const task = await retryTask(db, c.req.param("id"), new Date(clock.now()));
    deps.log.info({ taskId: task.id }, "task retried");
    journal.taskState(task.id, "queued", null);
    await deps.scheduler.request("task retried");
    const [row] = await db.select().from(tasks).where(eq(tasks.id, task.id));
    return c.json(toTaskView(row!, null));
  });

  return app;
}

/**
 * A task for an agent that no node has ever offered would wait forever without a word: refuse it, unless the
 * submitter says the fleet is still joining. `exec` is on every node.
 */
async function requireKnownAgent(db: Db, agent: string): Promise<void> {
  if (agent === "exec") return;
  const offered = await db
    .select({ id: nodes.id })
    .from(nodes)
    .where(and(ne(nodes.state, "revoked"), sql`${nodes.agents} @> ${JSON.stringify([{ name: agent }])}::jsonb`))
    .limit(1);
  if (offered.length === 0)
    throw new MusterError("unknown_agent", `no node offers agent ${agent}; join one that does, or pass allowUnknownAgent (--allow-unknown-agent) to queue it anyway`);
}
