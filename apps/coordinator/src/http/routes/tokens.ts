// API tokens for people and CI: made by an admin with a role, shown once, stored as a hash, revoked (never deleted).
import { CreateTokenRequest } from "@muster/protocol";
import { and, desc, eq, isNull } from "drizzle-orm";
import { Hono } from "hono";
import { hashSecret, mintApiToken } from "../../auth/secrets.js";
import { MusterError } from "../../errors.js";
import { apiTokens } from "../../store/schema.js";
import { readJson, requireRole, type AppDeps, type Env } from "../context.js";
import { toTokenView } from "../views.js";

export function tokenRoutes(deps: AppDeps): Hono<Env> {
  const { db, clock } = deps;
  const app = new Hono<Env>();

  app.post("/tokens", async (c) => {
    const who = requireRole(c, "admin");
    const req = await readJson(c, CreateTokenRequest);
    const { id, token } = mintApiToken();
    const [row] = await db
      .insert(apiTokens)
      .values({ id, name: req.name, role: req.role, secretHash: hashSecret(token), createdAt: new Date(clock.now()) })
      .returning();
    deps.log.info({ tokenId: id, name: req.name, role: req.role, by: who.tokenId }, "api token created");
    return c.json({ ...toTokenView(row!), token }, 201);
  });

  app.get("/tokens", async (c) => {
    requireRole(c, "admin");
    const rows = await db.select().from(apiTokens).orderBy(desc(apiTokens.createdAt), desc(apiTokens.id));
    return c.json({ tokens: rows.map(toTokenView) });
  });

  app.delete("/tokens/:id", async (c) => {
    const who = requireRole(c, "admin");
    const id = c.req.param("id");
    const result = await db.transaction(async (tx) => {
      const [row] = await tx.select().from(apiTokens).where(eq(apiTokens.id, id));
      if (!row) throw new MusterError("not_found", `no API token ${id}`);
      if (row.revokedAt) return { row, changed: false };
      if (row.role === "admin") {
        // Locking every active admin row serialises concurrent revokes, so two of them cannot remove the last two admins.
        const admins = await tx
          .select({ id: apiTokens.id })
          .from(apiTokens)
          .where(and(eq(apiTokens.role, "admin"), isNull(apiTokens.revokedAt)))
          .for("update");
        if (!admins.some((a) => a.id !== id))
          throw new MusterError(
            "conflict",
            `${id} is the last active admin token; create another admin token before revoking it, or nobody could manage the fleet`,
          );
      }
      const [updated] = await tx.update(apiTokens).set({ revokedAt: new Date(clock.now()) }).where(eq(apiTokens.id, id)).returning();
      return { row: updated!, changed: true };
    });
    if (result.changed) {
      deps.log.info({ tokenId: id, name: result.row.name, role: result.row.role, by: who.tokenId }, "api token revoked");
      // Sessions resolve their token on every request, so they end with it; open event streams are closed here.
      deps.bus.emit("token.revoked", { tokenId: id });
    }
    return c.json(toTokenView(result.row));
  });

  return app;
}
