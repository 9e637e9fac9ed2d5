// Node enrolment, listing and revocation.
import { CloseCode, JoinRequest } from "@muster/protocol";
import { Hono } from "hono";
import { joinNode } from "../../auth/join.js";
import { revokeNode } from "../../claims/revoke-node.js";
import { MusterError } from "../../errors.js";
import { findNode, listNodes, liveClaimCounts } from "../../store/queries.js";
import { readJson, requireRole, type AppDeps, type Env } from "../context.js";
import { toNodeView } from "../views.js";

export function nodeRoutes(deps: AppDeps): Hono<Env> {
  const { db, clock } = deps;
  const app = new Hono<Env>();

  app.post("/nodes/join", async (c) => {
    const req = await readJson(c, JoinRequest);
    const res = await joinNode(db, req, { audience: deps.audience, clock });
    deps.log.info({ nodeId: res.nodeId, node: res.name }, "node joined");
    return c.json(res, 201);
  });

  app.get("/nodes", async (c) => {
    const [rows, counts] = await Promise.all([listNodes(db), liveClaimCounts(db)]);
    const now = clock.now();
    return c.json({ nodes: rows.map((r) => toNodeView(r, counts.get(r.id) ?? 0, now)) });
  });

  app.get("/nodes/:id", async (c) => {
    const row = await findNode(db, c.req.param("id"));
    if (!row) throw new MusterError("not_found", `no node ${c.req.param("id")}`);
    const counts = await liveClaimCounts(db);
    return c.json(toNodeView(row, counts.get(row.id) ?? 0, clock.now()));
  });

  app.post("/nodes/:id/revoke", async (c) => {
    requireRole(c, "admin");
    const row = await findNode(db, c.req.param("id"));
    if (!row) throw new MusterError("not_found", `no node ${c.req.param("id")}`);
    const { node, changedTasks } = await revokeNode(db, row.id, new Date(clock.now()));
    deps.gateway.disconnect(row.id, CloseCode.revoked, "node revoked");
    deps.log.info({ nodeId: row.id, node: row.name, requeued: changedTasks.length }, "node revoked");
    for (const t of changedTasks) deps.bus.emit("task.changed", t);
    deps.bus.emit("node.changed", { nodeId: row.id, state: "revoked" });
    void deps.scheduler.request("node revoked");
    return c.json(toNodeView(node, 0, clock.now()));
  });

  return app;
}
