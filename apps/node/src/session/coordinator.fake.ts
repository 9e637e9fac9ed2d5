// A coordinator stand-in for session tests: a real ws server whose frames the test reads and writes.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { WebSocketServer, type WebSocket } from "ws";
import type { z } from "zod";
import { CoordinatorToNode, decodeFrame, encodeFrame, NodeToCoordinator, type MessageOf } from "@muster/protocol";

type NodeMessage = MessageOf<typeof NodeToCoordinator>;
type Of<K extends NodeMessage["type"]> = Extract<NodeMessage, { type: K }>;
type CoordType = keyof typeof CoordinatorToNode & string;

export const DESIRED = { cordoned: false, draining: false, labels: {} };

export class FakeCoordinator {
  readonly inbox: NodeMessage[] = [];
  readonly authorizations: string[] = [];
  readonly closes: number[] = [];
  /** Answer upgrades with this HTTP status instead of a socket. */
  refuseWith: number | null = null;
  socket: WebSocket | null = null;
  url = "";
  private readonly http: Server = createServer();
  private readonly wss = new WebSocketServer({ noServer: true });

  async start(): Promise<void> {
    this.http.on("upgrade", (req, socket, head) => {
      this.authorizations.push(req.headers.authorization ?? "");
      if (this.refuseWith !== null) {
        const body = JSON.stringify({ error: { code: this.refuseWith === 403 ? "node_revoked" : "unauthorized", message: "no" } });
        socket.end(`HTTP/1.1 ${this.refuseWith} Refused\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`);
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => {
        this.socket = ws;
        ws.on("message", (data: Buffer) => {
          const decoded = decodeFrame(NodeToCoordinator, data.toString());
          if (!decoded.ok) throw new Error(`node sent a bad frame: ${decoded.message}`);
          this.inbox.push(decoded.message);
        });
        ws.on("close", (code: number) => this.closes.push(code));
      });
    });
    await new Promise<void>((resolve) => this.http.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.http.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    for (const ws of this.wss.clients) ws.terminate();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
  }

  send<K extends CoordType>(type: K, payload: z.input<(typeof CoordinatorToNode)[K]>, ids: { id?: string; re?: string } = {}): void {
    this.sendRaw(encodeFrame(CoordinatorToNode, type, payload, ids));
  }

  sendRaw(text: string): void {
    if (!this.socket) throw new Error("no node connected");
    this.socket.send(text);
  }

  /** Removes and returns the first frame of that type, waiting for it to arrive. */
  async take<K extends NodeMessage["type"]>(type: K, timeoutMs = 5000): Promise<Of<K>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.inbox.findIndex((m) => m.type === type);
      if (i >= 0) return this.inbox.splice(i, 1)[0] as Of<K>;
      if (Date.now() > deadline) throw new Error(`no ${type} frame; inbox has ${this.inbox.map((m) => m.type).join(", ") || "nothing"}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  /** Accepts a fresh connection: takes its hello, answers welcome and the reconciling heartbeat.ack. */
  async welcome(heartbeatIntervalMs = 50, { leaseMs = 5000, leaseGraceMs = 1000, helloTimeoutMs = 5000 } = {}): Promise<Of<"hello">> {
    const hello = await this.take("hello", helloTimeoutMs);
    this.send(
      "welcome",
      {
        sessionId: `ses_${this.authorizations.length}`,
        nodeId: hello.payload.nodeId,
        version: "0.1.0",
        heartbeatIntervalMs,
        leaseMs,
        leaseGraceMs,
        desired: DESIRED,
        serverTime: Date.now(),
      },
      { re: hello.id! },
    );
    this.send("heartbeat.ack", { leaseMs, desired: DESIRED });
    return hello;
  }

  /** Collects claim.events frames, acking each, until a record satisfies `until`. */
  async collectEvents(until: (text: string) => boolean, { ack = true } = {}): Promise<Of<"claim.events">["payload"]["records"]> {
    const records: Of<"claim.events">["payload"]["records"] = [];
    for (;;) {
      const frame = await this.take("claim.events");
      records.push(...frame.payload.records);
      const { claimId, taskId, token } = frame.payload;
      if (ack) this.send("ack", { claimId, taskId, token, seq: records.at(-1)!.seq, done: false }, { re: frame.id! });
      const text = records.map((r) => (r.kind === "log" ? r.text : "")).join("");
      if (until(text)) return records;
    }
  }
}
