// A tiny stand-in for a node's local endpoint in tests: a real unix socket whose requests the test answers.
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { LocalResponse } from "@muster/protocol";

export interface FakeNodeRequest {
  body: Record<string, unknown>;
  /** Writes one response line to the connection that sent the request. */
  reply(response: LocalResponse | string): void;
  /** Ends the connection without a response. */
  hangUp(): void;
}

export interface FakeNode {
  path: string;
  env: { MUSTER_ASK_SOCKET: string; MUSTER_ASK_SECRET: string };
  requests: FakeNodeRequest[];
  /** Answers every request at once, when set; otherwise the test replies through `requests`. */
  respond: ((body: Record<string, unknown>) => LocalResponse | string) | null;
  /** Waits for the nth request (0-based). */
  request(n: number, timeoutMs?: number): Promise<FakeNodeRequest>;
  close(): Promise<void>;
}

export async function startFakeNode(secret = "s3cret-for-tests"): Promise<FakeNode> {
  const dir = mkdtempSync(join(tmpdir(), "mfn-"));
  const path = join(dir, "n.sock");
  const sockets = new Set<Socket>();
  const node: FakeNode = {
    path,
    env: { MUSTER_ASK_SOCKET: path, MUSTER_ASK_SECRET: secret },
    requests: [],
    respond: null,
    async request(n, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (!node.requests[n]) {
        if (Date.now() > deadline) throw new Error(`no request ${n} reached the fake node`);
        await new Promise((r) => setTimeout(r, 5));
      }
      return node.requests[n]!;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => {
          rmSync(dir, { recursive: true, force: true });
          resolve();
        });
      }),
  };
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    let buffered = "";
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      buffered += chunk;
      for (let nl = buffered.indexOf("\n"); nl >= 0; nl = buffered.indexOf("\n")) {
        const body = JSON.parse(buffered.slice(0, nl)) as Record<string, unknown>;
        buffered = buffered.slice(nl + 1);
        const reply = (r: LocalResponse | string) => socket.write(`${typeof r === "string" ? r : JSON.stringify(r)}\n`);
        node.requests.push({ body, reply, hangUp: () => socket.destroy() });
        if (node.respond) reply(node.respond(body));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  return node;
}
