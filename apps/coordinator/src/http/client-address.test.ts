import { createServer, request, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { Hono } from "hono";
import { afterEach, describe, expect, it } from "vitest";
import { clientOf, clientOfRequest, resolveClient } from "./client-address.js";

const peer = (headers: Record<string, string | string[]>, encrypted = false) => ({ remoteAddress: "10.0.0.5", encrypted, headers });

describe("resolveClient", () => {
  it("ignores forwarded headers unless the proxy is trusted", () => {
    const forged = peer({ "x-forwarded-for": "203.0.113.9", "x-forwarded-proto": "https" });
    expect(resolveClient(forged, false)).toEqual({ address: "10.0.0.5", secure: false });
    expect(resolveClient(forged, true)).toEqual({ address: "203.0.113.9", secure: true });
  });

  it("believes only the last hop the proxy appended", () => {
    const chain = peer({ "x-forwarded-for": "198.51.100.1, 203.0.113.9", "x-forwarded-proto": "http, https" });
    expect(resolveClient(chain, true)).toEqual({ address: "203.0.113.9", secure: true });
  });

  it("says a direct TLS connection is secure, and a proxy's plain-http word overrides it", () => {
    expect(resolveClient(peer({}, true), false).secure).toBe(true);
    expect(resolveClient(peer({}, true), true).secure).toBe(true);
    expect(resolveClient(peer({ "x-forwarded-proto": "http" }, true), true).secure).toBe(false);
  });

  it("takes ports off forwarded addresses and drops what is not an address", () => {
    expect(resolveClient(peer({ "x-forwarded-for": "[2001:db8::1]:443" }), true).address).toBe("2001:db8::1");
    expect(resolveClient(peer({ "x-forwarded-for": "203.0.113.9:5123" }), true).address).toBe("203.0.113.9");
    expect(resolveClient(peer({ "x-forwarded-for": "unknown" }), true).address).toBe("10.0.0.5");
  });
});

describe("clientOfRequest", () => {
  let close = () => {};
  afterEach(() => close());

  it("reads the socket of a real request", async () => {
    const seen: IncomingMessage[] = [];
    const server = createServer((req, res) => {
      seen.push(req);
      res.end();
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    close = () => server.close();
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve, reject) => {
      request({ port, host: "127.0.0.1", headers: { "x-forwarded-proto": "https" } }, (res) => res.resume().on("end", resolve))
        .on("error", reject)
        .end();
    });
    expect(clientOfRequest(seen[0]!, false)).toEqual({ address: "127.0.0.1", secure: false });
    expect(clientOfRequest(seen[0]!, true)).toEqual({ address: "127.0.0.1", secure: true });
  });
});

describe("clientOf", () => {
  it("falls back to the URL's scheme for in-process requests", async () => {
    const app = new Hono().get("/", (c) => c.json(clientOf(c, false)));
    expect(await (await app.request("https://muster.example/")).json()).toEqual({ address: "local", secure: true });
    expect(await (await app.request("http://muster.example/")).json()).toEqual({ address: "local", secure: false });
  });
});
