import type { ServerResponse } from "node:http";
import type { LogEntry } from "@muster/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorBody, type FakeCoordinator, json, type Recorded, startFakeCoordinator } from "../_testing/fake-coordinator.js";
import { fakeIo } from "../_testing/fake-io.js";
import { attempt, logEntry, startedEntry, taskDetail } from "../_testing/fixtures.js";
import { runCli } from "../cli.js";

let fake: FakeCoordinator;
const env = () => ({ MUSTER_URL: fake.url, MUSTER_TOKEN: "mat_t" });

const entries: LogEntry[] = [
  startedEntry(1),
  logEntry(2, "hello "),
  logEntry(3, "world\n"),
  logEntry(4, "warning: x\n", "stderr"),
  { claimId: "clm_1", attempt: 1, record: { seq: 5, ts: 0, kind: "cost", usd: 0.0123, inputTokens: 1200, outputTokens: 300 } },
  logEntry(6, "no newline"),
  { claimId: "clm_1", attempt: 1, record: { seq: 7, ts: 0, kind: "progress", message: "editing api.ts" } },
];

beforeAll(async () => {
  fake = await startFakeCoordinator({
    "GET /v1/tasks/tsk_1": { body: taskDetail({ claims: [attempt()] }) },
    "GET /v1/tasks/tsk_1/logs": (req, res) => {
      // Two pages: the first ends at seq 3.
      const after = new URL(req.url, "http://x").searchParams.get("after");
      if (!after) return json(res, 200, { entries: entries.slice(0, 3), nextCursor: "1:3", complete: false });
      if (after === "1:3") return json(res, 200, { entries: entries.slice(3), nextCursor: "1:7", complete: true });
      json(res, 200, { entries: [], nextCursor: "1:7", complete: true });
    },
    "GET /v1/tasks/tsk_x/logs": { status: 404, body: errorBody("not_found", "no task tsk_x") },
  });
});
afterAll(() => fake.close());

describe("muster logs", () => {
  it("prints stdout records to stdout and stderr records to stderr, across pages", async () => {
    const io = fakeIo({ env: env() });
    expect(await runCli(["logs", "tsk_1"], io)).toBe(0);
    expect(io.out()).toBe("hello world\nno newline");
    expect(io.err()).toBe("warning: x\n");
    const urls = fake.requests.filter((r) => r.url.startsWith("/v1/tasks/tsk_1/logs")).map((r) => r.url);
    expect(urls.slice(-3)).toEqual([
      "/v1/tasks/tsk_1/logs?limit=5000",
      "/v1/tasks/tsk_1/logs?after=1%3A3&limit=5000",
      "/v1/tasks/tsk_1/logs?after=1%3A7&limit=5000",
    ]);
  });

  it("with --verbose adds the other records as lines on stderr, never mid-line", async () => {
    const io = fakeIo({ env: env() });
    expect(await runCli(["logs", "-v", "tsk_1"], io)).toBe(0);
    expect(io.err()).toBe(
      [
        "[started pid 123 on node gpu-1: make test]",
        "warning: x",
        "[cost $0.0123 (1200 in, 300 out tokens)]",
        "",
        "[editing api.ts]",
        "",
      ].join("\n"),
    );
  });

  it("with --json prints one LogEntry per line", async () => {
    const io = fakeIo({ env: env() });
    expect(await runCli(["logs", "--json", "tsk_1"], io)).toBe(0);
    const lines = io.out().trimEnd().split("\n");
    expect(lines.map((l) => JSON.parse(l))).toEqual(entries);
  });

  it("exits 1 for an unknown task", async () => {
    const io = fakeIo({ env: env() });
    expect(await runCli(["logs", "tsk_x"], io)).toBe(1);
    expect(io.err()).toBe("muster: no task tsk_x [not_found]\n");
  });
});

function sse(res: ServerResponse): void {
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
}
const event = (name: string, data: unknown, id?: string) => `event: ${name}\n${id ? `id: ${id}\n` : ""}data: ${JSON.stringify(data)}\n\n`;

