// The pulse's goals, PLAYBOOK and sensors, as people write them.
import {
  GoalId,
  GoalListQuery,
  PlaybookQuery,
  SensorName,
  WriteGoalRequest,
  WritePlaybookRequest,
  WriteSensorRequest,
} from "@muster/protocol";
import { desc, eq } from "drizzle-orm";
import { Hono } from "hono";
import type { z } from "zod";
import { MusterError } from "../../errors.js";
import { appendJournal, archiveGoal, dropSensor, writeGoal, writePlaybook, writeSensor } from "../../pulse/store.js";
import { sensorViews, toGoalView } from "../../pulse/views.js";
import { goals, playbookVersions, sensors } from "../../store/schema.js";
import { describeIssues, readJson, readQuery, requireRole, type AppDeps, type Env } from "../context.js";

function param<T extends z.ZodType<string>>(schema: T, value: string): string {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new MusterError("validation_failed", describeIssues(parsed.error));
  return parsed.data;
}

export function goalRoutes(deps: AppDeps): Hono<Env> {
  const { db, clock } = deps;
  const app = new Hono<Env>();
  const now = () => new Date(clock.now());

  app.get("/goals", async (c) => {
    const q = readQuery(c, GoalListQuery);
    const rows = await db.select().from(goals).where(q.all === "true" ? undefined : eq(goals.state, "active")).orderBy(goals.id);
    return c.json({ goals: rows.map(toGoalView) });
  });

  app.get("/goals/:id", async (c) => {
    const id = param(GoalId, c.req.param("id"));
    const [row] = await db.select().from(goals).where(eq(goals.id, id));
    if (!row) throw new MusterError("not_found", `no goal ${id}`);
    return c.json(toGoalView(row));
  });

  app.post("/goals/:id", async (c) => {
    const who = requireRole(c, "operator");
    const id = param(GoalId, c.req.param("id"));
    const req = await readJson(c, WriteGoalRequest);
    const row = await db.transaction(async (tx) => {
      const goal = await writeGoal(tx, id, req.text, now());
      await appendJournal(tx, "human", `${who.name} wrote goal ${id}`, null, now());
      return goal;
    });
    return c.json(toGoalView(row));
  });

  app.post("/goals/:id/archive", async (c) => {
    const who = requireRole(c, "operator");
    const id = param(GoalId, c.req.param("id"));
    const row = await db.transaction(async (tx) => {
      const goal = await archiveGoal(tx, id, now());
      await appendJournal(tx, "human", `${who.name} archived goal ${id}`, null, now());
      return goal;
    });
    return c.json(toGoalView(row));
  });

  app.get("/playbook", async (c) => {
    const q = readQuery(c, PlaybookQuery);
    const all = await db.select().from(playbookVersions).orderBy(desc(playbookVersions.version));
    const row = q.version === undefined ? all[0] : all.find((v) => v.version === q.version);
    if (!row) throw new MusterError("not_found", q.version === undefined ? "no PLAYBOOK yet" : `no PLAYBOOK version ${q.version} (kept: ${all.map((v) => v.version).join(", ")})`);
    return c.json({ version: row.version, text: row.text, createdBy: row.createdBy, createdAt: row.createdAt.toISOString(), versions: all.map((v) => v.version) });
  });

  app.post("/playbook", async (c) => {
    const who = requireRole(c, "operator");
    const req = await readJson(c, WritePlaybookRequest);
    const row = await db.transaction(async (tx) => {
      const version = await writePlaybook(tx, req.text, who.name, now());
      await appendJournal(tx, "human", `${who.name} wrote PLAYBOOK version ${version.version}`, null, now());
      return version;
    });
    const versions = await db.select({ v: playbookVersions.version }).from(playbookVersions).orderBy(desc(playbookVersions.version));
    return c.json({ version: row.version, text: row.text, createdBy: row.createdBy, createdAt: row.createdAt.toISOString(), versions: versions.map((v) => v.v) });
  });

  app.get("/sensors", async (c) => {
    const rows = await db.select().from(sensors).orderBy(sensors.name);
    return c.json({ sensors: await sensorViews(db, rows) });
  });

  app.get("/sensors/:name", async (c) => {
    const name = param(SensorName, c.req.param("name"));
    const [row] = await db.select().from(sensors).where(eq(sensors.name, name));
    if (!row) throw new MusterError("not_found", `no sensor ${name}`);
    return c.json((await sensorViews(db, [row]))[0]);
  });

  app.post("/sensors/:name", async (c) => {
    const who = requireRole(c, "operator");
    const name = param(SensorName, c.req.param("name"));
    const req = await readJson(c, WriteSensorRequest);
    const row = await db.transaction(async (tx) => {
      const sensor = await writeSensor(tx, name, req, now());
      await appendJournal(tx, "human", `${who.name} wrote sensor ${name}`, null, now());
      return sensor;
    });
    return c.json((await sensorViews(db, [row]))[0]);
  });

  app.delete("/sensors/:name", async (c) => {
    const who = requireRole(c, "operator");
    const name = param(SensorName, c.req.param("name"));
    await db.transaction(async (tx) => {
      await dropSensor(tx, name);
      await appendJournal(tx, "human", `${who.name} dropped sensor ${name}`, null, now());
    });
    return c.json({ name, dropped: true });
  });

  return app;
}
