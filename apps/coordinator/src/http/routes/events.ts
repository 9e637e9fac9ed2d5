// `GET /v1/events`: the fleet's changes as server-sent events, resumable with Last-Event-ID.
import { Hono } from "hono";
import { streamSSE } from "hono/streaming";
import type { FeedEntry } from "../../events/feed.js";
import type { AppDeps, Env } from "../context.js";

const KEEPALIVE_MS = 15_000;

export function eventRoutes(deps: AppDeps): Hono<Env> {
  const app = new Hono<Env>();
  app.get("/events", (c) => {
    const last = Number(c.req.header("last-event-id") ?? c.req.query("after") ?? Number.NaN);
    const release = deps.limits.streams.take(c.get("identity").tokenId);
    return streamSSE(c, async (stream) => {
      const queue: FeedEntry[] = [];
      let wake: (() => void) | null = null;
      const off = deps.feed.subscribe((e) => {
        queue.push(e);
        wake?.();
      });
      let aborted = false;
      stream.onAbort(() => {
        aborted = true;
        wake?.();
      });
      // A stream authenticates once; when its token is revoked, end it so the console reconnects and meets a 401.
      const { tokenId } = c.get("identity");
      const offRevoked = deps.bus.on("token.revoked", (e) => {
        if (e.tokenId !== tokenId) return;
        aborted = true;
        wake?.();
      });
      try {
        if (Number.isFinite(last)) {
          const missed = deps.feed.since(last);
          if (missed === null) await stream.writeSSE({ event: "reset", id: String(deps.feed.lastId), data: JSON.stringify({ type: "reset" }) });
          else queue.unshift(...missed.filter((e) => !queue.some((q) => q.id === e.id)));
        } else {
          await stream.writeSSE({ event: "hello", id: String(deps.feed.lastId), data: "{}" });
        }
        while (!aborted) {
          while (queue.length > 0) {
            const e = queue.shift()!;
            await stream.writeSSE({ event: e.event.type, id: String(e.id), data: JSON.stringify(e.event) });
          }
          const woke = await new Promise<boolean>((resolve) => {
            wake = () => resolve(true);
            setTimeout(() => resolve(false), KEEPALIVE_MS);
          });
          wake = null;
          if (!woke && !aborted) await stream.write(": ping\n\n");
        }
      } finally {
        off();
        offRevoked();
        release();
      }
    });
  });
  return app;
}
