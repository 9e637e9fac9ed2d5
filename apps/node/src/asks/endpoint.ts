// One claim's local endpoint: a unix socket its worker's `muster ask` and `muster told` talk to, speaking
// newline-delimited LocalRequest/LocalResponse JSON. Every request must carry the claim's secret; bad input gets
// an `error` response, never a crash.
import { createHash, timingSafeEqual } from "node:crypto";
import { chmodSync, rmSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { LocalRequest, type LocalResponse } from "@muster/protocol";
import type { Logger } from "../log.js";
import type { AskQuestion, AskReply } from "./channel.js";
import type { ToldMessage } from "./tells.js";

/** A request line longer than this is refused; the largest valid ask is far smaller. */
export const MAX_REQUEST_BYTES = 256 * 1024;

export interface LocalHandlers {
  /** Settles with the answer; `signal` aborts when the asker's connection closes first. */
  ask(question: AskQuestion, signal: AbortSignal): Promise<AskReply>;
  told(): ToldMessage[];
}

export interface LocalEndpointOptions {
  path: string;
  secret: string;
  handlers: LocalHandlers;
  log: Logger;
}

const digest = (text: string) => createHash("sha256").update(text).digest();

/** The code an error crossing the socket carries: the error's own `code` when it has one. */
function errorResponse(err: unknown): LocalResponse {
  const code = (err as { code?: unknown } | null)?.code;
  return {
    op: "error",
    code: typeof code === "string" && /^[a-z_]+$/.test(code) ? code : "internal",
    message: err instanceof Error ? err.message : String(err),
  };
}

export class LocalEndpoint {
  private readonly connections = new Set<Socket>();
  private readonly secretDigest: Buffer;
  private closed = false;

  private constructor(
    private readonly server: Server,
    private readonly opts: LocalEndpointOptions,
  ) {
    this.secretDigest = digest(opts.secret);
  }

  /** Listens at `path` (replacing a stale socket file there), readable by the node's user only. */
  static async open(opts: LocalEndpointOptions): Promise<LocalEndpoint> {
    rmSync(opts.path, { force: true });
    const server = createServer();
    const endpoint = new LocalEndpoint(server, opts);
    server.on("connection", (socket) => endpoint.serve(socket));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(opts.path, () => {
        server.off("error", reject);
        resolve();
      });
    });
    server.on("error", (err) => opts.log.warn({ err }, "local endpoint error"));
    chmodSync(opts.path, 0o600);
    return endpoint;
  }

  get path(): string {
    return this.opts.path;
  }

  /** Stops listening, drops every connection (its asker sees the connection end) and removes the socket file. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const socket of this.connections) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    rmSync(this.opts.path, { force: true });
  }

  private serve(socket: Socket): void {
    if (this.closed) return void socket.destroy();
    this.connections.add(socket);
    const gone = new AbortController();
    let buffered = "";
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      buffered += chunk;
      for (let nl = buffered.indexOf("\n"); nl >= 0; nl = buffered.indexOf("\n")) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (line.trim() !== "") this.request(socket, line, gone.signal);
      }
      if (Buffer.byteLength(buffered) > MAX_REQUEST_BYTES) {
        this.reply(socket, { op: "error", code: "too_large", message: `a request is at most ${MAX_REQUEST_BYTES} bytes` });
        socket.end();
        buffered = "";
      }
    });
    socket.on("error", (err) => this.opts.log.debug({ err }, "local connection error"));
    socket.on("close", () => {
      this.connections.delete(socket);
      gone.abort();
    });
  }

  private request(socket: Socket, line: string, signal: AbortSignal): void {
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      return this.reply(socket, { op: "error", code: "bad_request", message: "a request is one JSON object per line" });
    }
    const parsed = LocalRequest.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue?.path.length ? `${issue.path.join(".")}: ` : "";
      return this.reply(socket, { op: "error", code: "bad_request", message: `${where}${issue?.message ?? "invalid request"}` });
    }
    const req = parsed.data;
    if (!timingSafeEqual(digest(req.secret), this.secretDigest)) {
      this.opts.log.warn({ op: req.op }, "local request with a wrong secret");
      this.reply(socket, { op: "error", code: "unauthorized", message: "wrong secret" });
      socket.end();
      return;
    }
    if (req.op === "told") {
      try {
        return this.reply(socket, { op: "told", messages: this.opts.handlers.told() });
      } catch (err) {
        return this.reply(socket, errorResponse(err));
      }
    }
    const { question, options, gate, tool, timeoutMs } = req;
    const asked = { question, options, gate, ...(tool ? { tool } : {}), ...(timeoutMs !== undefined ? { timeoutMs } : {}) };
    this.opts.handlers.ask(asked, signal).then(
      ({ askId, answer, answeredBy, reason }) =>
        this.reply(socket, { op: "answer", askId, answer, answeredBy, ...(reason !== undefined ? { reason } : {}) }),
      (err: unknown) => this.reply(socket, errorResponse(err)),
    );
  }

  private reply(socket: Socket, response: LocalResponse): void {
    if (!socket.destroyed && socket.writable) socket.write(`${JSON.stringify(response)}\n`);
  }
}
