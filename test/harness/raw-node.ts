// A hand-driven node for protocol and security tests: enrols with a join key, signs JWTs, speaks raw frames.
import { randomUUID } from "node:crypto";
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from "jose";
import WebSocket from "ws";
import { api } from "./processes.js";

export interface RawIdentity {
  nodeId: string;
  audience: string;
  privateKey: CryptoKey;
}

export async function createJoinKey(c: { url: string; token: string }, body: object = {}): Promise<string> {
  const res = await api<{ key: string }>(c, "POST", "/v1/join-keys", body);
  if (res.status !== 201) throw new Error(`join key: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.key;
}

export async function enrol(
  c: { url: string; token: string },
  key: string,
  name: string,
  extra: object = {},
): Promise<{ status: number; body: any; identity?: RawIdentity }> {
  const { publicKey, privateKey } = await generateKeyPair("EdDSA", { crv: "Ed25519", extractable: true });
  const jwk = await exportJWK(publicKey);
  const res = await api<any>(c, "POST", "/v1/nodes/join", { key, name, publicKey: jwk, capacity: 2, ...extra }, null);
  if (res.status !== 201) return res;
  return { ...res, identity: { nodeId: res.body.nodeId, audience: res.body.audience, privateKey } };
}

export async function signNodeJwt(
  id: RawIdentity,
  over: { jti?: string; aud?: string; iss?: string; ttlS?: number; iatOffsetS?: number; key?: CryptoKey } = {},
): Promise<string> {
  const iat = Math.floor(Date.now() / 1000) + (over.iatOffsetS ?? 0);
  return new SignJWT({})
    .setProtectedHeader({ alg: "EdDSA" })
    .setIssuer(over.iss ?? id.nodeId)
    .setSubject(id.nodeId)
    .setAudience(over.aud ?? id.audience)
    .setIssuedAt(iat)
    .setExpirationTime(iat + (over.ttlS ?? 30))
    .setJti(over.jti ?? randomUUID())
    .sign(over.key ?? id.privateKey);
}

export type Frame = { v: number; type: string; id?: string; re?: string; payload: any };

/** Opens the node websocket; resolves with the open socket or the HTTP status that refused it. */
export function openSocket(url: string, jwt: string | null): Promise<{ ws?: RawSocket; status?: number; body?: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url.replace(/^http/, "ws")}/v1/nodes/connect`, {
      headers: jwt ? { authorization: `Bearer ${jwt}` } : {},
    });
    ws.once("open", () => resolve({ ws: new RawSocket(ws) }));
    ws.once("unexpected-response", (_req, res) => {
      let body = "";
      res.on("data", (d: Buffer) => (body += d.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    ws.once("error", (err) => reject(err));
  });
}

export class RawSocket {
  readonly frames: Frame[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  #waiters: { pred: (f: Frame) => boolean; resolve: (f: Frame) => void }[] = [];

  constructor(readonly ws: WebSocket) {
    ws.on("message", (data) => {
      const f = JSON.parse(data.toString()) as Frame;
      this.frames.push(f);
      this.#waiters = this.#waiters.filter((w) => (w.pred(f) ? (w.resolve(f), false) : true));
    });
    this.closed = new Promise((resolve) => ws.on("close", (code, reason) => resolve({ code, reason: reason.toString() })));
  }

  send(type: string, payload: unknown, id?: string): void {
    this.ws.send(JSON.stringify({ v: 1, type, ...(id ? { id } : {}), payload }));
  }

  raw(text: string | Buffer): void {
    this.ws.send(text);
  }

  next(pred: (f: Frame) => boolean, timeoutMs = 10_000): Promise<Frame> {
    const seen = this.frames.find(pred);
    if (seen) {
      this.frames.splice(this.frames.indexOf(seen), 1);
      return Promise.resolve(seen);
    }
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no matching frame within ${timeoutMs}ms; last frames: ${JSON.stringify(this.frames.slice(-5))}`)), timeoutMs);
      this.#waiters.push({
        pred,
        resolve: (f) => {
          clearTimeout(t);
          this.frames.splice(this.frames.indexOf(f), 1);
          resolve(f);
        },
      });
    });
  }

  type(type: string, timeoutMs?: number): Promise<Frame> {
    return this.next((f) => f.type === type, timeoutMs);
  }

  close(): void {
    this.ws.close(1000);
  }
}

export function helloPayload(nodeId: string, over: object = {}) {
  return {
    nodeId,
    version: "0.1.0",
    protocol: 1,
    hostname: "raw",
    os: "linux",
    arch: "x64",
    capacity: 2,
    labels: {},
    agents: [{ name: "exec", kind: "exec", version: null }],
    claims: [],
    draining: false,
    ...over,
  };
}

/** Enrols a hand-driven node with a fresh join key. */
export async function enrolledNode(
  c: { url: string; token: string },
  name = `n-${randomUUID().slice(0, 8)}`,
  extra: object = {},
): Promise<RawIdentity> {
  const res = await enrol(c, await createJoinKey(c), name, extra);
  if (res.status !== 201 || !res.identity) throw new Error(`enrol ${name}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.identity;
}

/** Opens the node's socket and completes hello, welcome and the first reconciliation. */
export async function connectedNode(c: { url: string }, id: RawIdentity): Promise<RawSocket> {
  const { ws, status, body } = await openSocket(c.url, await signNodeJwt(id));
  if (!ws) throw new Error(`upgrade refused: ${status} ${body}`);
  ws.send("hello", helloPayload(id.nodeId), "h1");
  const welcome = await ws.type("welcome");
  if (welcome.re !== "h1") throw new Error("welcome does not answer hello");
  await ws.type("heartbeat.ack");
  return ws;
}
