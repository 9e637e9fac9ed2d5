// The HTTP edge: console sign-in and cookies against other sites, oversized bodies, and the console's static files.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { databaseKinds } from "../harness/databases.js";
import { api, disposeCoordinator, startCoordinator, type CoordinatorHandle } from "../harness/processes.js";

const kinds = await databaseKinds();
const SECRET_TEXT = "outside-the-console-dir";

/** A GET with the path sent exactly as given (fetch would normalise `..` away). */
function rawGet(url: string, path: string): Promise<{ status: number; body: string }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path, method: "GET" }, (res) => {
      let body = "";
      res.on("data", (d: Buffer) => (body += d.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

/**
 * A POST that announces `length` bytes and sends only the start: the coordinator must refuse it from the announced
 * length, and the test does not race the connection it closes while a large body is still being written.
 */
function announcedPost(url: string, path: string, length: number, token: string | null): Promise<{ status: number; body: any }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const headers = { "content-type": "application/json", "content-length": String(length), ...(token ? { authorization: `Bearer ${token}` } : {}) };
    const req = request({ host: u.hostname, port: u.port, path, method: "POST", headers }, (res) => {
      let body = "";
      res.on("data", (d: Buffer) => (body += d.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(body) }));
    });
    req.on("error", reject);
    req.write(`{"start":"${"x".repeat(16 * 1024)}`);
  });
}

function signIn(c: CoordinatorHandle, headers: Record<string, string> = {}) {
  return fetch(`${c.url}/v1/session`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ token: c.token }),
  });
}

describe.each(kinds)("HTTP edge on %s", (kind) => {
  let c: CoordinatorHandle;
  let root: string;
  beforeAll(async () => {
    // A console build beside a file it must never serve, with a symlink and a dot-file that point at secrets.
    root = mkdtempSync(join(tmpdir(), "muster-console-"));
    const dir = join(root, "console");
    mkdirSync(join(dir, "assets"), { recursive: true });
    writeFileSync(join(dir, "index.html"), "<!doctype html><title>console</title>");
    writeFileSync(join(dir, "assets", "app.js"), "console.log(1)");
    writeFileSync(join(dir, ".env"), SECRET_TEXT);
    writeFileSync(join(root, "secret.txt"), SECRET_TEXT);
    symlinkSync(join(root, "secret.txt"), join(dir, "assets", "link.js"));
    c = await startCoordinator(kind, { MUSTER_CONSOLE_DIR: dir });
  });
  afterAll(async () => {
    if (c) await disposeCoordinator(c);
    rmSync(root, { recursive: true, force: true });
  });

  describe("console sign-in", () => {
    it("signs in from the coordinator's own origin and from clients that send no Origin", async () => {
      expect((await signIn(c)).status).toBe(200);
      expect((await signIn(c, { origin: c.url })).status).toBe(200);
    });

    it.each([["another site", "https://evil.example"], ["an opaque origin", "null"], ["a malformed origin", "::::"]])(
      "refuses a sign-in from %s (login CSRF) and sets no cookie",
      async (_what, origin) => {
        const res = await signIn(c, { origin });
        expect(res.status).toBe(403);
        expect(((await res.json()) as any).error.code).toBe("forbidden");
        expect(res.headers.get("set-cookie")).toBeNull();
      },
    );

    it("answers a cookie request with Origin: null with 403, not a server error", async () => {
      const cookie = (await signIn(c)).headers.get("set-cookie")!.split(";")[0]!;
      const res = await fetch(`${c.url}/v1/tasks`, {
        method: "POST",
        headers: { cookie, origin: "null", "content-type": "application/json" },
        body: JSON.stringify({ agent: "exec", argv: ["true"], selector: "nowhere=true" }),
      });
      expect(res.status).toBe(403);
      const body = (await res.json()) as any;
      expect(body.error.code).toBe("forbidden");
      expect(JSON.stringify(body)).not.toMatch(/\n\s+at /);
      const tasks = await api<any>(c, "GET", "/v1/tasks");
      expect(tasks.body.tasks).toEqual([]);
    });
  });

  describe("request bodies", () => {
    it.each([
      ["a task", "/v1/tasks", true],
      ["a node join, before any auth", "/v1/nodes/join", false],
      ["a sign-in", "/v1/session", false],
    ])("answers an oversized body for %s with 413", async (_what, path, withToken) => {
      const res = await announcedPost(c.url, path, 2 * 1024 * 1024, withToken ? c.token : null);
      expect(res.status).toBe(413);
      expect(res.body.error.code).toBe("payload_too_large");
    });

    it("refuses a large body sent whole and stores nothing", async () => {
      const huge = "x".repeat(2 * 1024 * 1024);
      const res = await api<any>(c, "POST", "/v1/tasks", { agent: "exec", argv: [huge] }).catch((err: Error) => ({ status: 0, body: err }));
      // The coordinator may close the connection before the client has written it all; it must never accept it.
      if (res.status !== 0) expect(res.status).toBe(413);
      expect((await api<any>(c, "GET", "/v1/tasks")).body.tasks).toEqual([]);
    });
  });

  describe("console files", () => {
    it("serves the console and its assets", async () => {
      expect((await rawGet(c.url, "/assets/app.js")).body).toBe("console.log(1)");
      expect((await rawGet(c.url, "/some/page")).body).toContain("<title>console</title>");
    });

    it.each([
      "/../secret.txt",
      "/assets/../../secret.txt",
      "/%2e%2e/secret.txt",
      "/assets/%2e%2e%2f%2e%2e%2fsecret.txt",
      "/..%2fsecret.txt",
      "/assets/..%5c..%5csecret.txt",
      "/assets/link.js",
      "/.env",
      "/%2eenv",
      "/assets/%00",
      "/assets/%zz",
    ])("never serves a file outside the build or a dot-file: %s", async (path) => {
      const res = await rawGet(c.url, path);
      expect(res.body).not.toContain(SECRET_TEXT);
      expect([200, 400, 404]).toContain(res.status);
      if (res.status === 200) expect(res.body).toContain("<title>console</title>");
    });
  });
});
