// The pulse: status, pause/resume, one beat now, its tick agent and budget, its decisions and journal.
import { DecisionList, JournalQuery, PulseConfigureRequest } from "@muster/protocol";
import { and, desc, eq, gt, type SQL } from "drizzle-orm";
import { Hono } from "hono";
import { z } from "zod";
import { MusterError } from "../../errors.js";
import { appendJournal, readPulse, updatePulse } from "../../pulse/store.js";
import { pulseStatus, toDecisionView, toJournalEntry } from "../../pulse/views.js";
import { requestSelector } from "../../store/new-task.js";
import { decisions, pulseJournal } from "../../store/schema.js";
import { readJson, readQuery, requireRole, type AppDeps, type Env } from "../context.js";

const DecisionQuery = z.object({ limit: z.coerce.number().int().min(1).max(500).default(50) });

export function pulseRoutes(deps: AppDeps): Hono<Env> {
  const { db, clock } = deps;
  const app = new Hono<Env>();
  const now = () => new Date(clock.now());

  app.get("/pulse", async (c) => c.json(await pulseStatus(db, now())));

  for (const [path, paused] of [["pause", true], ["resume", false]] as const) {
    app.post(`/pulse/${path}`, async (c) => {
      const who = requireRole(c, "operator");
      await db.transaction(async (tx) => {
        const s = await readPulse(tx, true);
        // Resuming looks at the world at once; a pulse that was backing off keeps its backoff.
        await updatePulse(tx, paused ? { paused } : { paused, nextBeatAt: now() }, now());
        if (s.paused !== paused) await appendJournal(tx, "human", `${who.name} ${paused ? "paused" : "resumed"} the pulse`, null, now());
      });
      void deps.pulse?.tickNow();
      return c.json(await pulseStatus(db, now()));
    });
  }

  app.post("/pulse/beat", async (c) => {
    const who = requireRole(c, "operator");
    await db.transaction(async (tx) => {
      const s = await readPulse(tx, true);
      if (s.paused) throw new MusterError("invalid_state", "the pulse is paused; muster pulse resume first");
      await updatePulse(tx, { beatRequested: true }, now());
      await appendJournal(tx, "human", `${who.name} asked for a beat`, null, now());
    });
    await deps.pulse?.tickNow();
    return c.json(await pulseStatus(db, now()));
  });

  app.post("/pulse/configure", async (c) => {
    const who = requireRole(c, "admin");
    const req = await readJson(c, PulseConfigureRequest);
    if (req.selector !== undefined) requestSelector({ selector: req.selector });
    await db.transaction(async (tx) => {
      const s = await readPulse(tx, true);
      const agent = { ...s.agent };
      if (req.argv !== undefined) {
        agent.argv = req.argv;
        if (req.argv.length > 0) agent.agent = "exec";
        else if (agent.agent === "exec" && req.agent === undefined) agent.agent = "claude";
      }
      if (req.agent !== undefined) agent.agent = req.agent;
      if (agent.agent === "exec" && agent.argv.length === 0)
        throw new MusterError("validation_failed", "agent exec needs a decider command: muster pulse configure --agent exec -- <argv...>");
      if (req.agent !== undefined && req.agent !== "exec" && req.argv === undefined) agent.argv = [];
      if (req.model !== undefined) agent.model = req.model;
      if (req.selector !== undefined) agent.selector = requestSelector({ selector: req.selector });
      await updatePulse(
        tx,
        {
          agent,
          ...(req.intervalMs !== undefined ? { intervalMs: req.intervalMs, nextBeatAt: now() } : {}),
          ...(req.maxDecidesPerHour !== undefined ? { maxDecidesPerHour: req.maxDecidesPerHour } : {}),
        },
        now(),
      );
      await appendJournal(tx, "human", `${who.name} configured the pulse: ${JSON.stringify(req)}`, null, now());
    });
    return c.json(await pulseStatus(db, now()));
  });

  app.get("/pulse/decisions", async (c) => {
    const q = readQuery(c, DecisionQuery);
    const rows = await db.select().from(decisions).orderBy(desc(decisions.createdAt), desc(decisions.id)).limit(q.limit);
    return c.json(DecisionList.parse({ decisions: rows.map((d) => toDecisionView(d, false)) }));
  });

  app.get("/pulse/decisions/:id", async (c) => {
    const [row] = await db.select().from(decisions).where(eq(decisions.id, c.req.param("id")));
    if (!row) throw new MusterError("not_found", `no decision ${c.req.param("id")}`);
    return c.json(toDecisionView(row, true));
  });

  app.get("/journal", async (c) => {
    const q = readQuery(c, JournalQuery);
    const where: SQL[] = [];
    if (q.after !== undefined) where.push(gt(pulseJournal.id, q.after));
    const read = async () => {
      // Newest `limit` entries, shown oldest first.
      const rows = await db.select().from(pulseJournal).where(where.length ? and(...where) : undefined).orderBy(desc(pulseJournal.id)).limit(q.limit);
      return rows.reverse();
    };
    let rows = await read();
    const deadline = Date.now() + (q.waitMs ?? 0);
    // A short poll for `muster journal -f`: the journal is written by whichever coordinator holds the pulse.
    while (rows.length === 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(500, deadline - Date.now())));
      rows = await read();
    }
    return c.json({ entries: rows.map(toJournalEntry) });
  });

  return app;
}
