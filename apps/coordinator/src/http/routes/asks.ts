// Asks: list (with a long poll for `muster asks wait`), show, answer.
import { AnswerAskRequest, AskListQuery } from "@muster/protocol";
import { and, desc, eq, type SQL } from "drizzle-orm";
import { Hono } from "hono";
import { answerAsk, expireAsks, toAnswer, toAskView, type AskRow } from "../../asks/asks.js";
import { MusterError } from "../../errors.js";
import type { Executor } from "../../store/db.js";
import { nodeNames } from "../../store/queries.js";
import { asks } from "../../store/schema.js";
import { readJson, readQuery, requireRole, type AppDeps, type Env } from "../context.js";

async function views(db: Executor, rows: AskRow[]) {
  const names = await nodeNames(db, rows.map((r) => r.nodeId));
  return rows.map((r) => toAskView(r, names.get(r.nodeId) ?? null));
}

export function askRoutes(deps: AppDeps): Hono<Env> {
  const { db, clock, journal } = deps;
  const app = new Hono<Env>();
  // Asks past their deadline are expired before anyone reads or answers them.
  const expireDue = async () => {
    for (const r of await expireAsks(db, new Date(clock.now())))
      journal.ask({ askId: r.id, taskId: r.taskId, claimId: r.claimId, state: r.state });
  };

  app.get("/asks", async (c) => {
    const q = readQuery(c, AskListQuery);
    await expireDue();
    const where: SQL[] = [];
    if (q.state) where.push(eq(asks.state, q.state));
    if (q.taskId) where.push(eq(asks.taskId, q.taskId));
    const read = () =>
      db
        .select()
        .from(asks)
        .where(where.length ? and(...where) : undefined)
        .orderBy(desc(asks.createdAt))
        .limit(q.limit);
    let rows = await read();
    if (rows.length === 0 && q.waitMs) {
      // Long poll: wake on the next ask change (or a periodic re-read, for asks stored by another coordinator).
      const deadline = Date.now() + q.waitMs;
      while (rows.length === 0 && Date.now() < deadline) {
        await new Promise<void>((resolve) => {
          const off = deps.bus.on("ask.changed", () => (off(), resolve()));
          setTimeout(() => (off(), resolve()), Math.min(2000, deadline - Date.now()));
        });
        await expireDue();
        rows = await read();
      }
    }
    return c.json({ asks: await views(db, rows) });
  });

  app.get("/asks/:id", async (c) => {
    await expireDue();
    const [row] = await db.select().from(asks).where(eq(asks.id, c.req.param("id")));
    if (!row) throw new MusterError("not_found", `no ask ${c.req.param("id")}`);
    return c.json((await views(db, [row]))[0]);
  });

  app.post("/asks/:id/answer", async (c) => {
    const who = requireRole(c, "operator");
    const req = await readJson(c, AnswerAskRequest);
    await expireDue();
    const row = await answerAsk(db, c.req.param("id"), req, who.name, new Date(clock.now()));
    deps.log.info({ askId: row.id, taskId: row.taskId, by: who.name }, "ask answered");
    journal.ask({ askId: row.id, taskId: row.taskId, claimId: row.claimId, state: row.state });
    // Push it now; the node also gets it in its next heartbeat ack until the worker has it.
    deps.gateway.session(row.nodeId)?.send("ask.answer", toAnswer(row));
    return c.json((await views(db, [row]))[0]);
  });

  return app;
}
