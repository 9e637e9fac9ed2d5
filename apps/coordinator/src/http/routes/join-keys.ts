// Join keys: made by an admin, shown once, stored as a hash.
import { CreateJoinKeyRequest } from "@muster/protocol";
import { desc, eq } from "drizzle-orm";
import { Hono } from "hono";
import { hashSecret, mintJoinKey } from "../../auth/secrets.js";
import { MusterError } from "../../errors.js";
import { joinKeys } from "../../store/schema.js";
import { readJson, requireRole, type AppDeps, type Env } from "../context.js";
import { toJoinKeyView } from "../views.js";

export function joinKeyRoutes(deps: AppDeps): Hono<Env> {
  const { db, clock } = deps;
  const app = new Hono<Env>();

  app.post("/join-keys", async (c) => {
    const who = requireRole(c, "admin");
    const req = await readJson(c, CreateJoinKeyRequest);
    const { id, key } = mintJoinKey();
    const now = clock.now();
    const [row] = await db
      .insert(joinKeys)
      .values({
        id,
        secretHash: hashSecret(key),
        uses: req.uses,
        labels: req.labels,
        description: req.description ?? null,
        createdBy: who.name,
        createdAt: new Date(now),
        expiresAt: new Date(now + req.ttlMs),
      })
      .returning();
    deps.log.info({ joinKeyId: id, uses: req.uses }, "join key created");
    deps.bus.emit("joinkey.changed", { joinKeyId: id, state: "active" });
    return c.json({ ...toJoinKeyView(row!, now), key }, 201);
  });

  app.get("/join-keys", async (c) => {
    requireRole(c, "admin");
    const rows = await db.select().from(joinKeys).orderBy(desc(joinKeys.createdAt));
    const now = clock.now();
    return c.json({ joinKeys: rows.map((r) => toJoinKeyView(r, now)) });
  });

  app.delete("/join-keys/:id", async (c) => {
    requireRole(c, "admin");
    const id = c.req.param("id");
    const [row] = await db.select().from(joinKeys).where(eq(joinKeys.id, id));
    if (!row) throw new MusterError("not_found", `no join key ${id}`);
    const now = clock.now();
    if (row.revokedAt) return c.json(toJoinKeyView(row, now));
    const [updated] = await db.update(joinKeys).set({ revokedAt: new Date(now) }).where(eq(joinKeys.id, id)).returning();
    deps.log.info({ joinKeyId: id }, "join key revoked");
    deps.bus.emit("joinkey.changed", { joinKeyId: id, state: "revoked" });
    return c.json(toJoinKeyView(updated!, now));
  });

  return app;
}
