// The HTTP API (Hono): JSON everywhere, one error shape, bearer auth on /v1 except node join; the web console at /.
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { RateLimited } from "../auth/limits.js";
import { TokenUse } from "../auth/tokens.js";
import { MusterError } from "../errors.js";
import { authenticate, sessionRoutes } from "./routes/session.js";
import { consoleRoutes } from "./console.js";
import type { AppDeps, Env } from "./context.js";
import { askRoutes } from "./routes/asks.js";
import { eventRoutes } from "./routes/events.js";
import { joinKeyRoutes } from "./routes/join-keys.js";
import { logRoutes } from "./routes/logs.js";
import { goalRoutes } from "./routes/goals.js";
import { nodeRoutes } from "./routes/nodes.js";
import { pulseRoutes } from "./routes/pulse.js";
import { statusRoutes } from "./routes/status.js";
import { taskRoutes } from "./routes/tasks.js";
import { tokenRoutes } from "./routes/tokens.js";

export function createApp(deps: AppDeps): Hono<Env> {
  const app = new Hono<Env>();
  const log = deps.log.child({ component: "http" });

  app.onError((err, c) => {
    if (err instanceof MusterError) {
      const details = err.details === undefined ? {} : { details: err.details };
      const headers = err instanceof RateLimited ? { "retry-after": String(err.retryAfterS) } : undefined;
      return c.json({ error: { code: err.code, message: err.message, ...details } }, err.status as ContentfulStatusCode, headers);
    }
    log.error({ err, path: c.req.path }, "request failed");
    return c.json({ error: { code: "internal", message: "internal error" } }, 500);
  });
  app.notFound((c) => c.json({ error: { code: "not_found", message: `no route ${c.req.method} ${c.req.path}` } }, 404));

  app.use(
    "*",
    bodyLimit({
      maxSize: deps.bodyLimitBytes,
      // The rest of the body is never read, so the connection cannot be reused.
      onError: (c) =>
        c.json(
          { error: { code: "payload_too_large", message: `request body over ${deps.bodyLimitBytes} bytes` } },
          413,
          { connection: "close" },
        ),
    }),
  );

  app.get("/healthz", (c) => c.json({ status: "ok" as const }));
  app.get("/readyz", async (c) => {
    try {
      await deps.db.execute("select 1");
      return c.json({ status: "ready" as const, checks: { database: "ok" } });
    } catch (err) {
      return c.json({ status: "not_ready" as const, checks: { database: (err as Error).message } }, 503);
    }
  });

  const tokenUse = new TokenUse(deps.db, log);
  app.route("/v1", sessionRoutes(deps, tokenUse));
  app.use("/v1/*", async (c, next) => {
    if (c.req.method === "POST" && c.req.path === "/v1/nodes/join") return next();
    c.set("identity", await authenticate(c, deps, tokenUse));
    return next();
  });

  app.get("/v1/whoami", (c) => {
    const { tokenId, name, role } = c.get("identity");
    return c.json({ tokenId, name, role });
  });
  app.route("/v1", statusRoutes(deps));
  app.route("/v1", nodeRoutes(deps));
  app.route("/v1", joinKeyRoutes(deps));
  app.route("/v1", tokenRoutes(deps));
  app.route("/v1", taskRoutes(deps));
  app.route("/v1", logRoutes(deps));
  app.route("/v1", askRoutes(deps));
  app.route("/v1", eventRoutes(deps));
  app.route("/v1", pulseRoutes(deps));
  app.route("/v1", goalRoutes(deps));
  // Last, so every API route above wins over the console's catch-all.
  app.route("/", consoleRoutes(deps.consoleDir, deps.log.child({ component: "console" })));
  return app;
}
