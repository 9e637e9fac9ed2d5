// The web console at `/`: static files from a fake build, the SPA fallback, refusals, and the API keeping priority.
import { request as httpRequest } from "node:http";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import pino from "pino";
import WebSocket from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../config.js";
import { startCoordinator, type Coordinator } from "../server.js";
import { openTestStore, type TestStore } from "../store/testing.js";
import { CONSOLE_SECURITY_HEADERS, consoleRoutes } from "./console.js";
import { createTestApp, type TestApp } from "./testing.js";

const INDEX = "<!doctype html><title>Muster</title><div id=root></div>";
const SCRIPT = "console.log('app');";
const SECRET = "TOP SECRET: outside the build";

let root: string;
let dist: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "muster-console-"));
  dist = join(root, "dist");
  mkdirSync(join(dist, "assets"), { recursive: true });
  writeFileSync(join(dist, "index.html"), INDEX);
  writeFileSync(join(dist, "favicon.ico"), "icon");
  writeFileSync(join(dist, ".env"), SECRET);
  writeFileSync(join(dist, "assets", "index-AbC123.js"), SCRIPT);
  writeFileSync(join(dist, "assets", "index-AbC123.css"), "body{}");
  writeFileSync(join(root, "secret.txt"), SECRET);
  symlinkSync(join(root, "secret.txt"), join(dist, "assets", "leak.js"));
  symlinkSync(root, join(dist, "assets", "up"));
  mkdirSync(join(root, "empty"));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

function expectSecurityHeaders(res: Response): void {
  for (const [name, value] of Object.entries(CONSOLE_SECURITY_HEADERS)) expect(res.headers.get(name), name).toBe(value);
}

describe("the console in the HTTP app", () => {
  let db: TestStore;
  let t: TestApp;
  beforeAll(async () => {
    db = await openTestStore("pglite");
    t = await createTestApp(db.store, { consoleDir: dist });
  });
  afterAll(async () => {
    await db?.dispose();
  });

  it("serves a hashed asset with its type, a long cache and the security headers", async () => {
    const res = await t.app.request("/assets/index-AbC123.js");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(res.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expectSecurityHeaders(res);
    expect(await res.text()).toBe(SCRIPT);
    const css = await t.app.request("/assets/index-AbC123.css");
    expect(css.headers.get("content-type")).toBe("text/css; charset=utf-8");
  });

  it("answers HEAD with the headers and no body", async () => {
    const res = await t.app.request("/assets/index-AbC123.js", { method: "HEAD" });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-length")).toBe(String(SCRIPT.length));
    expect(res.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expect(await res.text()).toBe("");
  });

  it("serves index.html at / and for any app path, never cached without a check", async () => {
    for (const path of ["/", "/tasks/tsk_123", "/asks?state=pending", "/fleet/", "/assets"]) {
      const res = await t.app.request(path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get("content-type"), path).toBe("text/html; charset=utf-8");
      expect(res.headers.get("cache-control"), path).toBe("no-cache");
      expectSecurityHeaders(res);
      expect(await res.text()).toBe(INDEX);
    }
  });

  it("revalidates with the ETag", async () => {
    const first = await t.app.request("/");
    const etag = first.headers.get("etag");
    expect(etag).toBeTruthy();
    const again = await t.app.request("/", { headers: { "if-none-match": etag! } });
    expect(again.status).toBe(304);
    expectSecurityHeaders(again);
  });

  it("serves other real files of the build, such as the favicon", async () => {
    const res = await t.app.request("/favicon.ico");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("image/x-icon");
    expect(res.headers.get("cache-control")).toBe("no-cache");
    expect(await res.text()).toBe("icon");
  });

  it("answers 404 for a missing asset instead of the app shell", async () => {
    const res = await t.app.request("/assets/index-gone.js");
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expectSecurityHeaders(res);
    expect(await res.json()).toMatchObject({ error: { code: "not_found" } });
  });

  it.each([
    "/assets/..%2F..%2Fsecret.txt",
    "/assets/%2e%2e%2f%2e%2e%2fsecret.txt",
    "/assets/..%5C..%5Csecret.txt",
    "/..%2Fsecret.txt",
    "/assets/leak.js",
    "/assets/up/secret.txt",
    "/.env",
    "/assets/%2e%2e/.env",
    "/assets/index-AbC123.js%00.html",
    "/assets/%E0%A4%A",
  ])("refuses %s", async (path) => {
    const res = await t.app.request(path);
    expect(res.status).toBe(404);
    expect(await res.text()).not.toContain("TOP SECRET");
  });

  it("keeps the API first: unknown /v1 paths get the JSON 404, health checks stay JSON", async () => {
    for (const path of ["/v1/nope", "/v1/tasks/tsk_1/nope", "/v1"]) {
      const res = await t.api(path);
      expect(res.status, path).toBe(404);
      expect(await res.json()).toMatchObject({ error: { code: "not_found" } });
      expect(res.headers.get("content-security-policy")).toBeNull();
    }
    // Without a token the API's auth still answers, not the console.
    expect((await t.app.request("/v1/nope")).status).toBe(401);
    expect(await (await t.app.request("/healthz")).json()).toEqual({ status: "ok" });
    expect(await (await t.app.request("/readyz")).json()).toMatchObject({ status: "ready" });
    expect((await t.api("/v1/tasks")).status).toBe(200);
    // Only GET and HEAD reach the console.
    expect((await t.app.request("/", { method: "POST" })).status).toBe(404);
  });
});

describe("the console before it is built", () => {
  let db: TestStore;
  beforeAll(async () => {
    db = await openTestStore("pglite");
  });
  afterAll(async () => {
    await db?.dispose();
  });

  it.each([
    ["a directory without index.html", () => join(root, "empty")],
    ["a directory that does not exist", () => join(root, "nowhere")],
    ["no directory at all", () => undefined],
  ])("answers 503 with how to build it, for %s, while the API works", async (_, dir) => {
    const t = await createTestApp(db.store, { consoleDir: dir() });
    for (const path of ["/", "/tasks/tsk_123"]) {
      const res = await t.app.request(path);
      expect(res.status).toBe(503);
      expect(res.headers.get("content-type")).toMatch(/^text\/html/);
      expectSecurityHeaders(res);
      const text = await res.text();
      expect(text).toContain("not built");
      expect(text).toContain("npm run build");
    }
    expect((await t.app.request("/assets/index-AbC123.js")).status).toBe(404);
    expect((await t.app.request("/healthz")).status).toBe(200);
    expect((await t.api("/v1/whoami")).status).toBe(200);
  });

  it("logs one warning when the routes are made", async () => {
    const lines: { level: number; msg: string }[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(JSON.parse(String(chunk)));
        done();
      },
    });
    const app = consoleRoutes(join(root, "empty"), pino({ level: "info" }, sink));
    await app.request("/");
    await app.request("/tasks");
    expect(lines.filter((l) => l.level === 40)).toHaveLength(1);
    expect(lines[0]!.msg).toMatch(/not built/);
  });
});

