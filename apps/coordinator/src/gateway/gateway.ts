// The node gateway: authenticates websocket upgrades at /v1/nodes/connect and keeps one session per node.
import type { IncomingMessage, Server } from "node:http";
import type { Duplex } from "node:stream";
import { CloseCode, MAX_FRAME_BYTES } from "@muster/protocol";
import { WebSocketServer } from "ws";
import type { Limits } from "../auth/limits.js";
import { verifyNodeJwt } from "../auth/node-jwt.js";
import { MusterError } from "../errors.js";
import { clientOfRequest } from "../http/client-address.js";
import type { OfferTarget } from "../scheduler/scheduler.js";
import { markDisconnected } from "./node-state.js";
import { NodeSession, type SessionDeps } from "./session.js";

export const CONNECT_PATH = "/v1/nodes/connect";

export interface GatewayDeps extends SessionDeps {
  audience: string;
  limits: Limits;
  /** Count limits against the address the proxy in front vouches for (X-Forwarded-For). */
  trustProxy?: boolean | undefined;
}

export class Gateway {
  readonly #wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES });
  readonly #sessions = new Map<string, NodeSession>();

  readonly #sessionDeps: SessionDeps;

  constructor(private readonly deps: GatewayDeps) {
    this.#sessionDeps = { ...deps, frameQueueMax: deps.frameQueueMax ?? deps.limits.nodeFrameQueue };
  }

  attach(server: Server): void {
    server.on("upgrade", (req, socket, head) => {
      void this.#upgrade(req, socket, head);
    });
  }

  /** Sessions that have said hello, for the scheduler. */
  targets(): OfferTarget[] {
    return [...this.#sessions.values()];
  }

  session(nodeId: string): NodeSession | undefined {
    return this.#sessions.get(nodeId);
  }

  isConnected(nodeId: string): boolean {
    return this.#sessions.has(nodeId);
  }

  /** Closes a node's live socket at once, e.g. when it is revoked. */
  disconnect(nodeId: string, code: number, reason: string): void {
    this.#sessions.get(nodeId)?.close(code, reason);
  }

  async close(): Promise<void> {
    const closing = [...this.#sessions.values()].map(
      (s) =>
        new Promise<void>((resolve) => {
          s.ws.once("close", () => resolve());
          s.close(CloseCode.goingAway, "coordinator shutting down");
          setTimeout(() => {
            s.ws.terminate();
            resolve();
          }, 2000).unref();
        }),
    );
    await Promise.all(closing);
    this.#wss.close();
  }

  async #upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const log = this.deps.log;
    socket.on("error", (err) => log.debug({ err }, "upgrade socket error"));
    const path = new URL(req.url ?? "/", "http://x").pathname;
    if (path !== CONNECT_PATH) return refuse(socket, 404, "not_found", "no websocket endpoint here");
    const address = clientOfRequest(req, this.deps.trustProxy ?? false).address;
    const wait = this.deps.limits.auth.retryAfterMs(address);
    if (wait > 0) {
      const s = Math.max(1, Math.ceil(wait / 1000));
      return refuse(socket, 429, "rate_limited", `too many failed attempts from this address; try again in ${s}s`, { "Retry-After": String(s) });
    }
    const auth = req.headers.authorization ?? "";
    const m = /^Bearer\s+(\S+)$/i.exec(auth);
    if (!m) {
      this.deps.limits.auth.fail(address);
      return refuse(socket, 401, "unauthorized", "missing bearer token");
    }
    let node;
    try {
      node = await verifyNodeJwt(this.deps.db, m[1]!, { audience: this.deps.audience, clock: this.deps.clock });
    } catch (err) {
      if (err instanceof MusterError) {
        if (err.code === "unauthorized") this.deps.limits.auth.fail(address);
        log.warn({ code: err.code, reason: err.message, remote: req.socket.remoteAddress }, "node upgrade refused");
        return refuse(socket, err.status, err.code, err.message);
      }
      log.error({ err }, "node upgrade failed");
      return refuse(socket, 500, "internal", "internal error");
    }
    this.#wss.handleUpgrade(req, socket, head, (ws) => {
      const previous = this.#sessions.get(node.id);
      const session = new NodeSession(ws, node, this.#sessionDeps);
      this.#sessions.set(node.id, session);
      previous?.close(CloseCode.replaced, "replaced by a newer connection");
      ws.on("error", (err) => session.log.warn({ err }, "node socket error"));
      ws.on("close", (code, reason) => {
        if (this.#sessions.get(node.id) === session) this.#sessions.delete(node.id);
        const clean = code === CloseCode.normal;
        session.log.info({ code, reason: reason.toString() }, "node disconnected");
        void session
          .idle()
          .then(() => markDisconnected(this.deps.db, node.id, session.sessionId, clean, new Date(this.deps.clock.now())))
          .then((offline) => {
            if (offline) this.deps.journal.nodeState(node.id, "offline");
            void this.deps.scheduler.request("node disconnected");
          })
          .catch((err) => session.log.error({ err }, "marking node disconnected failed"));
      });
    });
  }
}

function refuse(socket: Duplex, status: number, code: string, message: string, headers: Record<string, string> = {}): void {
  const body = JSON.stringify({ error: { code, message } });
  const text =
    { 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 429: "Too Many Requests", 500: "Internal Server Error" }[status] ?? "Error";
  const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join("");
  socket.end(
    `HTTP/1.1 ${status} ${text}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extra}Connection: close\r\n\r\n${body}`,
  );
  setTimeout(() => socket.destroy(), 1000).unref();
}
