// A tiny HTTP server standing in for the coordinator in tests: canned responses per "METHOD /path".
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface Recorded {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  body: unknown;
}

export type Handler = (req: Recorded, res: ServerResponse) => void | Promise<void>;
export type Reply = { status?: number; body: unknown } | Handler;

export interface FakeCoordinator {
  url: string;
  requests: Recorded[];
  /** Sets the reply for `METHOD /path` (query string ignored). */
  on(route: string, reply: Reply): void;
  close(): Promise<void>;
}

export async function startFakeCoordinator(routes: Record<string, Reply> = {}): Promise<FakeCoordinator> {
  const table = new Map(Object.entries(routes));
  const requests: Recorded[] = [];
  const server: Server = createServer((req, res) => {
    void handle(req, res);
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString("utf8");
    const rec: Recorded = { method: req.method ?? "GET", url: req.url ?? "/", headers: req.headers, body: text ? JSON.parse(text) : undefined };
    requests.push(rec);
    const reply = table.get(`${rec.method} ${rec.url.split("?")[0]}`);
    if (!reply) return json(res, 404, { error: { code: "not_found", message: `no route ${rec.method} ${rec.url}` } });
    if (typeof reply === "function") return reply(rec, res);
    json(res, reply.status ?? 200, reply.body);
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    on: (route, reply) => void table.set(route, reply),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

export const errorBody = (code: string, message: string) => ({ error: { code, message } });