describe("the console in a running coordinator", () => {
  let dataDir: string;
  let c: Coordinator;
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "muster-console-coord-"));
    c = await startCoordinator(loadConfig({ port: "0", dataDir, consoleDir: dist }, {}), pino({ level: "silent" }));
  });
  afterAll(async () => {
    await c?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** Sends the path as written: no client-side URL normalization. */
  const raw = (path: string) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest({ host: "127.0.0.1", port: c.port, path }, (res) => {
        let body = "";
        res.on("data", (d) => (body += d));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on("error", reject);
      req.end();
    });

  it("serves the console found through the config", async () => {
    const res = await fetch(`${c.url}/tasks/tsk_123`);
    expect(res.status).toBe(200);
    expectSecurityHeaders(res);
    expect(await res.text()).toBe(INDEX);
  });

  it.each([
    "/assets/../../secret.txt",
    "/assets/..%2f..%2fsecret.txt",
    "/assets/%2e%2e/%2e%2e/secret.txt",
    "/../secret.txt",
    "/assets/up/secret.txt",
  ])("never serves what is outside the build: %s", async (path) => {
    const res = await raw(path);
    expect(res.body).not.toContain("TOP SECRET");
    expect([200, 404]).toContain(res.status);
    // A path the URL parser folds back inside the build can only ever reach the app shell.
    if (res.status === 200) expect(res.body).toBe(INDEX);
  });

  it("leaves the node websocket at /v1/nodes/connect to the gateway", async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(`${c.url.replace(/^http/, "ws")}/v1/nodes/connect`);
      ws.on("unexpected-response", (_req, res) => {
        resolve(res.statusCode ?? 0);
        ws.terminate();
      });
      ws.on("open", () => reject(new Error("a websocket opened without a node token")));
      ws.on("error", () => {});
    });
    // The gateway's refusal of a missing bearer token, not the console.
    expect(status).toBe(401);
  });
});
