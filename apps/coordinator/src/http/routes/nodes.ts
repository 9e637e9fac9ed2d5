// Node enrolment, listing, and what operators do to nodes: cordon, drain, revoke.
import type { NodeState } from "@muster/protocol";
import { CloseCode, DrainNodeRequest, JoinRequest } from "@muster/protocol";
import { eq } from "drizzle-orm";
import { Hono } from "hono";
import { joinNode } from "../../auth/join.js";
import { revokeNode } from "../../claims/revoke-node.js";
import { canMoveNode } from "../../claims/transitions.js";
import { MusterError } from "../../errors.js";
import { connectedState, type NodeRow } from "../../gateway/node-state.js";
import { findNode, listNodes, liveClaimCounts } from "../../store/queries.js";
import { nodes } from "../../store/schema.js";
import { clientAddress, readJson, requireRole, type AppDeps, type Env } from "../context.js";
import { toNodeView } from "../views.js";

export function nodeRoutes(deps: AppDeps): Hono<Env> {
  const { db, clock, journal } = deps;
  const app = new Hono<Env>();

  async function mustFind(idOrName: string): Promise<NodeRow> {
    const row = await findNode(db, idOrName);
    if (!row) throw new MusterError("not_found", `no node ${idOrName}`);
    return row;
  }

  async function view(row: NodeRow) {
    const counts = await liveClaimCounts(db);
    return toNodeView(row, counts.get(row.id) ?? 0, clock.now());
  }

  /** Sets the operator's wishes on a node and tells its live session, if this coordinator holds it. */
  async function setDesired(row: NodeRow, change: { cordoned: boolean; draining: boolean }, drainDeadlineMs?: number | null) {
    const live = row.sessionId !== null && ["ready", "busy", "cordoned", "draining"].includes(row.state);
    const state: NodeState = live ? connectedState(change, false) : (row.state as NodeState);
    if (row.state === "revoked" || (state !== row.state && !canMoveNode(row.state as NodeState, state)))
      throw new MusterError("invalid_state", `node ${row.name} is ${row.state}`);
    const [updated] = await db.update(nodes).set({ ...change, state }).where(eq(nodes.id, row.id)).returning();
    if (state !== row.state) journal.nodeState(row.id, state);
    deps.gateway.session(row.id)?.updateDesired(updated!, drainDeadlineMs);
    if (!change.cordoned && !change.draining) void deps.scheduler.request("node uncordoned");
    return updated!;
  }

  app.post("/nodes/join", async (c) => {
    const address = clientAddress(c, deps);
    deps.limits.join.check(address);
    const req = await readJson(c, JoinRequest);
    const res = await joinNode(db, req, { audience: deps.audience, clock }).catch((err: unknown) => {
      if (err instanceof MusterError && err.code.startsWith("join_key_")) deps.limits.join.fail(address);
      throw err;
    });
    deps.log.info({ nodeId: res.nodeId, node: res.name }, "node joined");
    journal.nodeState(res.nodeId, "joined");
    return c.json(res, 201);
  });

  app.get("/nodes", async (c) => {
    const [rows, counts] = await Promise.all([listNodes(db), liveClaimCounts(db)]);
    const now = clock.now();
    return c.json({ nodes: rows.map((r) => toNodeView(r, counts.get(r.id) ?? 0, now)) });
  });

  app.get("/nodes/:id", async (c) => c.json(await view(await mustFind(c.req.param("id")))));

  app.post("/nodes/:id/cordon", async (c) => {
    requireRole(c, "operator");
    const row = await mustFind(c.req.param("id"));
    return c.json(await view(await setDesired(row, { cordoned: true, draining: row.draining })));
  });

  app.post("/nodes/:id/uncordon", async (c) => {
    requireRole(c, "operator");
    const row = await mustFind(c.req.param("id"));
    return c.json(await view(await setDesired(row, { cordoned: false, draining: false })));
  });

  app.post("/nodes/:id/drain", async (c) => {
    requireRole(c, "operator");
    const req = await readJson(c, DrainNodeRequest, { allowEmpty: true });
    const row = await mustFind(c.req.param("id"));
    deps.log.info({ nodeId: row.id, deadlineMs: req.deadlineMs }, "node drain requested");
    return c.json(await view(await setDesired(row, { cordoned: true, draining: true }, req.deadlineMs)));
  });

  app.post("/nodes/:id/revoke", async (c) => {
    requireRole(c, "admin");
    const row = await mustFind(c.req.param("id"));
    const { node, changed } = await revokeNode(db, row.id, new Date(clock.now()), deps.policy);
    deps.gateway.disconnect(row.id, CloseCode.revoked, "node revoked");
    deps.log.info({ nodeId: row.id, node: row.name, requeued: changed.length }, "node revoked");
    for (const t of changed) {
      journal.expired({ taskId: t.taskId, claimId: t.claim.id, token: t.claim.token, nodeId: row.id }, "revoked");
      journal.taskState(t.taskId, t.state, null);
    }
    journal.nodeState(row.id, "revoked");
    void deps.scheduler.request("node revoked");
    return c.json(toNodeView(node, 0, clock.now()));
  });

  return app;
}
