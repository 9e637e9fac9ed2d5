import { Status, WhoAmI } from "@muster/protocol";
import { createServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorBody, type FakeCoordinator, json, startFakeCoordinator } from "./_testing/fake-coordinator.js";
import { status, whoami } from "./_testing/fixtures.js";
import { ApiClient, networkReason, withQuery } from "./client.js";
import { CLIError } from "./errors.js";

let fake: FakeCoordinator;
const client = (token = "mat_secret", timeoutMs?: number) =>
  new ApiClient({ url: `${fake.url}/`, token, fetch, ...(timeoutMs ? { timeoutMs } : {}) });

async function failure(p: Promise<unknown>): Promise<CLIError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(CLIError);
  return err as CLIError;
}

beforeAll(async () => {
  fake = await startFakeCoordinator({ "GET /v1/whoami": { body: whoami() }, "GET /v1/status": { body: status() } });
});
afterAll(() => fake.close());

describe("ApiClient", () => {
  it("sends the bearer token and returns the parsed body", async () => {
    expect(await client().get("/v1/whoami", WhoAmI)).toEqual(whoami());
    expect(fake.requests.at(-1)?.headers.authorization).toBe("Bearer mat_secret");
  });

  it("sends JSON bodies and query strings", async () => {
    fake.on("POST /v1/echo", (req, res) => json(res, 201, { tokenId: "t", name: JSON.stringify(req.body), role: "viewer" }));
    const out = await client().post("/v1/echo", { a: 1 }, WhoAmI);
    expect(out.name).toBe('{"a":1}');
    expect(fake.requests.at(-1)?.headers["content-type"]).toBe("application/json");
    expect(withQuery("/v1/tasks", { state: "running", limit: 5, cursor: undefined })).toBe("/v1/tasks?state=running&limit=5");
  });

  it("turns 401 into an auth error (exit 4), and a role's 403 into a failure (exit 1), with the server's message and code", async () => {
    fake.on("GET /v1/denied", { status: 401, body: errorBody("unauthorized", "invalid token") });
    const e = await failure(client().get("/v1/denied", WhoAmI));
    expect([e.exitCode, e.line]).toEqual([4, "invalid token [unauthorized]"]);
    fake.on("GET /v1/forbidden", { status: 403, body: errorBody("forbidden", "viewers cannot do that") });
    const f = await failure(client().get("/v1/forbidden", WhoAmI));
    expect([f.exitCode, f.line]).toEqual([1, "viewers cannot do that [forbidden]"]);
  });

  it("turns other ErrorBody responses into failures (exit 1) with the code in brackets", async () => {
    fake.on("POST /v1/tasks/tsk_1/cancel", { status: 409, body: errorBody("invalid_state", "task tsk_1 already succeeded") });
    const e = await failure(client().post("/v1/tasks/tsk_1/cancel", {}, WhoAmI));
    expect([e.exitCode, e.line]).toEqual([1, "task tsk_1 already succeeded [invalid_state]"]);
  });

  it("treats a proxy's 502 without an ErrorBody as unreachable (exit 3)", async () => {
    fake.on("GET /v1/proxy", (_req, res) => {
      res.writeHead(502, { "content-type": "text/html" });
      res.end("<html>bad gateway</html>");
    });
    const e = await failure(client().get("/v1/proxy", WhoAmI));
    expect([e.exitCode, e.message]).toEqual([3, `cannot reach coordinator at ${fake.url}: HTTP 502 Bad Gateway`]);
  });

  it("fails (exit 1) on a 2xx body that does not match the protocol schema, naming the field", async () => {
    fake.on("GET /v1/bad", { body: { ...status(), tasks: { queued: "many" } } });
    const e = await failure(client().get("/v1/bad", Status));
    expect(e.exitCode).toBe(1);
    expect(e.message).toMatch(/^unexpected response from coordinator \(GET \/v1\/bad\): tasks\.queued: /);
  });

  it("reports a refused connection as exit 3 with ECONNREFUSED and no token", async () => {
    const port = await closedPort();
    const c = new ApiClient({ url: `http://127.0.0.1:${port}`, token: "mat_secret", fetch });
    const e = await failure(c.get("/v1/status", Status));
    expect([e.exitCode, e.message]).toEqual([3, `cannot reach coordinator at http://127.0.0.1:${port}: ECONNREFUSED`]);
    expect(e.line).not.toContain("mat_secret");
  });

  it("gives up on a coordinator that does not answer, as unreachable", async () => {
    fake.on("GET /v1/slow", () => undefined);
    const e = await failure(client("mat_secret", 200).get("/v1/slow", WhoAmI));
    expect([e.exitCode, e.message]).toEqual([3, `cannot reach coordinator at ${fake.url}: timed out after 200ms`]);
  });
});

describe("networkReason", () => {
  it("finds the errno code inside fetch's cause chain, including AggregateErrors", () => {
    const agg = Object.assign(new AggregateError([Object.assign(new Error("x"), { code: "ECONNREFUSED" })], "all failed"), {});
    expect(networkReason(new TypeError("fetch failed", { cause: agg }))).toBe("ECONNREFUSED");
    expect(networkReason(new TypeError("fetch failed", { cause: new Error("bad port") }))).toBe("bad port");
  });
});

function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

describe("ApiClient.stream", () => {
  it("gives up when the event stream's headers never come, as unreachable", async () => {
    fake.on("GET /v1/stuck", () => undefined);
    const e = await failure(client("mat_secret", 200).stream("/v1/stuck", {}));
    expect([e.exitCode, e.message]).toEqual([3, `cannot reach coordinator at ${fake.url}: timed out after 200ms`]);
  });

  it("refuses a response that is not an event stream", async () => {
    fake.on("GET /v1/plain", { body: { ok: true } });
    const e = await failure(client().stream("/v1/plain", {}));
    expect(e.message).toBe("unexpected response from coordinator (GET /v1/plain): not an event stream");
  });
});