describe("muster logs of an agent task", () => {
  const raw = '{"type":"assistant","message":{"content":[{"type":"text","text":"Looking at the test."}]}}\n';
  const at = (seq: number, record: Record<string, unknown>): LogEntry =>
    ({ claimId: "clm_1", attempt: 1, record: { seq, ts: 0, ...record } }) as LogEntry;
  const claudeLog: LogEntry[] = [
    logEntry(1, raw),
    at(2, { kind: "message", role: "assistant", text: "Looking at the test." }),
    at(3, { kind: "tool_call", callId: "t1", name: "Bash", input: { command: "npm test -- version" } }),
    at(4, { kind: "tool_result", callId: "t1", ok: false, output: "\nFAIL src/version.test.ts\n  expected 2" }),
    logEntry(5, "a warning from claude\n", "stderr"),
    at(6, { kind: "cost", usd: 0.0618, inputTokens: 635, outputTokens: 608 }),
    at(7, { kind: "summary", text: "Fixed it.", ok: true, turns: 4, durationMs: 12_300 }),
  ];

  it("shows the agent's messages, tool calls folded to one line, and --raw shows what it wrote", async () => {
    fake.on("GET /v1/tasks/tsk_c", { body: taskDetail({ id: "tsk_c", agent: "claude", prompt: "fix it", argv: [] }) });
    fake.on("GET /v1/tasks/tsk_c/logs", (_req, res) => json(res, 200, { entries: claudeLog, nextCursor: "1:7", complete: true }));
    const io = fakeIo({ env: env() });
    expect(await runCli(["logs", "tsk_c"], io)).toBe(0);
    expect(io.out()).toBe("Looking at the test.\n");
    expect(io.err()).toBe(["→ Bash npm test -- version", "← error: FAIL src/version.test.ts", "a warning from claude", "[done, 4 turns, 12.3 s]", ""].join("\n"));
    const rawIo = fakeIo({ env: env() });
    expect(await runCli(["logs", "--raw", "tsk_c"], rawIo)).toBe(0);
    expect(rawIo.out()).toBe(raw);
  });
});

