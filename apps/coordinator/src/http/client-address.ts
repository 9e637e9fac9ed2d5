// Who is on the other end of a request and whether it came over TLS: the socket's word, or, with trust-proxy, the
// word of the TLS-terminating proxy in front (X-Forwarded-For / X-Forwarded-Proto). Without trust-proxy those
// headers are anyone's to forge, so they are ignored.
import type { IncomingHttpHeaders, IncomingMessage } from "node:http";
import { isIP } from "node:net";
import type { Context } from "hono";

export interface ClientAddress {
  /** The client's IP address; "local" for requests handed to the app in-process (tests). */
  address: string;
  /** The request reached us over TLS, directly or (trusted) through the proxy. */
  secure: boolean;
}

interface PeerView {
  remoteAddress: string | undefined;
  encrypted: boolean;
  headers: IncomingHttpHeaders;
}

/**
 * The last value of a header that may repeat or hold a list: the proxy next to us appends its own, so the
 * last one is the only one it vouches for.
 */
function lastValue(header: string | string[] | undefined): string | undefined {
  const joined = Array.isArray(header) ? header.join(",") : header;
  const parts = (joined ?? "").split(",").map((p) => p.trim()).filter(Boolean);
  return parts.at(-1);
}

/** `[::1]:443`, `1.2.3.4:5678` and plain addresses; anything that is not an IP is dropped. */
function forwardedIp(text: string | undefined): string | undefined {
  if (!text) return undefined;
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(text);
  const ipv4WithPort = /^(\d+\.\d+\.\d+\.\d+):\d+$/.exec(text);
  const ip = bracketed?.[1] ?? ipv4WithPort?.[1] ?? text;
  return isIP(ip) ? ip : undefined;
}

export function resolveClient(peer: PeerView, trustProxy: boolean): ClientAddress {
  const socketAddress = peer.remoteAddress ?? "local";
  if (!trustProxy) return { address: socketAddress, secure: peer.encrypted };
  const proto = lastValue(peer.headers["x-forwarded-proto"])?.toLowerCase();
  return {
    address: forwardedIp(lastValue(peer.headers["x-forwarded-for"])) ?? socketAddress,
    secure: proto === undefined ? peer.encrypted : proto === "https",
  };
}

/** For a node gateway upgrade (or any raw request). */
export function clientOfRequest(req: IncomingMessage, trustProxy: boolean): ClientAddress {
  const socket = req.socket as IncomingMessage["socket"] & { encrypted?: boolean };
  return resolveClient({ remoteAddress: socket.remoteAddress, encrypted: socket.encrypted === true, headers: req.headers }, trustProxy);
}

/** For a Hono route: the address to count limits against and whether a cookie may be `Secure`. */
export function clientOf(c: Context, trustProxy: boolean): ClientAddress {
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  if (incoming) return clientOfRequest(incoming, trustProxy);
  // In-process requests (app.request in tests) have no socket; their URL says the scheme.
  const headers = Object.fromEntries(c.req.raw.headers.entries());
  return resolveClient({ remoteAddress: undefined, encrypted: new URL(c.req.url).protocol === "https:", headers }, trustProxy);
}
