// The websocket to the coordinator: a fresh JWT per attempt, reconnects with backoff, and the refusals
// that end the daemon instead of retrying (revoked node, protocol version mismatch).
import type { IncomingMessage } from "node:http";
import WebSocket from "ws";
import { CloseCode, describeTlsFailure, ErrorBody, ExitCode, MAX_FRAME_BYTES } from "@muster/protocol";
import { readTrustedCa } from "../identity/ca.js";
import type { SignNodeToken } from "../identity/token.js";
import type { Logger } from "../log.js";
import type { Backoff } from "./backoff.js";

export type ConnectionEnd =
  | { kind: "closed" }
  | { kind: "fatal"; message: string; code: string; exitCode: typeof ExitCode.failure | typeof ExitCode.unreachable };

export interface ConnectionHandlers {
  opened(): void;
  message(raw: string): void;
  /** Only for sockets that opened. */
  closed(code: number, reason: string): void;
}

export interface ConnectionOptions {
  url: string;
  signToken: SignNodeToken;
  backoff: Backoff;
  log: Logger;
  handlers: ConnectionHandlers;
  handshakeTimeoutMs?: number;
  /** A PEM file of CAs to trust for the coordinator's certificate; read on every attempt, so a renewed one is seen. */
  caFile?: string | undefined;
}

/** Above this much unsent data, senders wait instead of queueing more in memory. */
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

export function connectUrl(base: string): string {
  const url = new URL(`${base.replace(/\/+$/, "")}/v1/nodes/connect`);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  return url.toString();
}

interface Refusal {
  status: number;
  code: string | null;
  message: string | null;
}

/** Reads the coordinator's error body from a refused upgrade, if it sends one quickly. */
function readRefusal(res: IncomingMessage): Promise<Refusal> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = () => {
      clearTimeout(timer);
      let body: { code: string; message: string } | null = null;
      try {
        const parsed = ErrorBody.safeParse(JSON.parse(Buffer.concat(chunks).toString("utf8")));
        if (parsed.success) body = parsed.data.error;
      } catch {
        // Not JSON: the status code alone says enough.
      }
      resolve({ status: res.statusCode ?? 0, code: body?.code ?? null, message: body?.message ?? null });
    };
    const timer = setTimeout(done, 2000);
    res.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= 8192) chunks.push(chunk);
    });
    res.on("end", done);
    res.on("error", done);
  });
}

export class Connection {
  private ws: WebSocket | null = null;
  private retryTimer: NodeJS.Timeout | undefined;
  private stopping = false;
  /** Once the coordinator has been reached, a certificate problem is waited out instead of ending the daemon. */
  private everOpened = false;
  private resolveEnd!: (end: ConnectionEnd) => void;
  readonly ended: Promise<ConnectionEnd>;

  constructor(private readonly opts: ConnectionOptions) {
    this.ended = new Promise((resolve) => (this.resolveEnd = resolve));
  }

  start(): void {
    void this.attempt();
  }

  send(text: string): boolean {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN || ws.bufferedAmount > MAX_BUFFERED_BYTES) return false;
    ws.send(text);
    return true;
  }

  /** After a `welcome`: the next failure starts again from the shortest delay. */
  resetBackoff(): void {
    this.opts.backoff.reset();
  }

  /** Drops the current socket without ceremony; a new attempt follows. */
  drop(): void {
    this.ws?.terminate();
  }

  /** Closes for good with `code`; settles `ended`. */
  close(code: number = CloseCode.normal, reason = "shutdown"): Promise<ConnectionEnd> {
    if (!this.stopping) {
      this.stopping = true;
      clearTimeout(this.retryTimer);
      const ws = this.ws;
      if (!ws) this.resolveEnd({ kind: "closed" });
      else {
        ws.close(code, reason);
        // A peer that never answers the close frame must not hold the daemon up.
        setTimeout(() => ws.terminate(), 2000).unref();
      }
    }
    return this.ended;
  }

  private async attempt(): Promise<void> {
    if (this.stopping) return;
    const { log } = this.opts;
    let token: string;
    let ca: string[] | undefined;
    try {
      ca = this.opts.caFile ? await readTrustedCa(this.opts.caFile) : undefined;
    } catch (err) {
      return this.fail((err as Error).message, "bad_ca", ExitCode.failure);
    }
    try {
      token = await this.opts.signToken();
    } catch (err) {
      return this.fail(`cannot sign the node token: ${(err as Error).message}`, "bad_key", ExitCode.failure);
    }
    if (this.stopping) return this.resolveEnd({ kind: "closed" });
    const ws = new WebSocket(connectUrl(this.opts.url), {
      headers: { authorization: `Bearer ${token}` },
      maxPayload: MAX_FRAME_BYTES,
      handshakeTimeout: this.opts.handshakeTimeoutMs ?? 10_000,
      ...(ca ? { ca } : {}),
    });
    this.ws = ws;
    let opened = false;
    let refusal: Refusal | null = null;
    let tlsFailure: string | null = null;
    ws.on("unexpected-response", (_req, res) => {
      void readRefusal(res).then((r) => {
        refusal = r;
        ws.terminate();
      });
    });
    ws.on("open", () => {
      opened = true;
      this.everOpened = true;
      log.info({ url: this.opts.url }, "connected");
      this.opts.handlers.opened();
    });
    ws.on("message", (data: WebSocket.RawData) => this.opts.handlers.message(data.toString()));
    ws.on("error", (err) => {
      tlsFailure = describeTlsFailure(err, { caGiven: ca !== undefined });
      if (tlsFailure) log.error({ reason: tlsFailure }, "coordinator certificate refused");
      else if (!refusal) log.debug({ err: err.message }, "socket error");
    });
    ws.on("close", (code: number, reasonBuf: Buffer) => {
      this.ws = null;
      const reason = reasonBuf.toString();
      if (opened) this.opts.handlers.closed(code, reason);
      if (this.stopping) return this.resolveEnd({ kind: "closed" });
      // A node that never got through is misconfigured (wrong URL or CA); one that did waits out a bad renewal.
      if (tlsFailure && !this.everOpened) return this.fail(tlsFailure, "tls_unverified", ExitCode.unreachable);
      const fatal = this.fatalReason(refusal, code, reason);
      if (fatal) return this.fail(fatal, "refused", ExitCode.failure);
      const delay = this.opts.backoff.next();
      log.warn({ code, reason: reason || undefined, opened, retryInMs: delay }, "disconnected");
      this.retryTimer = setTimeout(() => void this.attempt(), delay);
    });
  }

  private fail(message: string, code: string, exitCode: typeof ExitCode.failure | typeof ExitCode.unreachable): void {
    this.stopping = true;
    this.resolveEnd({ kind: "fatal", message, code, exitCode });
  }

  /** A message for the refusals that retrying cannot fix; null for everything else. */
  private fatalReason(refusal: Refusal | null, code: number, reason: string): string | null {
    const { log } = this.opts;
    if (refusal) {
      const detail = `HTTP ${refusal.status}${refusal.code ? ` ${refusal.code}` : ""}${refusal.message ? `: ${refusal.message}` : ""}`;
      if (refusal.status === 403) return `the coordinator refused this node (${detail}); it may have been revoked`;
      log.error({ status: refusal.status, code: refusal.code, message: refusal.message }, "coordinator refused the connection");
      return null;
    }
    if (code === CloseCode.revoked) return `the coordinator revoked this node${reason ? `: ${reason}` : ""}`;
    if (code === CloseCode.versionMismatch) return `protocol version mismatch${reason ? `: ${reason}` : ""}`;
    return null;
  }
}