describe("muster logs -f", () => {
  it("says why the task waits to be placed, once per reason", async () => {
    fake.on("GET /v1/tasks/tsk_w/logs", (_req, res) => {
      sse(res);
      res.write(event("waiting", { taskId: "tsk_w", pending: "no node is connected" }));
      res.write(event("waiting", { taskId: "tsk_w", pending: "no node has label gpu=true" }));
      res.write(event("waiting", { taskId: "tsk_w", pending: null }));
      res.write(event("log", logEntry(1, "ran\n"), "1:1"));
      res.end(event("end", { taskId: "tsk_w", state: "succeeded", exitCode: 0 }));
    });
    const io = fakeIo({ env: env() });
    expect(await runCli(["logs", "-f", "tsk_w"], io)).toBe(0);
    expect(io.out()).toBe("ran\n");
    expect(io.err()).toBe("[waiting: no node is connected]\n[waiting: no node has label gpu=true]\n");
  });

  it("follows until `end`, resuming with Last-Event-ID when the stream drops", async () => {
    const seen: Recorded[] = [];
    fake.on("GET /v1/tasks/tsk_1/logs", (req, res) => {
      seen.push(req);
      sse(res);
      if (seen.length === 1) {
        res.write(": ping\n\n");
        res.write(event("log", logEntry(1, "one\n"), "1:1"));
        res.write(event("log", logEntry(2, "two\n"), "1:2"));
        setTimeout(() => res.destroy(), 50); // the connection drops without an `end`
        return;
      }
      // A resumed stream may repeat a record; it is printed once.
      res.write(event("log", logEntry(2, "two\n"), "1:2"));
      res.write(event("log", logEntry(1, "retry\n", "stdout", 2), "2:1"));
      res.end(event("end", { taskId: "tsk_1", state: "succeeded", exitCode: 0 }));
    });
    const io = fakeIo({ env: env() });
    expect(await runCli(["logs", "-f", "tsk_1"], io)).toBe(0);
    expect(io.out()).toBe("one\ntwo\nretry\n");
    expect(seen.map((r) => [r.url, r.headers["last-event-id"], r.headers.accept])).toEqual([
      ["/v1/tasks/tsk_1/logs?follow=1", undefined, "text/event-stream"],
      ["/v1/tasks/tsk_1/logs?follow=1", "1:2", "text/event-stream"],
    ]);
    expect(io.sleeps).toEqual([200]);
  });

  it("prints the end with --verbose and nothing extra with --json", async () => {
    fake.on("GET /v1/tasks/tsk_1/logs", (_req, res) => {
      sse(res);
      res.write(event("log", logEntry(1, "x\n"), "1:1"));
      res.end(event("end", { taskId: "tsk_1", state: "failed", exitCode: 2 }));
    });
    const io = fakeIo({ env: env() });
    expect(await runCli(["logs", "-f", "-v", "tsk_1"], io)).toBe(1);
    expect(io.err()).toBe("[task failed, exit code 2]\n");
    const io2 = fakeIo({ env: env() });
    expect(await runCli(["logs", "-f", "--json", "tsk_1"], io2)).toBe(1);
    expect(io2.out().trimEnd().split("\n").map((l) => JSON.parse(l))).toEqual([logEntry(1, "x\n")]);
    expect(io2.err()).toBe("");
  });

  it.each([
    [{ taskId: "tsk_1", state: "succeeded", exitCode: 0 }, 0, ""],
    [{ taskId: "tsk_1", state: "failed", exitCode: 3 }, 1, "[task failed, exit code 3]\n"],
    [{ taskId: "tsk_1", state: "cancelled", exitCode: null }, 1, "[task cancelled]\n"],
    [{ taskId: "tsk_1", state: "failed", exitCode: 0, reason: "not_approved" }, 1, "[task failed: not approved]\n"],
    [{ taskId: "tsk_1", state: "failed", exitCode: 2, reason: "exit_code" }, 1, "[task failed, exit code 2]\n"],
  ])("exits by the task's outcome: %j -> %i, saying why when it is not 0", async (end, code, err) => {
    fake.on("GET /v1/tasks/tsk_1/logs", (_req, res) => {
      sse(res);
      res.write(event("log", logEntry(1, "x\n"), "1:1"));
      res.end(event("end", end));
    });
    const io = fakeIo({ env: env() });
    expect(await runCli(["logs", "-f", "tsk_1"], io)).toBe(code);
    expect(io.out()).toBe("x\n");
    expect(io.err()).toBe(err);
  });

  it("fails at once when the first connection is refused by the server", async () => {
    fake.on("GET /v1/tasks/tsk_1/logs", { status: 401, body: errorBody("unauthorized", "invalid token") });
    const io = fakeIo({ env: env() });
    expect(await runCli(["logs", "-f", "tsk_1"], io)).toBe(4);
    expect(io.err()).toBe("muster: invalid token [unauthorized]\n");
  });

  it("gives up on a stream that keeps closing without sending anything", async () => {
    fake.on("GET /v1/tasks/tsk_1/logs", (_req, res) => {
      sse(res);
      res.end(": ping\n\n");
    });
    const io = fakeIo({ env: env() });
    expect(await runCli(["logs", "-f", "tsk_1"], io)).toBe(3);
    expect(io.err()).toBe(`muster: cannot follow logs at ${fake.url}: the stream keeps closing\n`);
  });

  it("gives up after a minute of the coordinator being gone", async () => {
    let n = 0;
    fake.on("GET /v1/tasks/tsk_1/logs", (_req, res) => {
      if (++n === 1) {
        sse(res);
        res.write(event("log", logEntry(1, "x\n"), "1:1"));
        return void setTimeout(() => res.destroy(), 50);
      }
      res.writeHead(503);
      res.end();
    });
    const io = fakeIo({ env: env() });
    expect(await runCli(["logs", "-f", "tsk_1"], io)).toBe(3);
    expect(io.err()).toBe(`muster: cannot reach coordinator at ${fake.url}: HTTP 503 Service Unavailable\n`);
    expect(io.sleeps.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(60_000);
  });

  it("with --verbose says once per outage that it is reconnecting", async () => {
    let n = 0;
    fake.on("GET /v1/tasks/tsk_1/logs", (_req, res) => {
      n++;
      if (n === 2 || n === 3) {
        res.writeHead(503);
        return void res.end();
      }
      sse(res);
      if (n === 1) {
        res.write(event("log", logEntry(1, "a\n"), "1:1"));
        return void setTimeout(() => res.destroy(), 50);
      }
      res.end(event("end", { taskId: "tsk_1", state: "succeeded", exitCode: 0 }));
    });
    const io = fakeIo({ env: env() });
    expect(await runCli(["logs", "-f", "-v", "tsk_1"], io)).toBe(0);
    expect(io.err()).toBe("[stream dropped; reconnecting]\n[task succeeded, exit code 0]\n");
    expect(io.sleeps).toEqual([200, 400, 800]);
  });
});

describe("muster logs across attempts", () => {
  // Attempt 1 ran on node-a and was lost; the task was retried as attempt 2 on node-b.
  const retried = taskDetail({
    id: "tsk_r",
    state: "running",
    attempts: 2,
    claims: [
      attempt({ claimId: "clm_2", attempt: 2, token: 2, nodeId: "nod_b", nodeName: "node-b", state: "running", finishedAt: null, exitCode: null }),
      attempt({ claimId: "clm_1", attempt: 1, token: 1, nodeId: "nod_a", nodeName: "node-a", state: "expired", exitCode: null, reason: "lost" }),
    ],
  });
  const attempt1 = [startedEntry(1, 1), logEntry(2, "building\n", "stdout", 1), logEntry(3, "connection lost\n", "stderr", 1)];
  const attempt2 = [startedEntry(1, 2), logEntry(2, "building again\n", "stdout", 2), logEntry(3, "done\n", "stdout", 2)];
  const id = (e: LogEntry) => `${e.attempt}:${e.record.seq}`;
  const succeeded = { taskId: "tsk_r", state: "succeeded", exitCode: 0 };

  beforeAll(() => fake.on("GET /v1/tasks/tsk_r", { body: retried }));

  it("follows from attempt 1 into attempt 2 with a separator naming its node, until `end`", async () => {
    fake.on("GET /v1/tasks/tsk_r/logs", async (_req, res) => {
      sse(res);
      for (const e of attempt1) res.write(event("log", e, id(e)));
      // The retry waits out a backoff, then runs elsewhere: the stream stays open meanwhile.
      await new Promise((r) => setTimeout(r, 30));
      res.write(": ping\n\n");
      for (const e of attempt2) res.write(event("log", e, id(e)));
      res.end(event("end", succeeded));
    });
    const io = fakeIo({ env: env() });
    expect(await runCli(["logs", "-f", "tsk_r"], io)).toBe(0);
    expect(io.out()).toBe("building\nbuilding again\ndone\n");
    expect(io.err()).toBe("connection lost\n── attempt 2 on node-b ──\n");
  });

  it("with --verbose the separator sits between the attempts' lifecycle lines", async () => {
    fake.on("GET /v1/tasks/tsk_r/logs", (_req, res) => {
      sse(res);
      for (const e of [...attempt1, ...attempt2]) res.write(event("log", e, id(e)));
      res.end(event("end", { taskId: "tsk_r", state: "failed", exitCode: 1 }));
    });
    const io = fakeIo({ env: env() });
    expect(await runCli(["logs", "-f", "-v", "tsk_r"], io)).toBe(1);
    expect(io.err()).toBe(
      [
        "[started pid 123 on node node-a: make test]",
        "connection lost",
        "── attempt 2 on node-b ──",
        "[started pid 123 on node node-b (attempt 2): make test]",
        "[task failed, exit code 1]",
        "",
      ].join("\n"),
    );
  });

  it("resumes mid-attempt-2 with Last-Event-ID after a drop, printing nothing twice", async () => {
    const seen: Recorded[] = [];
    fake.on("GET /v1/tasks/tsk_r/logs", (req, res) => {
      seen.push(req);
      sse(res);
      if (seen.length === 1) {
        for (const e of [...attempt1, ...attempt2.slice(0, 2)]) res.write(event("log", e, id(e)));
        // Half an event, then the connection drops: the half must not be printed.
        res.write(`event: log\nid: 2:3\ndata: ${JSON.stringify(attempt2[2])}`);
        return void setTimeout(() => res.destroy(), 50);
      }
      // Delivery is at least once: the resumed stream starts one record early (and repeats attempt 1's last).
      res.write(event("log", attempt1[2]!, "1:3"));
      res.write(event("log", attempt2[1]!, "2:2"));
      res.write(event("log", attempt2[2]!, "2:3"));
      res.end(event("end", succeeded));
    });
    const io = fakeIo({ env: env() });
    expect(await runCli(["logs", "-f", "tsk_r"], io)).toBe(0);
    expect(io.out()).toBe("building\nbuilding again\ndone\n");
    expect(io.err()).toBe("connection lost\n── attempt 2 on node-b ──\n");
    expect(seen.map((r) => r.headers["last-event-id"])).toEqual([undefined, "2:2"]);
  });

  it("resumes across the attempt boundary: a drop right after attempt 1 still gets the separator once", async () => {
    const seen: Recorded[] = [];
    fake.on("GET /v1/tasks/tsk_r/logs", (req, res) => {
      seen.push(req);
      sse(res);
      const after = req.headers["last-event-id"];
      const all = [...attempt1, ...attempt2];
      const from = after ? all.findIndex((e) => id(e) === after) + 1 : 0;
      if (seen.length === 1) {
        for (const e of attempt1) res.write(event("log", e, id(e)));
        return void setTimeout(() => res.destroy(), 50);
      }
      for (const e of all.slice(from)) res.write(event("log", e, id(e)));
      res.end(event("end", succeeded));
    });
    const io = fakeIo({ env: env() });
    expect(await runCli(["logs", "-f", "tsk_r"], io)).toBe(0);
    expect(io.out()).toBe("building\nbuilding again\ndone\n");
    expect(io.err()).toBe("connection lost\n── attempt 2 on node-b ──\n");
    expect(seen.map((r) => r.headers["last-event-id"])).toEqual([undefined, "1:3"]);
  });

  it("without -f prints every attempt with the same separator, and no end line", async () => {
    fake.on("GET /v1/tasks/tsk_r/logs", (req, res) => {
      const after = new URL(req.url, "http://x").searchParams.get("after");
      if (after) return json(res, 200, { entries: [], nextCursor: after, complete: true });
      json(res, 200, { entries: [...attempt1, ...attempt2], nextCursor: "2:3", complete: true });
    });
    const io = fakeIo({ env: env() });
    expect(await runCli(["logs", "tsk_r"], io)).toBe(0);
    expect(io.out()).toBe("building\nbuilding again\ndone\n");
    expect(io.err()).toBe("connection lost\n── attempt 2 on node-b ──\n");
  });

  it("names no node when the task cannot be read, rather than failing", async () => {
    fake.on("GET /v1/tasks/tsk_q", { status: 503, body: errorBody("unavailable", "starting") });
    fake.on("GET /v1/tasks/tsk_q/logs", (_req, res) => {
      sse(res);
      res.write(event("log", logEntry(1, "second try\n", "stdout", 2), "2:1"));
      res.end(event("end", { taskId: "tsk_q", state: "succeeded", exitCode: 0 }));
    });
    const io = fakeIo({ env: env() });
    expect(await runCli(["logs", "-f", "tsk_q"], io)).toBe(0);
    expect(io.out()).toBe("second try\n");
    expect(io.err()).toBe("── attempt 2 ──\n");
  });

  it("dims the separator on a terminal, unless NO_COLOR or --no-color", async () => {
    fake.on("GET /v1/tasks/tsk_r/logs", (_req, res) => {
      sse(res);
      for (const e of [...attempt1, ...attempt2]) res.write(event("log", e, id(e)));
      res.end(event("end", succeeded));
    });
    const tty = fakeIo({ env: env(), stderrTty: true });
    expect(await runCli(["logs", "-f", "tsk_r"], tty)).toBe(0);
    expect(tty.err()).toBe("connection lost\n\u001b[2m── attempt 2 on node-b ──\u001b[22m\n");
    const noColor = fakeIo({ env: { ...env(), NO_COLOR: "1" }, stderrTty: true });
    expect(await runCli(["logs", "-f", "tsk_r"], noColor)).toBe(0);
    const flag = fakeIo({ env: env(), stderrTty: true });
    expect(await runCli(["logs", "-f", "--no-color", "tsk_r"], flag)).toBe(0);
    for (const io of [noColor, flag]) expect(io.err()).toBe("connection lost\n── attempt 2 on node-b ──\n");
  });

  it("--json prints entries only: no separator", async () => {
    fake.on("GET /v1/tasks/tsk_r/logs", (_req, res) => {
      sse(res);
      for (const e of [...attempt1, ...attempt2]) res.write(event("log", e, id(e)));
      res.end(event("end", succeeded));
    });
    const io = fakeIo({ env: env() });
    expect(await runCli(["logs", "-f", "--json", "tsk_r"], io)).toBe(0);
    expect(io.out().trimEnd().split("\n").map((l) => JSON.parse(l))).toEqual([...attempt1, ...attempt2]);
    expect(io.err()).toBe("");
  });
});
